package dev.glisten;

import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Server#connections()} shows each open connection as it is (addresses, age, bytes each way)
 * with a handle that reaches it, so a test can broadcast through it; {@link Server#stats()} counts
 * exactly what the test did: connections accepted and open, ends by kind of reason, bytes, TLS
 * handshakes.
 *
 * <p>The loop echoes packets, writes {@link Message.User} messages to its peer, stops on
 * {@code quit} and throws on {@code boom}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LiveViewAndStatsTest {

    private final RecordingOnClose<Void, String> onClose = new RecordingOnClose<>();
    private final List<TestClient> clients = new ArrayList<>();
    private final List<Server> servers = new ArrayList<>();

    @AfterEach
    void closeEverything() throws IOException {
        for (TestClient client : clients) {
            client.close();
        }
        servers.forEach(Server::stop);
    }

    private static Handler<Void, String> handler() {
        return (state, message, connection) -> {
            switch (message) {
                case Message.Packet<String> packet -> {
                    String text = packet.text(StandardCharsets.US_ASCII);
                    if (text.equals("quit")) {
                        return Next.stop();
                    }
                    if (text.equals("boom")) {
                        throw new IllegalStateException("boom (thrown on purpose by the test)");
                    }
                    connection.send(packet.bytes());
                }
                case Message.User<String> user -> connection.send(user.message().getBytes(StandardCharsets.US_ASCII));
                case Message.ShuttingDown<String> notice -> { }
                case Message.EndOfInput<String> end -> { }
            }
            return Next.continueWith(state);
        };
    }

    private Server start(Server.Builder<Void, String> builder) throws IOException {
        Server server = builder.onClose(onClose).bind("127.0.0.1").start(0);
        servers.add(server);
        return server;
    }

    private TestClient connectFrom(Server server, String from) throws IOException {
        TestClient client = TestClient.connect(TestSupport.loopback4(server), socket -> {
            try {
                socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        clients.add(client);
        return client;
    }

    private static Map<SocketAddress, ConnectionInfo<String>> byPeer(List<ConnectionInfo<String>> infos) {
        return infos.stream().collect(Collectors.toMap(ConnectionInfo::peerAddress, Function.identity()));
    }

    /** The live view once every connection's counters show {@code sentAndReceived} each way. */
    private static Map<SocketAddress, ConnectionInfo<String>> viewOnceCounted(Server server,
            Map<SocketAddress, Integer> sentAndReceived) {
        // A send is counted just after the kernel took the bytes, so the peer may read them first.
        eventually("the view counts " + sentAndReceived, () -> {
            Map<SocketAddress, ConnectionInfo<String>> view = byPeer(server.connections());
            return view.keySet().equals(sentAndReceived.keySet()) && sentAndReceived.entrySet().stream().allMatch(each ->
                    view.get(each.getKey()).bytesReceived() == each.getValue()
                            && view.get(each.getKey()).bytesSent() == each.getValue());
        });
        return byPeer(server.connections());
    }

    @Test
    void theLiveViewShowsEachConnectionAndItsHandleReachesIt() throws Exception {
        Server server = start(Server.builder(connection -> null, handler()));
        Instant before = Instant.now();
        TestClient one = connectFrom(server, "127.0.0.1");
        TestClient two = connectFrom(server, "127.0.0.2");
        TestClient three = connectFrom(server, "127.0.0.1");
        assertThat(one.roundTrip("a".repeat(100))).hasSize(100);
        assertThat(two.roundTrip("b".repeat(200))).hasSize(200);
        assertThat(three.roundTrip("c".repeat(300))).hasSize(300);
        Instant connected = Instant.now();
        SocketAddress onePeer = one.socket().getLocalSocketAddress();
        SocketAddress twoPeer = two.socket().getLocalSocketAddress();
        SocketAddress threePeer = three.socket().getLocalSocketAddress();

        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        Map<SocketAddress, ConnectionInfo<String>> view = viewOnceCounted(server,
                Map.of(onePeer, 100, twoPeer, 200, threePeer, 300));
        Instant viewed = Instant.now();
        assertThat(((InetSocketAddress) view.get(twoPeer).peerAddress()).getHostString()).isEqualTo("127.0.0.2");
        for (ConnectionInfo<String> info : view.values()) {
            assertThat(info.localAddress()).isEqualTo(server.address());
            assertThat(info.openedAt()).isBetween(before, connected);
            assertThat(info.age()).isGreaterThanOrEqualTo(Duration.ofMillis(100))
                    .isLessThanOrEqualTo(Duration.between(before, Instant.now()));
            assertThat(info.tls()).isEmpty();
            assertThat(info.handle().isOpen()).isTrue();
            assertThat(info.handle().peerAddress()).isEqualTo(info.peerAddress());
        }
        assertThat(Duration.between(before, viewed)).isPositive();

        // Broadcast through the handles of the view.
        for (ConnectionInfo<String> info : view.values()) {
            assertThat(info.handle().send("news for all\n")).isTrue();
        }
        for (TestClient client : List.of(one, two, three)) {
            assertThat(client.readString(13)).isEqualTo("news for all\n");
        }
        eventually("the view counts the broadcast", () -> server.<String>connections().stream()
                .allMatch(info -> info.bytesSent() == info.bytesReceived() + 13));
        Map<SocketAddress, ConnectionInfo<String>> afterBroadcast = byPeer(server.connections());
        assertThat(afterBroadcast.get(onePeer).bytesSent()).isEqualTo(113);
        assertThat(afterBroadcast.get(onePeer).bytesReceived()).isEqualTo(100);
        assertThat(afterBroadcast.get(threePeer).bytesSent()).isEqualTo(313);
        assertThat(view.get(onePeer).bytesSent()).as("a snapshot does not change").isEqualTo(100);

        // A connection that ends leaves the view; handles from an older view then refuse messages.
        two.close();
        eventually("the closed connection left the view", () -> server.connections().size() == 2);
        assertThat(byPeer(server.connections())).containsOnlyKeys(onePeer, threePeer);
        assertThat(view.get(twoPeer).handle().isOpen()).isFalse();
        assertThat(view.get(twoPeer).handle().send("too late\n")).isFalse();

        // A handle from the view closes its connection.
        view.get(threePeer).handle().close();
        three.assertClosedByServer();
        eventually("the closed connection left the view", () -> server.connections().size() == 1);
        assertThat(onClose.next(2)).extracting(RecordingOnClose.Closed::reason)
                .containsExactlyInAnyOrder(new CloseReason.PeerClosed(), new CloseReason.ClosedLocally());
    }

    @Test
    void statsCountWhatHappened() throws Exception {
        Server server = start(Server.builder(connection -> null, handler()));
        ServerStats fresh = server.stats();
        assertThat(fresh).isEqualTo(new ServerStats(0, 0, Map.of(), 0, 0, 0, 0, 0, 0, 0, 0, 0));

        long received = 0;
        long sent = 0;
        TestClient leaving = connectFrom(server, "127.0.0.1");
        assertThat(leaving.roundTrip("hello")).isEqualTo("hello");
        received += 5;
        sent += 5;
        leaving.close();

        TestClient quitting = connectFrom(server, "127.0.0.1");
        assertThat(quitting.roundTrip("x".repeat(1000))).hasSize(1000);
        received += 1000;
        sent += 1000;
        quitting.write("quit");
        received += 4;
        quitting.assertClosedByServer();

        TestClient failing = connectFrom(server, "127.0.0.1");
        failing.write("boom");
        received += 4;
        failing.assertClosedByServer();

        TestClient closedByTheServer = connectFrom(server, "127.0.0.1");
        assertThat(closedByTheServer.roundTrip("close me")).isEqualTo("close me");
        received += 8;
        sent += 8;
        eventually("only that connection open", () -> server.connections().size() == 1);
        server.<String>connections().get(0).handle().close();
        closedByTheServer.assertClosedByServer();

        TestClient staying = connectFrom(server, "127.0.0.1");
        assertThat(staying.roundTrip("y".repeat(20_000))).hasSize(20_000);
        received += 20_000;
        sent += 20_000;
        eventually("only that connection open", () -> server.connections().size() == 1);
        assertThat(server.<String>connections().get(0).handle().send("broadcast")).isTrue();
        assertThat(staying.readString(9)).isEqualTo("broadcast");

        TestClient peerLeft = connectFrom(server, "127.0.0.2");
        peerLeft.close();

        onClose.next(5);
        long expectedReceived = received;
        long expectedSent = sent + "broadcast".length();
        eventually("every ended connection is counted", () -> server.stats().closedTotal() == 5);
        eventually("the bytes are counted", () -> server.stats().bytesSent() == expectedSent);
        ServerStats stats = server.stats();
        assertThat(stats.activeConnections()).isEqualTo(1);
        assertThat(stats.acceptedConnections()).isEqualTo(6);
        assertThat(stats.closedConnections()).isEqualTo(Map.of(
                CloseReason.PeerClosed.class, 2L,
                CloseReason.Stopped.class, 1L,
                CloseReason.HandlerFailed.class, 1L,
                CloseReason.ClosedLocally.class, 1L));
        assertThat(stats.closedTotal()).isEqualTo(5);
        assertThat(stats.bytesReceived()).isEqualTo(expectedReceived);
        assertThat(stats.bytesSent()).isEqualTo(expectedSent);
        assertThat(stats.rejectedPerAddress()).isZero();
        assertThat(stats.limitPauses()).isZero();
        assertThat(stats.tlsHandshakes()).isZero();
        assertThat(stats.tlsHandshakeFailures()).isZero();
        assertThat(stats.acceptErrors()).isZero();
    }

    @Test
    void tlsHandshakesAndFailuresAreCountedAndBytesAreThePlainText(@TempDir Path dir) throws Exception {
        TlsFixture tls = TlsFixture.make(dir);
        Server server = start(Server.<Void, String>builder(connection -> null, handler()).tls(tls.server()));
        try (SSLSocket secure = tls.connect(server)) {
            byte[] request = "x".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
            secure.getOutputStream().write(request);
            secure.getOutputStream().flush();
            assertThat(secure.getInputStream().readNBytes(request.length)).isEqualTo(request);

            TestClient plain = connectFrom(server, "127.0.0.1");
            plain.write("GET / HTTP/1.0\r\n\r\n");
            // The server answers with an alert record (content type 21), then closes.
            assertThat(plain.socket().getInputStream().readAllBytes()).startsWith((byte) 21);
            RecordingOnClose.Closed<Void, String> failed = onClose.next();
            assertThat(failed.reason()).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            eventually("the failed connection left the view", () -> server.connections().size() == 1);

            ConnectionInfo<String> info = server.<String>connections().get(0);
            assertThat(info.peerAddress()).isEqualTo(secure.getLocalSocketAddress());
            assertThat(info.tls()).hasValueSatisfying(negotiated ->
                    assertThat(negotiated.protocol()).isEqualTo(secure.getSession().getProtocol()));
            eventually("the echo is counted", () -> server.<String>connections().get(0).bytesSent() == 10_000);
            assertThat(server.<String>connections().get(0).bytesReceived()).as("plain text, not records").isEqualTo(10_000);

            eventually("the failed handshake is counted", () -> server.stats().closedTotal() == 1);
            ServerStats stats = server.stats();
            assertThat(stats.tlsHandshakes()).isEqualTo(1);
            assertThat(stats.tlsHandshakeFailures()).isEqualTo(1);
            assertThat(stats.closedConnections()).isEqualTo(Map.of(CloseReason.TlsHandshakeFailed.class, 1L));
            assertThat(stats.acceptedConnections()).isEqualTo(2);
            assertThat(stats.activeConnections()).isEqualTo(1);
            assertThat(stats.bytesReceived()).isEqualTo(10_000);
            assertThat(stats.bytesSent()).isEqualTo(10_000);
        }
    }
}
