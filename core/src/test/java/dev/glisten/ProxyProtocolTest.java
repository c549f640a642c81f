package dev.glisten;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.ProxyProtocol.Version;
import dev.glisten.internal.proxy.ProxyV2;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROXY protocol through the public API: a raw client writes the header a proxy would, and the
 * server's {@link OnInit} reports what it sees (one line), then echoes.
 */
class ProxyProtocolTest {

    private static final InetSocketAddress CLIENT = address("192.0.2.10", 50123);
    private static final InetSocketAddress FRONT = address("198.51.100.1", 443);

    private final List<Server> servers = new ArrayList<>();
    private final List<Socket> clients = new ArrayList<>();
    private final RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();

    @AfterEach
    void tearDown() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        servers.forEach(Server::stop);
    }

    @Test
    void aV1HeaderGivesTheClientsAddressAndTheBytesAfterItArriveIntact() throws Exception {
        Server server = start(ProxyProtocol.required(Version.ANY));

        // The header and the first request in one segment: the request must not be lost.
        Socket client = connect(server, "PROXY TCP4 192.0.2.10 198.51.100.1 50123 443\r\nhello\n".getBytes(US_ASCII));

        BufferedReader lines = reader(client);
        assertThat(lines.readLine()).isEqualTo("peer=" + CLIENT + " proxy=" + client.getLocalSocketAddress()
                + " header=1/PROXY");
        assertThat(lines.readLine()).isEqualTo("hello");
        assertThat(server.connections()).singleElement().satisfies(info -> {
            assertThat(info.peerAddress()).isEqualTo(CLIENT);
            assertThat(info.proxyHeader()).hasValueSatisfying(h -> assertThat(h.destination()).contains(FRONT));
        });
    }

    @Test
    void aV1HeaderTrickledAByteAtATimeIsRead() throws Exception {
        Server server = start(ProxyProtocol.required(Version.V1));
        Socket client = connect(server, new byte[0]);
        OutputStream out = client.getOutputStream();
        for (byte b : "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n".getBytes(US_ASCII)) {
            out.write(b);
            out.flush();
        }
        out.write("after\n".getBytes(US_ASCII));

        BufferedReader lines = reader(client);
        assertThat(lines.readLine()).startsWith("peer=" + address("2001:db8::1", 1));
        assertThat(lines.readLine()).isEqualTo("after");
    }

    @Test
    void aV2HeaderWithTlvsIsReadToItsLastByteOnly() throws Exception {
        Server server = start(ProxyProtocol.required(Version.V2));
        byte[] header = ProxyV2.proxy(CLIENT, FRONT).tlv(ProxyHeader.TYPE_AUTHORITY, "api.example.com").build();

        Socket client = connect(server, concat(header, "hello\n".getBytes(US_ASCII)));

        BufferedReader lines = reader(client);
        assertThat(lines.readLine()).isEqualTo("peer=" + CLIENT + " proxy=" + client.getLocalSocketAddress()
                + " header=2/PROXY authority=api.example.com");
        assertThat(lines.readLine()).isEqualTo("hello");
    }

    @Test
    void aLocalHeaderKeepsTheSocketsOwnAddress() throws Exception {
        Server server = start(ProxyProtocol.required(Version.ANY));

        Socket client = connect(server, ProxyV2.local().build());

        assertThat(reader(client).readLine()).isEqualTo("peer=" + client.getLocalSocketAddress() + " proxy="
                + client.getLocalSocketAddress() + " header=2/LOCAL");
    }

    @Test
    void optionalModeServesAConnectionWithoutAHeaderAsADirectOne() throws Exception {
        Server server = start(ProxyProtocol.optional(Version.ANY));

        Socket direct = connect(server, "GET / HTTP/1.0\n".getBytes(US_ASCII));
        Socket proxied = connect(server, "PROXY TCP4 192.0.2.10 198.51.100.1 50123 443\r\nx\n".getBytes(US_ASCII));

        BufferedReader directLines = reader(direct);
        assertThat(directLines.readLine()).isEqualTo("peer=" + direct.getLocalSocketAddress() + " proxy=- header=-");
        assertThat(directLines.readLine()).isEqualTo("GET / HTTP/1.0");
        assertThat(reader(proxied).readLine()).startsWith("peer=" + CLIENT);
    }

    @Test
    void optionalModeGreetsASilentClientAfterTheHeaderTimeout() throws Exception {
        Server server = start(ProxyProtocol.optional(Version.ANY).withHeaderTimeout(Duration.ofMillis(200)));

        Socket silent = connect(server, new byte[0]);

        assertThat(reader(silent).readLine()).isEqualTo("peer=" + silent.getLocalSocketAddress() + " proxy=- header=-");
    }

    @Test
    void garbageIsRejectedCountedAndTheServerKeepsServing() throws Exception {
        Server server = start(ProxyProtocol.required(Version.ANY));
        byte[][] bad = {
            "GET / HTTP/1.1\r\n\r\n".getBytes(US_ASCII),
            "PROXY TCP4 192.0.2.300 198.51.100.1 1 2\r\n".getBytes(US_ASCII),
            ("PROXY UNKNOWN " + "x".repeat(120)).getBytes(US_ASCII),
            ProxyV2.proxy(CLIENT, FRONT).versionCommand(0x2F).build(),
        };
        for (byte[] bytes : bad) {
            Socket client = connect(server, bytes);
            assertThat(client.getInputStream().read()).as("closed: " + new String(bytes, US_ASCII)).isEqualTo(-1);
            RecordingOnClose.Closed<Void, Void> closed = onClose.next();
            assertThat(closed.state()).isNull();
            assertThat(closed.reason()).isInstanceOfSatisfying(CloseReason.ProxyHeaderRejected.class,
                    reason -> assertThat(reason.error()).isInstanceOf(ProtocolException.class));
            assertThat(closed.reason().isNormal()).isFalse();
        }

        assertThat(server.stats().proxyHeaderRejections()).isEqualTo(bad.length);
        // A connection is counted as closed just after its onClose returns.
        TestSupport.eventually("every rejection counted as a close",
                () -> server.stats().closed(CloseReason.ProxyHeaderRejected.class) == bad.length);
        Socket good = connect(server, "PROXY TCP4 192.0.2.10 198.51.100.1 50123 443\r\n".getBytes(US_ASCII));
        assertThat(reader(good).readLine()).startsWith("peer=" + CLIENT);
    }

    @Test
    void aHeaderThatDoesNotArriveInTimeIsRejected() throws Exception {
        Duration timeout = Duration.ofMillis(300);
        Server server = start(ProxyProtocol.required(Version.ANY).withHeaderTimeout(timeout));
        long started = System.nanoTime();

        Socket slow = connect(server, "PROXY TCP4 192.0".getBytes(US_ASCII));

        assertThat(slow.getInputStream().read()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(timeout, TestSupport.WAIT);
        assertThat(onClose.next().reason()).isInstanceOfSatisfying(CloseReason.ProxyHeaderRejected.class,
                reason -> assertThat(reason.error()).isInstanceOf(SocketTimeoutException.class));
        assertThat(server.stats().proxyHeaderRejections()).isEqualTo(1);
    }

    @Test
    void theHeaderComesBeforeTheTlsHandshake(@TempDir Path dir) throws Exception {
        TlsFixture tls = TlsFixture.make(dir);
        Server server = track(Server.<Void, Void>builder(ProxyProtocolTest::introduce, TestSupport.echo())
                .bind("127.0.0.1").tls(tls.server()).proxyProtocol(ProxyProtocol.required(Version.ANY)).start(0));

        Socket plain = connect(server, ProxyV2.proxy(CLIENT, FRONT).build());
        SSLSocket secured = (SSLSocket) tls.client().getSocketFactory().createSocket(plain, "127.0.0.1", server.port(), true);
        secured.startHandshake();
        secured.getOutputStream().write("over tls\n".getBytes(US_ASCII));

        BufferedReader lines = reader(secured);
        assertThat(lines.readLine()).startsWith("peer=" + CLIENT + " proxy=" + plain.getLocalSocketAddress());
        assertThat(lines.readLine()).isEqualTo("over tls");
    }

    @Test
    void optionalModeHandsTheBytesItLookedAtToTheTlsHandshake(@TempDir Path dir) throws Exception {
        TlsFixture tls = TlsFixture.make(dir);
        Server server = track(Server.<Void, Void>builder(ProxyProtocolTest::introduce, TestSupport.echo())
                .bind("127.0.0.1").tls(tls.server()).proxyProtocol(ProxyProtocol.optional(Version.ANY)).start(0));

        // No header: the ClientHello's first bytes were read to learn that, and must reach the handshake.
        SSLSocket secured = tls.connect(server);
        secured.getOutputStream().write("direct tls\n".getBytes(US_ASCII));

        BufferedReader lines = reader(secured);
        assertThat(lines.readLine()).isEqualTo("peer=" + secured.getLocalSocketAddress() + " proxy=- header=-");
        assertThat(lines.readLine()).isEqualTo("direct tls");
        secured.close();
    }

    @Test
    void thePerAddressLimitCountsTheProxiedAddresses() throws Exception {
        Server server = track(Server.<Void, Void>builder(ProxyProtocolTest::introduce, TestSupport.echo())
                .bind("127.0.0.1").onClose(onClose).maxConnectionsPerAddress(1)
                .proxyProtocol(ProxyProtocol.required(Version.V1)).start(0));

        Socket first = connect(server, "PROXY TCP4 192.0.2.10 198.51.100.1 1000 443\r\n".getBytes(US_ASCII));
        Socket second = connect(server, "PROXY TCP4 192.0.2.11 198.51.100.1 1000 443\r\n".getBytes(US_ASCII));
        assertThat(reader(first).readLine()).startsWith("peer=/192.0.2.10:1000");
        assertThat(reader(second).readLine()).startsWith("peer=/192.0.2.11:1000");
        Socket third = connect(server, "PROXY TCP4 192.0.2.10 198.51.100.1 2000 443\r\n".getBytes(US_ASCII));

        assertThat(third.getInputStream().read()).as("a second connection from 192.0.2.10").isEqualTo(-1);
        TestSupport.eventually("the refusal counted", () -> server.stats().rejectedPerAddress() == 1);
        assertThat(server.connectionCount()).isEqualTo(2);
        first.close();
        onClose.next();
        TestSupport.eventually("192.0.2.10's slot given back", () -> server.connectionCount() == 1);
        Socket again = connect(server, "PROXY TCP4 192.0.2.10 198.51.100.1 3000 443\r\n".getBytes(US_ASCII));
        assertThat(reader(again).readLine()).startsWith("peer=/192.0.2.10:3000");
    }

    @Test
    void theOptionsAreChecked() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProxyProtocol.required(Version.ANY)
                .withHeaderTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("headerTimeout");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProxyProtocol.required(Version.ANY)
                .withHeaderTimeout(Duration.ofMinutes(2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("headerTimeout");
        assertThat(ProxyProtocol.optional(Version.V2)).isEqualTo(new ProxyProtocol(Version.V2, false,
                ProxyProtocol.DEFAULT_HEADER_TIMEOUT));
    }

    /** One line saying what the connection sees, then nothing: the loop echoes. */
    private static Void introduce(Connection<Void> connection) throws IOException {
        String line = "peer=" + connection.peerAddress()
                + " proxy=" + connection.proxyAddress().map(String::valueOf).orElse("-")
                + " header=" + connection.proxyHeader().map(h -> h.version() + "/" + h.command()).orElse("-")
                + connection.proxyHeader().flatMap(ProxyHeader::authority).map(a -> " authority=" + a).orElse("");
        connection.send((line + "\n").getBytes(US_ASCII));
        return null;
    }

    private Server start(ProxyProtocol options) throws IOException {
        return track(Server.<Void, Void>builder(ProxyProtocolTest::introduce, TestSupport.echo())
                .bind("127.0.0.1").onClose(onClose).proxyProtocol(options).start(0));
    }

    private Server track(Server server) {
        servers.add(server);
        return server;
    }

    private Socket connect(Server server, byte[] first) throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port());
        clients.add(client);
        client.setSoTimeout((int) TestSupport.WAIT.toMillis());
        client.getOutputStream().write(first);
        return client;
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static InetSocketAddress address(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
