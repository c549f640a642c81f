package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server.Builder#maxConnections} and {@link Server.Builder#maxConnectionsPerAddress}: at the
 * limit new clients wait in the backlog and are admitted one for one as others leave; the limit can
 * change on a running server; a client beyond its address's cap is closed at once and counted,
 * without touching other addresses.
 *
 * <p>The server greets each connection from {@code onInit}, so a client knows it was admitted
 * (accepted and started) when the greeting arrives; a client in the backlog reads nothing.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConnectionLimitTest {

    private static final byte[] GREETING = "hi".getBytes(StandardCharsets.US_ASCII);
    /** How long to watch for an admission that must not happen. */
    private static final Duration QUIET = Duration.ofMillis(300);

    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicInteger initialized = new AtomicInteger();
    private final List<TestClient> clients = new ArrayList<>();
    private final List<Server> servers = new ArrayList<>();

    @AfterEach
    void closeEverything() throws IOException {
        for (TestClient client : clients) {
            client.close();
        }
        servers.forEach(Server::stop);
    }

    /** A server on 127.0.0.1 that greets, echoes, and counts how many connections are open at once. */
    private Server start(Server.Builder<Void, Void> builder) throws IOException {
        Server server = builder.onClose((state, reason, connection) -> open.decrementAndGet()).bind("127.0.0.1").start(0);
        servers.add(server);
        return server;
    }

    private Server.Builder<Void, Void> greeter() {
        return Server.<Void, Void>builder(connection -> {
            initialized.incrementAndGet();
            peak.accumulateAndGet(open.incrementAndGet(), Math::max);
            connection.send(GREETING);
            return null;
        }, TestSupport.echo());
    }

    /** Connects from {@code from} (a loopback address) without waiting for the greeting. */
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

    private TestClient admittedFrom(Server server, String from) throws IOException {
        TestClient client = connectFrom(server, from);
        assertThat(client.read(GREETING.length)).as("greeting").isEqualTo(GREETING);
        return client;
    }

    /** Clients that have been greeted, in the order the greetings came. */
    private static final class Admissions {
        private final BlockingQueue<TestClient> admitted = new LinkedBlockingQueue<>();

        /** Reads each client's greeting on its own thread; a client never admitted just times out. */
        void watch(TestClient client) throws IOException {
            client.socket().setSoTimeout(30_000);
            Thread.ofVirtual().start(() -> {
                try {
                    if (client.socket().getInputStream().readNBytes(GREETING.length).length == GREETING.length) {
                        admitted.add(client);
                    }
                } catch (IOException closedByTheTest) {
                    // The test closed the client at its end.
                }
            });
        }

        List<TestClient> next(int n) throws InterruptedException {
            List<TestClient> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TestClient client = admitted.poll(10, TimeUnit.SECONDS);
                assertThat(client).as("admission " + (i + 1) + " of " + n).isNotNull();
                list.add(client);
            }
            return list;
        }

        void assertNoneFor(Duration quiet) throws InterruptedException {
            assertThat(admitted.poll(quiet.toMillis(), TimeUnit.MILLISECONDS))
                    .as("a client admitted beyond the limit").isNull();
        }
    }

    @Test
    void theLimitHoldsUnderAFloodAndAdmitsOneForEachThatLeaves() throws Exception {
        Server server = start(greeter().maxConnections(3));
        Admissions admissions = new Admissions();
        // The kernel completes every handshake (the backlog is 1024); the server takes only three.
        for (int i = 0; i < 12; i++) {
            admissions.watch(connectFrom(server, "127.0.0.1"));
        }
        List<TestClient> served = new ArrayList<>(admissions.next(3));
        admissions.assertNoneFor(QUIET);
        assertThat(server.connectionCount()).isEqualTo(3);
        assertThat(peak).as("most connections open at once").hasValue(3);
        ServerStats stats = server.stats();
        assertThat(stats.activeConnections()).isEqualTo(3);
        assertThat(stats.acceptedConnections()).as("the rest wait unaccepted in the backlog").isEqualTo(3);
        assertThat(stats.limitPauses()).isPositive();
        for (TestClient client : served) {
            assertThat(client.roundTrip("still served")).isEqualTo("still served");
        }

        served.remove(0).close();
        served.addAll(admissions.next(1));
        admissions.assertNoneFor(QUIET);
        assertThat(peak).hasValue(3);
        assertThat(server.stats().acceptedConnections()).isEqualTo(4);
        assertThat(server.stats().closed(CloseReason.PeerClosed.class)).isEqualTo(1);
        assertThat(server.connectionCount()).isEqualTo(3);
    }

    @Test
    void changingTheLimitOnARunningServerTakesEffect() throws Exception {
        Server server = start(greeter().maxConnections(2));
        Admissions admissions = new Admissions();
        for (int i = 0; i < 10; i++) {
            admissions.watch(connectFrom(server, "127.0.0.1"));
        }
        List<TestClient> served = new ArrayList<>(admissions.next(2));
        admissions.assertNoneFor(QUIET);

        // Raised: the waiting clients are taken at once, up to the new limit.
        server.maxConnections(5);
        served.addAll(admissions.next(3));
        admissions.assertNoneFor(QUIET);
        assertThat(peak).hasValue(5);
        assertThat(server.connectionCount()).isEqualTo(5);

        // Lowered below the number open: none is closed, and none is admitted until fewer remain than the new limit.
        server.maxConnections(1);
        admissions.assertNoneFor(QUIET);
        assertThat(server.connectionCount()).isEqualTo(5);
        for (TestClient client : served) {
            assertThat(client.roundTrip("kept")).isEqualTo("kept");
        }
        for (int i = 0; i < 4; i++) {
            served.remove(0).close();
        }
        TestSupport.eventually("four connections ended", () -> server.connectionCount() == 1);
        admissions.assertNoneFor(QUIET);
        served.remove(0).close();
        admissions.next(1);
        admissions.assertNoneFor(QUIET);
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(peak).hasValue(5);
        assertThat(server.stats().acceptedConnections()).isEqualTo(6);

        assertThatThrownBy(() -> server.maxConnections(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConnections");
    }

    @Test
    void theCapPerAddressClosesTheExtraConnectionAndSparesOtherAddresses() throws Exception {
        Server server = start(greeter().maxConnectionsPerAddress(2));
        admittedFrom(server, "127.0.0.1");
        TestClient second = admittedFrom(server, "127.0.0.1");

        TestClient third = connectFrom(server, "127.0.0.1");
        long started = System.nanoTime();
        third.assertClosedByServer();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("closed at once").isLessThan(Duration.ofSeconds(2));
        assertThat(server.stats().rejectedPerAddress()).isEqualTo(1);
        assertThat(initialized).as("onInit never ran for the refused connection").hasValue(2);

        // 127.0.0.2 is another client as far as the server can tell, with a cap of its own.
        TestClient other = admittedFrom(server, "127.0.0.2");
        assertThat(other.roundTrip("from elsewhere")).isEqualTo("from elsewhere");
        admittedFrom(server, "127.0.0.2");
        connectFrom(server, "127.0.0.2").assertClosedByServer();
        assertThat(server.stats().rejectedPerAddress()).isEqualTo(2);
        assertThat(second.roundTrip("untouched")).isEqualTo("untouched");

        // A place freed on 127.0.0.1 is available again.
        second.close();
        TestSupport.eventually("the connection ended", () -> server.connectionCount() == 3);
        assertThat(admittedFrom(server, "127.0.0.1").roundTrip("admitted again")).isEqualTo("admitted again");

        ServerStats stats = server.stats();
        assertThat(stats.acceptedConnections()).as("accepted, refused ones included").isEqualTo(7);
        assertThat(stats.activeConnections()).isEqualTo(4);
        assertThat(stats.rejectedPerAddress()).isEqualTo(2);
        assertThat(stats.closedConnections()).as("refused connections never ran, so no close is counted")
                .isEqualTo(Map.of(CloseReason.PeerClosed.class, 1L));
        assertThat(stats.acceptedConnections())
                .isEqualTo(stats.activeConnections() + stats.closedTotal() + stats.rejectedPerAddress());
        assertThat(initialized).hasValue(5);
        assertThat(server.connections()).extracting(info -> ((InetSocketAddress) info.peerAddress()).getHostString())
                .containsExactlyInAnyOrder("127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2");
    }
}
