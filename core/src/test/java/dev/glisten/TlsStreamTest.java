package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS record stream under the handler, against the JDK's TLS client: what the peer may do
 * after the handshake (key updates, renegotiation, large and pipelined writes, closing) and what
 * the server sends when it closes.
 */
class TlsStreamTest {

    @TempDir
    static Path dir;
    private static TestPki pki;
    private static Tls tls;
    private static SSLContext client;

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = new TestPki(dir);
        tls = Tls.builder().certificate(pki.chain(TestPki.KeyKind.EC_P384_SEC1), pki.key(TestPki.KeyKind.EC_P384_SEC1))
                .protocols("TLSv1.3", "TLSv1.2").build();
        client = TestTls.clientTrusting(pki.rootCertificate());
    }

    private static SSLSocket connect(Server server, String... protocols) throws Exception {
        SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.port());
        socket.setSoTimeout((int) TestSupport.WAIT.toMillis());
        if (protocols.length > 0) {
            socket.setEnabledProtocols(protocols);
        }
        return socket;
    }

    private static Server startEcho() throws Exception {
        return Server.<Void, Void>builder(connection -> null, TestSupport.echo()).bind("127.0.0.1").tls(tls).start(0);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        return bytes;
    }

    private static void assertEchoes(SSLSocket socket, byte[] bytes) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(bytes);
        out.flush();
        assertThat(socket.getInputStream().readNBytes(bytes.length)).isEqualTo(bytes);
    }

    @Test
    void echoesSmallAndMultiRecordMessages() throws Exception {
        try (Server server = startEcho(); SSLSocket socket = connect(server)) {
            assertEchoes(socket, "hello".getBytes());
            // 1 MiB: about 64 records each way, read and written in many pieces.
            assertEchoes(socket, pattern(1 << 20, 7));
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @Test
    void keepsEchoingAcrossKeyUpdatesInTls13() throws Exception {
        try (Server server = startEcho(); SSLSocket socket = connect(server, "TLSv1.3")) {
            for (int update = 0; update < 5; update++) {
                assertEchoes(socket, pattern(10_000, update));
                // On an established TLS 1.3 connection this sends a KeyUpdate asking the server to
                // update its keys too (RFC 8446 section 4.6.3): the server must answer in the stream.
                socket.startHandshake();
            }
            assertEchoes(socket, pattern(100, 99));
        }
    }

    @Test
    void keepsEchoingAcrossARenegotiationInTls12() throws Exception {
        try (Server server = startEcho(); SSLSocket socket = connect(server, "TLSv1.2")) {
            assertEchoes(socket, pattern(5_000, 1));
            socket.startHandshake(); // a secure renegotiation (RFC 5746)
            assertEchoes(socket, pattern(5_000, 2));
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
        }
    }

    @Test
    void aRequestSentRightAfterTheHandshakeIsNotLost() throws Exception {
        try (Server server = startEcho()) {
            for (int round = 0; round < 20; round++) {
                try (SSLSocket socket = connect(server)) {
                    // The first write completes the handshake and goes out right behind the
                    // client's Finished, often in the same segment.
                    byte[] request = pattern(200, round);
                    socket.getOutputStream().write(request);
                    socket.getOutputStream().flush();
                    assertThat(socket.getInputStream().readNBytes(request.length)).isEqualTo(request);
                }
            }
        }
    }

    @Test
    void closingFromTheServerSendsCloseNotify() throws Exception {
        Handler<Void, Void> closeOnBye = (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet && packet.text(java.nio.charset.StandardCharsets.US_ASCII).equals("bye")) {
                connection.send("ok".getBytes());
                return Next.stop();
            }
            return Next.continueWith(state);
        };
        try (Server server = Server.<Void, Void>builder(connection -> null, closeOnBye).bind("127.0.0.1").tls(tls).start(0);
                SSLSocket socket = connect(server)) {
            socket.getOutputStream().write("bye".getBytes());
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            assertThat(in.readNBytes(2)).isEqualTo("ok".getBytes());
            // A clean end of stream, not "connection reset" or a truncation error: the server
            // sent close_notify before closing.
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void thePeersCloseNotifyEndsTheConnectionAsPeerClosed() throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo()).onClose(closes)
                .bind("127.0.0.1").tls(tls).start(0)) {
            try (SSLSocket socket = connect(server)) {
                assertEchoes(socket, "x".getBytes());
            }
            assertThat(closes.next().reason()).isInstanceOf(CloseReason.PeerClosed.class);
        }
    }

    @Test
    void onInitRunsAfterTheHandshakeOnTheConnectionsThread() throws Exception {
        AtomicReference<NegotiatedTls> seen = new AtomicReference<>();
        AtomicReference<Thread> initThread = new AtomicReference<>();
        AtomicReference<Thread> loopThread = new AtomicReference<>();
        Handler<Void, Void> recordThread = (state, message, connection) -> {
            loopThread.set(Thread.currentThread());
            return TestSupport.<Void, Void>echo().handle(state, message, connection);
        };
        try (Server server = Server.<Void, Void>builder(connection -> {
                    seen.set(connection.tls().orElseThrow());
                    initThread.set(Thread.currentThread());
                    return null;
                }, recordThread).bind("127.0.0.1").tls(tls).start(0);
                SSLSocket socket = connect(server)) {
            assertEchoes(socket, "x".getBytes());
            assertThat(seen.get().protocol()).isEqualTo("TLSv1.3");
            assertThat(seen.get().cipherSuite()).isEqualTo(socket.getSession().getCipherSuite());
            assertThat(seen.get().peerCertificates()).isEmpty();
            assertThat(initThread.get()).isSameAs(loopThread.get());
            assertThat(initThread.get().isVirtual()).isTrue();
            assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
        }
    }

    @Test
    void aClientThatTricklesItsHandshakeIsClosedAtTheHandshakeTimeout() throws Exception {
        Tls quick = Tls.builder().certificate(pki.chain(TestPki.KeyKind.EC_P384_SEC1), pki.key(TestPki.KeyKind.EC_P384_SEC1))
                .handshakeTimeout(Duration.ofMillis(500)).build();
        // A real ClientHello, sent one byte every 20 ms: always some progress, never done in time.
        SSLEngine engine = client.createSSLEngine("127.0.0.1", 1);
        engine.setUseClientMode(true);
        ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), hello);
        hello.flip();
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo()).onClose(closes)
                .bind("127.0.0.1").tls(quick).start(0);
                Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(50);
            long started = System.nanoTime();
            boolean closed = false;
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < hello.limit() && !closed; i++) {
                try {
                    out.write(hello.get(i));
                    out.flush();
                    closed = socket.getInputStream().read() == -1;
                } catch (SocketTimeoutException stillOpen) {
                    // Expected while the handshake goes on.
                } catch (IOException reset) {
                    closed = true;
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(closed).as("closed before the whole ClientHello (%d bytes) was sent", hello.limit()).isTrue();
            assertThat(took).isBetween(Duration.ofMillis(400), Duration.ofSeconds(3));
            CloseReason reason = closes.next().reason();
            assertThat(reason).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            assertThat(((CloseReason.TlsHandshakeFailed) reason).error()).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void manyClientsAtOnce() throws Exception {
        try (Server server = startEcho()) {
            int clients = 50;
            SSLSocket[] sockets = new SSLSocket[clients];
            try {
                for (int i = 0; i < clients; i++) {
                    sockets[i] = connect(server);
                    sockets[i].getOutputStream().write(pattern(3_000, i));
                    sockets[i].getOutputStream().flush();
                }
                for (int i = 0; i < clients; i++) {
                    assertThat(sockets[i].getInputStream().readNBytes(3_000)).isEqualTo(pattern(3_000, i));
                }
            } finally {
                for (SSLSocket socket : sockets) {
                    if (socket != null) {
                        socket.close();
                    }
                }
            }
            assertThat(Arrays.stream(sockets).allMatch(SSLSocket::isClosed)).isTrue();
        }
    }
}
