package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.ConnectionInfo;
import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import dev.glisten.Server;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The echo server behind a real HAProxy (Debian's package; {@code .ci/run} installs it), which
 * sends a PROXY header on every connection it relays: v1 through one frontend ({@code send-proxy}),
 * v2 through another ({@code send-proxy-v2}). The server must see the client's own address, and
 * HAProxy's as the proxy's.
 */
class EchoBehindHaproxyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Server server;
    private Process haproxy;
    private int v1Port;
    private int v2Port;

    @BeforeEach
    void start() throws Exception {
        Optional<Path> executable = haproxy();
        Assumptions.assumeTrue(executable.isPresent(), "haproxy is not installed (.ci/run installs it)");
        server = EchoServer.builder().bind("127.0.0.1")
                .proxyProtocol(ProxyProtocol.required(ProxyProtocol.Version.ANY)).start(0);
        v1Port = freePort();
        v2Port = freePort();
        Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "    maxconn 100",
                "defaults",
                "    mode tcp",
                "    timeout connect 5s",
                "    timeout client 30s",
                "    timeout server 30s",
                "frontend v1",
                "    bind 127.0.0.1:" + v1Port,
                "    default_backend glisten_v1",
                "frontend v2",
                "    bind 127.0.0.1:" + v2Port,
                "    default_backend glisten_v2",
                "backend glisten_v1",
                "    server echo 127.0.0.1:" + server.port() + " send-proxy",
                "backend glisten_v2",
                "    server echo 127.0.0.1:" + server.port() + " send-proxy-v2",
                ""));
        haproxy = new ProcessBuilder(executable.get().toString(), "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        awaitListening(v1Port);
        awaitListening(v2Port);
    }

    @AfterEach
    void stop() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            if (!haproxy.waitFor(5, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void sendProxyGivesTheServerTheClientsAddress() throws Exception {
        assertSeesTheClient(v1Port, 1);
    }

    @Test
    void sendProxyV2GivesTheServerTheClientsAddress() throws Exception {
        assertSeesTheClient(v2Port, 2);
    }

    private void assertSeesTheClient(int port, int version) throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout((int) WAIT.toMillis());
            client.getOutputStream().write("hello through haproxy\n".getBytes(US_ASCII));
            assertThat(readLine(client.getInputStream())).isEqualTo("hello through haproxy");

            // Other connections may be open too: haproxy's own probes of the backend, and the
            // connection awaitListening made to its frontend. Ours carries the echoed bytes.
            List<ConnectionInfo<Object>> connections = server.connections();
            List<ConnectionInfo<Object>> echoed = connections.stream().filter(info -> info.bytesReceived() > 0).toList();
            assertThat(echoed).as("connections that carried the echo, of %s", connections).hasSize(1);
            ConnectionInfo<Object> seen = echoed.get(0);
            assertThat(seen.peerAddress()).as("the client's own address").isEqualTo(client.getLocalSocketAddress());
            ProxyHeader header = seen.proxyHeader().orElseThrow();
            assertThat(header.version()).isEqualTo(version);
            assertThat(header.command()).isEqualTo(ProxyHeader.Command.PROXY);
            assertThat(header.destination()).contains(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
        awaitNoConnections();
    }

    private void awaitNoConnections() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (server.connectionCount() != 0) {
            if (System.nanoTime() - deadline > 0) {
                fail("the connection through haproxy did not end within " + WAIT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        assertThat(server.stats().proxyHeaderRejections()).isZero();
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            int b = in.read();
            if (b < 0 || b == '\n') {
                return line.toString();
            }
            line.append((char) b);
        }
        return line.toString();
    }

    private void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (;;) {
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                if (!haproxy.isAlive() || System.nanoTime() - deadline > 0) {
                    fail("haproxy did not listen on " + port + ": " + Files.readString(dir.resolve("haproxy.log")));
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Optional<Path> haproxy() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/sbin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, "haproxy"))
                .filter(Files::isExecutable).findFirst();
    }
}
