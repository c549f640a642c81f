package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.ClientTls;
import dev.glisten.ConnectionInfo;
import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import dev.glisten.Server;
import dev.glisten.Tls;
import dev.glisten.testkit.TestClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TcpProxy} in process, between real sockets on loopback: bytes relayed exactly both ways,
 * half-close in either direction, an upstream that refuses or fails TLS verification, the PROXY
 * header it sends. Backpressure and stopping are in {@link TcpProxyBackpressureTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpProxyTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable each : started.reversed()) {
            each.close();
        }
    }

    @Test
    void relaysRandomBytesExactlyBothWaysOnSeveralConnectionsAtOnce() throws Exception {
        Server echo = started(EchoServer.builder().bind("127.0.0.1").start(0));
        Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", echo.port()));

        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] data = random(4 << 20, i);
            clients.add(CompletableFuture.runAsync(() -> assertEchoed(proxy.port(), data)));
        }
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds() * 3, TimeUnit.SECONDS);

        awaitNoConnections(proxy);
    }

    @Test
    void eachDirectionFlowsOnItsOwnAndEndsWithItsOwnHalfClose() throws Exception {
        // Full duplex: both peers send at once, unrelated data, and each finishes on its own.
        byte[] toUpstream = random(8 << 20, 1);
        byte[] toClient = random(8 << 20, 2);
        try (FakeUpstream upstream = FakeUpstream.start(socket -> {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readAll(socket));
            socket.getOutputStream().write(toClient);
            socket.shutdownOutput();
            assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(toUpstream);
        })) {
            Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()));
            try (Socket client = connect(proxy.port())) {
                CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readAll(client));
                client.getOutputStream().write(toUpstream);
                client.shutdownOutput();
                assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(toClient);
            }
            upstream.awaitServed(1, WAIT);
            awaitNoConnections(proxy);
        }
    }

    @Test
    void aRequestEndedWithEofGetsItsWholeAnswer() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start(socket -> {
            byte[] request = socket.getInputStream().readAllBytes(); // to the client's EOF
            socket.getOutputStream().write(("got " + request.length + " bytes\n").getBytes(US_ASCII));
        })) {
            Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()));
            try (TestClient client = JarProcess.connect(proxy.port())) {
                client.send("a question, then EOF");
                client.shutdownOutput();

                assertThat(client.readLine()).isEqualTo("got 20 bytes");
                assertThat(client.awaitClosed()).as("bytes after the answer").isZero();
            }
            upstream.awaitServed(1, WAIT);
            awaitNoConnections(proxy);
        }
    }

    @Test
    void anUpstreamThatFinishesFirstStillHearsTheClientToTheEnd() throws Exception {
        CompletableFuture<String> heard = new CompletableFuture<>();
        try (FakeUpstream upstream = FakeUpstream.start(socket -> {
            socket.getOutputStream().write("hello, I am done talking\n".getBytes(US_ASCII));
            socket.shutdownOutput();
            heard.complete(new String(socket.getInputStream().readAllBytes(), US_ASCII));
        })) {
            Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()));
            try (TestClient client = JarProcess.connect(proxy.port())) {
                assertThat(client.readLine()).isEqualTo("hello, I am done talking");
                assertThat(client.awaitClosed()).as("the upstream's end of output, relayed").isZero();

                client.send("but I go on\n").send("until I am done\n");
                client.shutdownOutput();

                assertThat(heard.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("but I go on\nuntil I am done\n");
            }
            upstream.awaitServed(1, WAIT);
            awaitNoConnections(proxy);
        }
    }

    @Test
    void anUpstreamThatRefusesEndsTheClientAtOnceWithoutAByteAndTheProxyServesTheNext() throws Exception {
        int port = freePort();
        Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", port));

        assertClosedAtOnceWithoutData(proxy.port());
        assertClosedAtOnceWithoutData(proxy.port());

        started(EchoServer.builder().bind("127.0.0.1").start(port));
        try (TestClient client = JarProcess.connect(proxy.port())) {
            client.send("now it answers\n");
            assertThat(client.readLine()).isEqualTo("now it answers");
        }
    }

    @Test
    void relaysToAnUpstreamOverTlsVerifyingItsCertificate() throws Exception {
        TestCertificate certificate = TestCertificate.generate(directory, "upstream");
        Server upstream = started(EchoServer.builder().bind("127.0.0.1")
                .tls(Tls.fromPemFiles(certificate.certificate(), certificate.key())).start(0));
        ClientTls trusting = ClientTls.builder().trustedCertificates(certificate.certificate()).build();
        Server proxy = startProxy(TcpProxy.Upstream.of("localhost", upstream.port()).withTls(trusting));

        byte[] data = random(1 << 20, 7);
        assertEchoed(proxy.port(), data);
        assertThat(upstream.connections()).allSatisfy(info -> assertThat(info.tls()).isPresent());
    }

    @Test
    void anUpstreamCertificateForAnotherNameEndsTheClientWithoutAByte() throws Exception {
        TestCertificate certificate = TestCertificate.generate(directory, "upstream");
        Server upstream = started(EchoServer.builder().bind("127.0.0.1")
                .tls(Tls.fromPemFiles(certificate.certificate(), certificate.key())).start(0));
        ClientTls wrongName = ClientTls.builder().trustedCertificates(certificate.certificate())
                .serverName("db.internal").build();
        Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()).withTls(wrongName));

        assertClosedAtOnceWithoutData(proxy.port());

        // An untrusted certificate (the JDK's CAs did not issue it) fails the same way.
        Server untrusting = startProxy(TcpProxy.Upstream.of("localhost", upstream.port())
                .withTls(ClientTls.builder().build()));
        assertClosedAtOnceWithoutData(untrusting.port());
    }

    @Test
    void aProxyHeaderGivesTheUpstreamTheClientsAddress() throws Exception {
        Server upstream = started(EchoServer.builder().bind("127.0.0.1")
                .proxyProtocol(ProxyProtocol.required(ProxyProtocol.Version.V2)).start(0));
        Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()).withProxyHeader());

        try (TestClient client = JarProcess.connect(proxy.port())) {
            client.send("who am I?\n");
            assertThat(client.readLine()).isEqualTo("who am I?");

            List<ConnectionInfo<Object>> connections = upstream.connections();
            assertThat(connections).hasSize(1);
            assertThat(connections.get(0).peerAddress()).isEqualTo(client.localAddress());
            ProxyHeader header = connections.get(0).proxyHeader().orElseThrow();
            assertThat(header.version()).isEqualTo(2);
            assertThat(header.destination())
                    .contains(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()));
        }
    }

    @Test
    void anUpstreamAddressIsReadAsHostColonPort() {
        assertThat(TcpProxy.Upstream.parse("localhost:4000")).isEqualTo(TcpProxy.Upstream.of("localhost", 4000));
        assertThat(TcpProxy.Upstream.parse("[::1]:443")).isEqualTo(TcpProxy.Upstream.of("::1", 443));
        assertThat(TcpProxy.Upstream.parse("[::1]:443")).hasToString("[::1]:443");
        assertThatThrownBy(() -> TcpProxy.Upstream.parse("::1:443")).hasMessageContaining("in brackets");
        assertThatThrownBy(() -> TcpProxy.Upstream.parse("localhost")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> TcpProxy.Upstream.parse("localhost:0")).hasMessageContaining("from 1 to 65535");
        assertThatThrownBy(() -> TcpProxy.Upstream.parse("localhost:http")).hasMessageContaining("not a number");
    }

    // ------------------------------------------------------------------------------------- helpers

    private Server startProxy(TcpProxy.Upstream upstream) throws IOException {
        return started(TcpProxy.to(upstream).builder().bind("127.0.0.1").start(0));
    }

    private Server started(Server server) {
        started.add(server::stop);
        return server;
    }

    /** Sends {@code data} through an echo, reading while writing, and checks every byte that comes back. */
    static void assertEchoed(int proxyPort, byte[] data) {
        try (Socket client = connect(proxyPort)) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readAll(client));
            OutputStream out = client.getOutputStream();
            Random sizes = new Random(data.length);
            for (int offset = 0; offset < data.length; ) {
                int length = Math.min(data.length - offset, 1 + sizes.nextInt(64 * 1024));
                out.write(data, offset, length);
                offset += length;
            }
            client.shutdownOutput();
            byte[] echoed = received.get(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
            assertThat(echoed.length).isEqualTo(data.length);
            assertThat(Arrays.mismatch(echoed, data)).as("the first byte that differs").isEqualTo(-1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A connected socket whose reads give up after {@link #WAIT}. */
    static Socket connect(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) WAIT.toMillis());
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** Everything to the end of the stream; each read bounded by the socket's timeout. */
    static byte[] readAll(Socket socket) {
        try {
            // Not closing the stream, which would close the socket the other direction still uses.
            return socket.getInputStream().readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** The client's connection ends within a second, and not a byte arrives before. */
    private static void assertClosedAtOnceWithoutData(int proxyPort) throws IOException {
        long start = System.nanoTime();
        try (TestClient client = JarProcess.connect(proxyPort)) {
            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    static void awaitNoConnections(Server proxy) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (proxy.connectionCount() != 0) {
            assertThat(System.nanoTime() - deadline).as("connections still open %s", proxy.connections()).isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
