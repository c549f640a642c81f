package dev.glisten;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.ProxyProtocol.Version;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The headers {@link ProxyHeader#encode} writes, read by a receiver we did not write: HAProxy,
 * listening with {@code accept-proxy}, relays each connection to a glisten server with a v2 header
 * of its own ({@code send-proxy-v2}). So whatever client address the glisten server sees is the
 * one our header told HAProxy, and the TLVs it sees are those HAProxy took from ours. HAProxy also
 * checks a CRC32C TLV when one is sent, and drops the connection when it does not match.
 *
 * <p>Skipped when {@code haproxy} is not installed. Every wait is bounded by {@link #WAIT}.
 */
class ProxyHeaderHaproxyTest {

    private static final Duration WAIT = TestSupport.WAIT;
    private static final InetSocketAddress CLIENT4 = address("192.0.2.77", 40_001);
    private static final InetSocketAddress FRONT4 = address("203.0.113.5", 443);
    private static final InetSocketAddress CLIENT6 = address("2001:db8::77", 40_002);
    private static final InetSocketAddress FRONT6 = address("2001:db8:1::5", 8443);

    @TempDir
    Path dir;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private Server server;
    private Process haproxy;
    private int port;

    /** What the glisten server's {@link OnInit} saw of a connection. */
    private record Seen(SocketAddress peer, ProxyHeader header) { }

    @BeforeEach
    void start() throws Exception {
        Optional<Path> executable = haproxy();
        Assumptions.assumeTrue(executable.isPresent(), "haproxy is not installed");
        server = Server.<Void, Void>builder(connection -> {
            seen.add(new Seen(connection.peerAddress(), connection.proxyHeader().orElseThrow()));
            return null;
        }, TestSupport.echo()).bind("127.0.0.1").proxyProtocol(ProxyProtocol.required(Version.V2)).start(0);
        // HAProxy cannot report a port the system chose, so take a free one and hand it over.
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "    maxconn 100",
                "defaults",
                "    mode tcp",
                "    timeout connect 5s",
                "    timeout client 30s",
                "    timeout server 30s",
                "frontend in",
                "    bind 127.0.0.1:" + port + " accept-proxy",
                // Relays the UNIQUE_ID TLV it received: fc_pp_unique_id reads it from our header.
                "    unique-id-format %[fc_pp_unique_id]",
                "    default_backend glisten",
                "backend glisten",
                "    server glisten 127.0.0.1:" + server.port() + " send-proxy-v2 proxy-v2-options authority,unique-id",
                ""));
        haproxy = new ProcessBuilder(executable.get().toString(), "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        awaitListening();
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
    void haproxyTakesTheClientAddressFromOurV1Header() throws Exception {
        Seen relayed = relay(ProxyHeader.proxied(CLIENT4, FRONT4).encode(Version.V1));

        assertThat(relayed.peer()).isEqualTo(CLIENT4);
        assertThat(relayed.header().destination()).contains(FRONT4);
    }

    @Test
    void haproxyTakesTheClientAddressFromOurV1Tcp6Header() throws Exception {
        Seen relayed = relay(ProxyHeader.proxied(CLIENT6, FRONT6).encode(Version.V1));

        assertThat(relayed.peer()).isEqualTo(CLIENT6);
        assertThat(relayed.header().destination()).contains(FRONT6);
    }

    @Test
    void haproxyTakesTheAddressesAndTlvsFromOurV2Header() throws Exception {
        ProxyHeader header = ProxyHeader.proxied(CLIENT6, FRONT6).withAuthority("api.example.com")
                .withUniqueId("req-42".getBytes(US_ASCII)).withCrc32c();

        Seen relayed = relay(header.encode(Version.V2));

        assertThat(relayed.peer()).isEqualTo(CLIENT6);
        assertThat(relayed.header().destination()).contains(FRONT6);
        assertThat(relayed.header().authority()).contains("api.example.com");
        assertThat(relayed.header().uniqueId()).hasValueSatisfying(id -> assertThat(new String(id, US_ASCII))
                .isEqualTo("req-42"));
    }

    @Test
    void haproxyKeepsTheConnectionsOwnAddressesForOurLocalHeader() throws Exception {
        try (Socket client = connect()) {
            Seen relayed = relay(client, ProxyHeader.local().encode(Version.V2));

            assertThat(relayed.peer()).isEqualTo(client.getLocalSocketAddress());
        }
    }

    @Test
    void haproxyDropsAHeaderWhoseChecksumWeSpoilt() throws Exception {
        byte[] bytes = ProxyHeader.proxied(CLIENT4, FRONT4).withCrc32c().encode(Version.V2);
        bytes[bytes.length - 1] ^= 1;

        try (Socket client = connect()) {
            client.getOutputStream().write(bytes);
            assertThat(client.getInputStream().read()).as("HAProxy closes the connection").isEqualTo(-1);
        } catch (SocketException reset) {
            // HAProxy may close with bytes unread, which resets the connection: closed all the same.
        }
        // The spoilt header proves the good ones were checked: nothing reached the server.
        assertThat(seen.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }

    private Seen relay(byte[] header) throws Exception {
        try (Socket client = connect()) {
            return relay(client, header);
        }
    }

    /** Sends {@code header} and a line, reads the line echoed through HAProxy, and says what the server saw. */
    private Seen relay(Socket client, byte[] header) throws Exception {
        client.getOutputStream().write(header);
        client.getOutputStream().write("hello\n".getBytes(US_ASCII));
        assertThat(readLine(client.getInputStream())).as("echoed through HAProxy; its log: %s", log())
                .isEqualTo("hello");
        Seen relayed = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(relayed).as("a connection reached the server").isNotNull();
        assertThat(relayed.header().version()).isEqualTo(2);
        assertThat(relayed.header().command()).isEqualTo(ProxyHeader.Command.PROXY);
        return relayed;
    }

    private Socket connect() throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
        client.setSoTimeout((int) WAIT.toMillis());
        return client;
    }

    private static String readLine(InputStream in) throws IOException {
        byte[] line = new byte[100];
        for (int n = 0; n < line.length; n++) {
            int b = in.read();
            if (b < 0 || b == '\n') {
                return new String(line, 0, n, US_ASCII);
            }
            line[n] = (byte) b;
        }
        return new String(line, US_ASCII);
    }

    /** Until HAProxy accepts; the probe sends no header, so HAProxy relays nothing of it. */
    private void awaitListening() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                if (!haproxy.isAlive() || System.nanoTime() - deadline > 0) {
                    fail("haproxy did not listen on " + port + ": " + log());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("haproxy.log"));
    }

    private static Optional<Path> haproxy() {
        return Stream.concat(Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":")),
                        Stream.of("/usr/sbin", "/usr/local/sbin", "/sbin"))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "haproxy")).filter(Files::isExecutable).findFirst();
    }

    private static InetSocketAddress address(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
