package dev.glisten.socket;

import static dev.glisten.socket.ConnectedPair.PATIENCE;
import static dev.glisten.socket.ConnectedPair.receiveExactly;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.NegotiatedTls;
import dev.glisten.Tls;
import dev.glisten.internal.tls.Openssl;
import dev.glisten.internal.tls.TestPki;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the low-level sockets, against JDK clients and {@code openssl s_client}, all on 127.0.0.1. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClientSocketTlsTest {

    private static final SocketOptions LOOPBACK = SocketOptions.builder().bindAddress("127.0.0.1").build();
    private static final TestPki.KeyKind KEY = TestPki.KeyKind.EC_P384_SEC1;

    @TempDir
    static Path dir;
    private static TestPki pki;
    private static Tls tls;
    private static SSLContext client;

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = new TestPki(dir);
        tls = serverTls().build();
        client = TlsClients.trusting(pki);
    }

    private static Tls.Builder serverTls() {
        return Tls.builder().certificate(pki.chain(KEY), pki.key(KEY));
    }

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void jdkClientRoundTripAfterAnExplicitHandshake() throws Exception {
        byte[] big = new byte[100_000];
        new Random(11).nextBytes(big);
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls)) {
            assertThat(listener.toString()).contains("TLS");
            Future<String> clientSide = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    socket.getOutputStream().write("hello".getBytes(US_ASCII));
                    assertThat(TlsClients.readExactly(socket, 5)).isEqualTo("hello".getBytes(US_ASCII));
                    socket.getOutputStream().write(big);
                    assertThat(TlsClients.readExactly(socket, big.length)).isEqualTo(big);
                    return socket.getSession().getProtocol();
                }
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                assertThat(server.tls()).isEmpty();
                assertThat(server.toString()).contains("TLS handshake pending");

                NegotiatedTls negotiated = server.handshake(PATIENCE);

                assertThat(negotiated.protocol()).isEqualTo("TLSv1.3");
                assertThat(negotiated.applicationProtocol()).isEmpty();
                assertThat(negotiated.peerCertificates()).isEmpty();
                assertThat(server.tls()).contains(negotiated);
                assertThat(server.handshake(Duration.ofMillis(1))).isSameAs(negotiated);
                assertThat(server.toString()).contains("TLSv1.3");

                server.send(receiveExactly(server, 5));
                byte[] received = receiveExactly(server, big.length);
                // A gathering send of an empty, a direct and a heap buffer, crossing record sizes.
                ByteBuffer direct = ByteBuffer.allocateDirect(40_000).put(received, 0, 40_000).flip();
                ByteBuffer heap = ByteBuffer.wrap(received, 40_000, big.length - 40_000);
                server.send(ByteBuffer.allocate(0), direct, heap);
                assertThat(direct.hasRemaining()).isFalse();
                assertThat(heap.hasRemaining()).isFalse();
                // The client's close (close_notify) is the end of stream, every time it is asked.
                assertThatThrownBy(() -> server.receive(10, PATIENCE)).isInstanceOf(EOFException.class);
                assertThatThrownBy(() -> server.receive(10)).isInstanceOf(EOFException.class);
                assertThat(clientSide.get(10, TimeUnit.SECONDS)).isEqualTo("TLSv1.3");
            }
        }
    }

    @Test
    void theFirstReceiveAndSendRunTheHandshakeOnceBetweenThem() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls)) {
            Future<?> clientSide = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    assertThat(TlsClients.readExactly(socket, 2)).isEqualTo("hi".getBytes(US_ASCII));
                    socket.getOutputStream().write("yo".getBytes(US_ASCII));
                    assertThat(socket.getInputStream().read()).isEqualTo(-1);
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                Future<byte[]> receiving = threads.submit(() -> receiveExactly(server, 2));
                server.send("hi".getBytes(US_ASCII));
                assertThat(receiving.get(10, TimeUnit.SECONDS)).isEqualTo("yo".getBytes(US_ASCII));
                assertThat(server.tls()).isPresent();
            }
            clientSide.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void opensslClientRoundTripWithAlpnAndServerName() throws Exception {
        Tls alpn = serverTls().applicationProtocols("echo/1", "h2").build();
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, alpn)) {
            Path output = dir.resolve("s_client.out");
            Path errors = dir.resolve("s_client.err");
            // -quiet implies -ign_eof: s_client stays until the server closes, then exits.
            Process process = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + listener.port(),
                    "-quiet", "-CAfile", pki.rootCertificate().toString(), "-verify_return_error",
                    "-servername", "localhost", "-alpn", "echo/1")
                    .redirectOutput(output.toFile())
                    .redirectError(errors.toFile())
                    .start();
            try {
                try (OutputStream stdin = process.getOutputStream()) {
                    stdin.write("hello from openssl\n".getBytes(US_ASCII));
                }
                try (ClientSocket server = listener.accept(PATIENCE)) {
                    NegotiatedTls negotiated = server.handshake(PATIENCE);
                    assertThat(negotiated.applicationProtocol()).contains("echo/1");
                    assertThat(negotiated.serverName()).contains("localhost");
                    byte[] line = receiveExactly(server, 19);
                    server.send(ByteBuffer.wrap("echo: ".getBytes(US_ASCII)), ByteBuffer.wrap(line));
                }
                assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("s_client exits").isTrue();
                String stderr = Files.readString(errors);
                assertThat(process.exitValue()).as(stderr).isZero();
                assertThat(Files.readString(output)).isEqualTo("echo: hello from openssl\n");
                // openssl 3 reports a close without close_notify as "unexpected eof while reading".
                assertThat(stderr).doesNotContainIgnoringCase("unexpected eof");
            } finally {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void aClientThatSendsNothingFailsTheHandshakeInAboutTheTimeoutAndIsClosed() throws Exception {
        Openssl.assumeInstalled();
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls); Socket silent = plainClient(listener)) {
            try (ClientSocket server = listener.accept(PATIENCE)) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> server.handshake(Duration.ofMillis(300)))
                        .isInstanceOf(SocketTimeoutException.class)
                        .hasMessageContaining("TLS handshake")
                        .hasMessageContaining("127.0.0.1:" + silent.getLocalPort())
                        .hasMessageContaining("PT0.3S");
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
                assertThat(server.isOpen()).isFalse();
                assertThat(server.tls()).isEmpty();
                assertThatThrownBy(() -> server.receive(1)).isInstanceOf(ClosedChannelException.class);
                assertThat(silent.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void theHandshakeTimeoutBoundsTheWholeHandshakeAgainstAClientThatSendsSlowly() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls); Socket dripping = plainClient(listener)) {
            // A handshake record header announcing 512 bytes, then one byte every 50 ms: each of the
            // JDK's reads gets a byte well within its SO_TIMEOUT, so only a whole-handshake bound ends it.
            OutputStream out = dripping.getOutputStream();
            out.write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00});
            AtomicBoolean dripped = new AtomicBoolean();
            Future<?> drip = threads.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    out.write(1);
                    out.flush();
                    dripped.set(true);
                    Thread.sleep(50);
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> server.handshake(Duration.ofMillis(500)))
                        .isInstanceOf(SocketTimeoutException.class)
                        .hasMessageContaining("PT0.5S");
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(took).isBetween(Duration.ofMillis(450), Duration.ofSeconds(3));
                assertThat(dripped).isTrue();
                assertThat(server.isOpen()).isFalse();
            }
            drip.cancel(true);
        }
    }

    @Test
    void aReceiveRunsAPendingHandshakeWithinTheConfiguredTimeout() throws Exception {
        Tls quick = serverTls().handshakeTimeout(Duration.ofMillis(300)).build();
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, quick); Socket silent = plainClient(listener)) {
            try (ClientSocket server = listener.accept(PATIENCE)) {
                long start = System.nanoTime();
                // The receive's own, longer timeout does not stretch the handshake's.
                assertThatThrownBy(() -> server.receive(10, PATIENCE))
                        .isInstanceOf(SocketTimeoutException.class)
                        .hasMessageContaining("TLS handshake")
                        .hasMessageContaining("PT0.3S");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(server.isOpen()).isFalse();
                assertThat(silent.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void bytesThatAreNotAClientHelloFailWithSslExceptionAndCloseTheSocket() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls)) {
            try (Socket http = plainClient(listener); ClientSocket server = listener.accept(PATIENCE)) {
                http.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));
                assertThatThrownBy(() -> server.handshake(PATIENCE))
                        .isInstanceOf(SSLException.class)
                        .hasMessageContaining("TLS handshake with 127.0.0.1:" + http.getLocalPort() + " failed");
                assertThat(server.isOpen()).isFalse();
                assertThatThrownBy(() -> server.send(new byte[] {1})).isInstanceOf(ClosedChannelException.class);
            }
            // The same through a receive that runs the handshake.
            try (Socket garbage = plainClient(listener); ClientSocket server = listener.accept(PATIENCE)) {
                byte[] noise = new byte[64];
                new Random(3).nextBytes(noise);
                garbage.getOutputStream().write(noise);
                assertThatThrownBy(() -> server.receive(10)).isInstanceOf(SSLException.class);
                assertThat(server.isOpen()).isFalse();
            }
        }
    }

    @Test
    void alpnPicksTheServersPreferenceAndTlsShowsIt() throws Exception {
        Tls alpn = serverTls().applicationProtocols("echo/1", "h2").build();
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, alpn)) {
            Future<String> clientSide = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port(), "h2", "echo/1")) {
                    socket.startHandshake();
                    return socket.getApplicationProtocol();
                }
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                NegotiatedTls negotiated = server.handshake(PATIENCE);
                assertThat(negotiated.applicationProtocol()).contains("echo/1");
                assertThat(server.tls().flatMap(NegotiatedTls::applicationProtocol)).contains("echo/1");
                assertThat(clientSide.get(10, TimeUnit.SECONDS)).isEqualTo("echo/1");
            }
            // A client that offers no protocol is served without one.
            Future<?> plainTls = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    socket.startHandshake();
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                assertThat(server.handshake(PATIENCE).applicationProtocol()).isEmpty();
            }
            plainTls.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void mutualTlsShowsTheClientsCertificateAndRefusesAClientWithout() throws Exception {
        Tls mutual = serverTls().clientAuth(Tls.ClientAuth.REQUIRED).trustedCertificates(pki.rootCertificate()).build();
        SSLContext alice = TlsClients.withCertificate(pki, "client-alice");
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, mutual)) {
            Future<?> clientSide = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(alice, listener.port())) {
                    socket.getOutputStream().write(7);
                    assertThat(socket.getInputStream().read()).isEqualTo(8);
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                NegotiatedTls negotiated = server.handshake(PATIENCE);
                assertThat(negotiated.peerCertificates()).hasSize(2);
                assertThat(negotiated.peerCertificates().get(0).getSubjectX500Principal().getName())
                        .isEqualTo("CN=leaf-client-alice");
                assertThat(receiveExactly(server, 1)).containsExactly(7);
                server.send(new byte[] {8});
            }
            clientSide.get(10, TimeUnit.SECONDS);

            Future<?> anonymous = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    socket.startHandshake();
                    socket.getInputStream().read(); // the server's alert, or the end
                } catch (IOException refused) {
                    // Expected: the server refuses the handshake.
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                assertThatThrownBy(() -> server.handshake(PATIENCE)).isInstanceOf(SSLException.class);
                assertThat(server.isOpen()).isFalse();
            }
            anonymous.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReceiveTimeoutLeavesTheTlsSocketUsableEvenInTheMiddleOfARecord() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls);
                SplittingSocket plain = new SplittingSocket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", listener.port()), TlsClients.TIMEOUT_MILLIS);
            try (SSLSocket socket = TlsClients.over(client, plain); ClientSocket server = listener.accept(PATIENCE)) {
                Future<?> clientHandshake = threads.submit(() -> {
                    socket.startHandshake();
                    return null;
                });
                server.handshake(PATIENCE);
                clientHandshake.get(10, TimeUnit.SECONDS);

                // Nothing at all: a timeout.
                assertThatThrownBy(() -> server.receive(10, Duration.ofMillis(150)))
                        .isInstanceOf(SocketTimeoutException.class)
                        .hasMessageContaining("nothing received");
                assertThat(server.isOpen()).isTrue();

                // Half a record: a timeout, and the half is kept for the next receive.
                plain.splitNextWrite.set(true);
                Future<?> sending = threads.submit(() -> {
                    socket.getOutputStream().write("split across a timeout".getBytes(US_ASCII));
                    return null;
                });
                assertThat(plain.firstHalfSent.await(5, TimeUnit.SECONDS)).isTrue();
                assertThatThrownBy(() -> server.receive(100, Duration.ofMillis(300)))
                        .isInstanceOf(SocketTimeoutException.class);
                assertThat(server.isOpen()).isTrue();
                plain.release.countDown();
                sending.get(10, TimeUnit.SECONDS);
                assertThat(receiveExactly(server, 22)).isEqualTo("split across a timeout".getBytes(US_ASCII));

                server.send("still fine".getBytes(US_ASCII));
                assertThat(TlsClients.readExactly(socket, 10)).isEqualTo("still fine".getBytes(US_ASCII));
            }
        }
    }

    @Test
    void shutdownOutputSendsCloseNotifyAndUnderTls13ThePeerMayStillSend() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls)) {
            Future<?> clientSide = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    assertThat(TlsClients.readExactly(socket, 3)).isEqualTo("bye".getBytes(US_ASCII));
                    assertThat(socket.getInputStream().read()).isEqualTo(-1);
                    socket.getOutputStream().write("after".getBytes(US_ASCII));
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                server.send("bye".getBytes(US_ASCII));
                server.shutdownOutput();
                server.shutdownOutput(); // idempotent
                assertThatThrownBy(() -> server.send(new byte[] {1})).isInstanceOf(ClosedChannelException.class);
                assertThat(server.isOpen()).isTrue();
                assertThat(receiveExactly(server, 5)).isEqualTo("after".getBytes(US_ASCII));
                clientSide.get(10, TimeUnit.SECONDS);
                assertThatThrownBy(() -> server.receive(10, PATIENCE)).isInstanceOf(EOFException.class);
                assertThatThrownBy(() -> server.receive(10, PATIENCE)).isInstanceOf(EOFException.class);
            }
        }
    }

    @Test
    void underTls12ShutdownOutputEndsBothDirections() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls)) {
            Future<?> clientSide = threads.submit(() -> {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    socket.setEnabledProtocols(new String[] {"TLSv1.2"});
                    socket.getOutputStream().write("v12".getBytes(US_ASCII));
                    assertThat(TlsClients.readExactly(socket, 3)).isEqualTo("v12".getBytes(US_ASCII));
                    // The server's close_notify; the JDK answers with its own (RFC 5246 section 7.2.1).
                    assertThat(socket.getInputStream().read()).isEqualTo(-1);
                }
                return null;
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                assertThat(server.handshake(PATIENCE).protocol()).isEqualTo("TLSv1.2");
                server.send(receiveExactly(server, 3));
                server.shutdownOutput();
                assertThatThrownBy(() -> server.receive(10, PATIENCE)).isInstanceOf(EOFException.class);
                clientSide.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void closeWakesAThreadBlockedInATlsReceive() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls)) {
            for (boolean timed : new boolean[] {false, true}) {
                try (SSLSocket socket = TlsClients.connect(client, listener.port())) {
                    ClientSocket server = listener.accept(PATIENCE);
                    try {
                        Future<?> clientHandshake = threads.submit(() -> {
                            socket.startHandshake();
                            return null;
                        });
                        server.handshake(PATIENCE);
                        clientHandshake.get(10, TimeUnit.SECONDS);
                        Future<byte[]> receiving = threads.submit(
                                () -> timed ? server.receive(10, Duration.ofMinutes(1)) : server.receive(10));
                        Thread.sleep(100);
                        assertThat(receiving).isNotDone();
                        server.close();
                        assertThatThrownBy(() -> receiving.get(5, TimeUnit.SECONDS))
                                .cause().isInstanceOf(AsynchronousCloseException.class);
                        assertThat(server.isOpen()).isFalse();
                        assertThat(socket.getInputStream().read()).isEqualTo(-1);
                    } finally {
                        server.close();
                    }
                }
            }
        }
    }

    @Test
    void startTlsUpgradesAPlainAcceptedSocket() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK)) {
            Future<String> clientSide = threads.submit(() -> {
                try (Socket plain = plainClient(listener)) {
                    plain.getOutputStream().write("STARTTLS\r\n".getBytes(US_ASCII));
                    assertThat(TlsClients.readExactly(plain, 4)).isEqualTo("GO\r\n".getBytes(US_ASCII));
                    try (SSLSocket socket = TlsClients.over(client, plain)) {
                        socket.getOutputStream().write("secret".getBytes(US_ASCII));
                        return new String(TlsClients.readExactly(socket, 10), US_ASCII);
                    }
                }
            });
            try (ClientSocket server = listener.accept(PATIENCE)) {
                assertThat(receiveExactly(server, 10)).isEqualTo("STARTTLS\r\n".getBytes(US_ASCII));
                assertThat(server.tls()).isEmpty();
                assertThatThrownBy(server::handshake).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("plain TCP");
                server.send("GO\r\n".getBytes(US_ASCII));

                NegotiatedTls negotiated = server.startTls(tls, PATIENCE);

                assertThat(negotiated.protocol()).isEqualTo("TLSv1.3");
                assertThat(server.tls()).contains(negotiated);
                assertThatThrownBy(() -> server.startTls(tls)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("already speaks TLS");
                byte[] secret = receiveExactly(server, 6);
                server.send(ByteBuffer.wrap("got ".getBytes(US_ASCII)), ByteBuffer.wrap(secret));
            }
            assertThat(clientSide.get(10, TimeUnit.SECONDS)).isEqualTo("got secret");
        }
    }

    @Test
    void startTlsThatFailsClosesTheSocket() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK);
                Socket silent = plainClient(listener);
                ClientSocket server = listener.accept(PATIENCE)) {
            assertThatThrownBy(() -> server.startTls(tls, Duration.ofMillis(200)))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(server.isOpen()).isFalse();
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void tlsCallsCheckTheirArgumentsAndTheKindOfSocket() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK, tls); Socket peer = plainClient(listener);
                ClientSocket server = listener.accept(PATIENCE)) {
            assertThatThrownBy(() -> server.handshake(Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> server.startTls(tls, PATIENCE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already speaks TLS");
            assertThat(server.isOpen()).isTrue();
            assertThat(server.peerAddress().getPort()).isEqualTo(peer.getLocalPort());
            assertThatThrownBy(() -> ListenSocket.listen(0, LOOPBACK, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("tls");
        }
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            assertThatThrownBy(() -> pair.client().startTls(tls, PATIENCE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("connect");
            assertThatThrownBy(() -> pair.server().handshake(PATIENCE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("plain TCP");
            assertThat(pair.client().tls()).isEmpty();
        }
    }

    private static Socket plainClient(ListenSocket listener) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", listener.port()), TlsClients.TIMEOUT_MILLIS);
            socket.setSoTimeout(TlsClients.TIMEOUT_MILLIS);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * A client socket whose next write, once asked, goes out in two halves with a pause between:
     * the JDK writes each TLS record with one write, so this leaves the server half a record.
     */
    private static final class SplittingSocket extends Socket {
        final AtomicBoolean splitNextWrite = new AtomicBoolean();
        final CountDownLatch firstHalfSent = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public OutputStream getOutputStream() throws IOException {
            OutputStream whole = super.getOutputStream();
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    whole.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len < 2 || !splitNextWrite.compareAndSet(true, false)) {
                        whole.write(b, off, len);
                        return;
                    }
                    int half = len / 2;
                    whole.write(b, off, half);
                    whole.flush();
                    firstHalfSent.countDown();
                    try {
                        if (!release.await(10, TimeUnit.SECONDS)) {
                            throw new IOException("the test never released the second half");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                    whole.write(b, off + half, len - half);
                }

                @Override
                public void flush() throws IOException {
                    whole.flush();
                }
            };
        }
    }
}
