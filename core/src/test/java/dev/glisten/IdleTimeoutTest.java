package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.RecordingOnClose.Closed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server.Builder#idleTimeout}: a connection whose peer sends nothing for the timeout ends
 * with {@link CloseReason.IdleTimedOut}; one whose peer keeps sending lives on; handling
 * {@link Message.User} messages does not count as the peer being alive, however many arrive.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IdleTimeoutTest {

    private static final Duration IDLE = Duration.ofMillis(300);
    /** Leeway below the timeout for the time between the server's read and the client's clock. */
    private static final Duration EARLIEST = IDLE.minusMillis(100);
    private static final Duration LATEST = Duration.ofSeconds(3);
    /** How long the loop takes over a packet starting with "slow": twice the idle timeout. */
    private static final Duration SLOW_CALL = IDLE.multipliedBy(2);

    private final RecordingOnClose<Void, String> onClose = new RecordingOnClose<>();
    private final BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
    private final AtomicInteger userMessages = new AtomicInteger();
    private final List<Server> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(Server::stop);
    }

    /**
     * Echoes packets (taking {@link #SLOW_CALL} over one that starts with "slow"); writes each {@link Message.User} to the peer after spending {@code perMessage}
     * on it, as a chat member relays broadcasts.
     */
    private Server start(Duration perMessage) throws IOException {
        Handler<Void, String> handler = (state, message, connection) -> {
            switch (message) {
                case Message.Packet<String> packet -> {
                    if (packet.text(StandardCharsets.US_ASCII).startsWith("slow")) {
                        Thread.sleep(SLOW_CALL);
                    }
                    connection.send(packet.bytes());
                }
                case Message.User<String> user -> {
                    userMessages.incrementAndGet();
                    if (!perMessage.isZero()) {
                        Thread.sleep(perMessage);
                    }
                    connection.send(user.message().getBytes(StandardCharsets.US_ASCII));
                }
                case Message.ShuttingDown<String> notice -> { }
                case Message.EndOfInput<String> end -> { }
            }
            return Next.continueWith(state);
        };
        Server server = Server.<Void, String>builder(connection -> {
                    handles.add(connection.handle());
                    return null;
                }, handler)
                .idleTimeout(IDLE).onClose(onClose).bind("127.0.0.1").start(0);
        servers.add(server);
        return server;
    }

    private ConnectionHandle<String> nextHandle() throws InterruptedException {
        ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
        assertThat(handle).as("a connection's handle from onInit").isNotNull();
        return handle;
    }

    /** Blocks until the server closes {@code client}; returns how long that took. */
    private static Duration timeUntilClosed(TestClient client, long since) throws IOException {
        client.assertClosedByServer();
        return Duration.ofNanos(System.nanoTime() - since);
    }

    @Test
    void anIdleConnectionEndsAfterTheTimeout() throws Exception {
        Server server = start(Duration.ZERO);
        try (TestClient client = TestClient.connect(server)) {
            assertThat(client.roundTrip("hello")).isEqualTo("hello");
            long lastSent = System.nanoTime();
            assertThat(timeUntilClosed(client, lastSent)).isBetween(EARLIEST, LATEST);
        }
        Closed<Void, String> closed = onClose.next();
        assertThat(closed.reason()).isEqualTo(new CloseReason.IdleTimedOut(IDLE));
        assertThat(closed.reason().isNormal()).isTrue();
        onClose.assertNoMoreCalls();
        assertThat(server.stats().closed(CloseReason.IdleTimedOut.class)).isEqualTo(1);
        assertThat(server.connectionCount()).isZero();
    }

    @Test
    void aConnectionThatKeepsSendingSurvivesWhileAnIdleOneEnds() throws Exception {
        Server server = start(Duration.ZERO);
        try (TestClient busy = TestClient.connect(server); TestClient idle = TestClient.connect(server)) {
            assertThat(busy.roundTrip("hello")).isEqualTo("hello");
            assertThat(idle.roundTrip("hello")).isEqualTo("hello");
            // Five times the timeout, a byte every sixth of it.
            long started = System.nanoTime();
            while (System.nanoTime() - started < 5 * IDLE.toNanos()) {
                assertThat(busy.roundTrip("x")).isEqualTo("x");
                LockSupport.parkNanos(IDLE.toNanos() / 6);
            }
            idle.assertClosedByServer();
            Closed<Void, String> first = onClose.next();
            assertThat(first.connection().peerAddress()).isEqualTo(idle.socket().getLocalSocketAddress());
            assertThat(first.reason()).isEqualTo(new CloseReason.IdleTimedOut(IDLE));
            assertThat(busy.roundTrip("still here")).isEqualTo("still here");

            long lastSent = System.nanoTime();
            assertThat(timeUntilClosed(busy, lastSent)).isBetween(EARLIEST, LATEST);
            Closed<Void, String> second = onClose.next();
            assertThat(second.connection().peerAddress()).isEqualTo(busy.socket().getLocalSocketAddress());
            assertThat(second.reason()).isEqualTo(new CloseReason.IdleTimedOut(IDLE));
        }
        onClose.assertNoMoreCalls();
    }

    @Test
    void bytesThatArriveWhileTheLoopIsBusyCountAsThePeerBeingAlive() throws Exception {
        Server server = start(Duration.ZERO);
        try (TestClient client = TestClient.connect(server)) {
            client.write("slow");
            // Arrives while the loop is still busy with "slow", well within the idle timeout of it.
            LockSupport.parkNanos(IDLE.toNanos() / 3);
            client.write("x");
            assertThat(client.readString(5)).as("both answered, the connection kept").isEqualTo("slowx");
            assertThat(client.roundTrip("still open")).isEqualTo("still open");
            long lastSent = System.nanoTime();
            assertThat(timeUntilClosed(client, lastSent)).isBetween(EARLIEST, LATEST);
        }
        assertThat(onClose.next().reason()).isEqualTo(new CloseReason.IdleTimedOut(IDLE));
        onClose.assertNoMoreCalls();
        assertThat(server.connectionCount()).isZero();
    }

    @Test
    void userMessagesDoNotKeepAConnectionAlive() throws Exception {
        assertBroadcastsDoNotKeepAlive(Duration.ZERO, Duration.ofMillis(20));
    }

    @Test
    void userMessagesArrivingFasterThanTheyAreHandledDoNotKeepAConnectionAlive() throws Exception {
        // The mailbox never empties: the time spent handling it must not count as the peer being alive.
        assertBroadcastsDoNotKeepAlive(Duration.ofMillis(30), Duration.ofMillis(5));
    }

    /**
     * A broadcaster sends the connection a message every {@code period} for up to ten times the
     * timeout while the peer says nothing after its first request; the connection must still end
     * at the idle timeout.
     */
    private void assertBroadcastsDoNotKeepAlive(Duration perMessage, Duration period) throws Exception {
        Server server = start(perMessage);
        try (TestClient client = TestClient.connect(server)) {
            assertThat(client.roundTrip("hello")).isEqualTo("hello");
            long lastSent = System.nanoTime();
            ConnectionHandle<String> handle = nextHandle();
            Thread broadcaster = Thread.ofVirtual().start(() -> {
                long started = System.nanoTime();
                while (System.nanoTime() - started < 10 * IDLE.toNanos() && handle.send("tick\n")) {
                    LockSupport.parkNanos(period.toNanos());
                }
            });
            InputStream in = client.socket().getInputStream();
            byte[] received = in.readAllBytes();
            Duration tookToClose = Duration.ofNanos(System.nanoTime() - lastSent);
            assertThat(new String(received, StandardCharsets.US_ASCII)).as("what the broadcasts wrote").contains("tick\n");
            // Without a check between messages, the backlog alone would keep it open for seconds.
            assertThat(tookToClose).isBetween(EARLIEST, IDLE.plusMillis(1700));
            assertThat(broadcaster.join(Duration.ofSeconds(10))).isTrue();
        }
        Closed<Void, String> closed = onClose.next();
        assertThat(closed.reason()).isEqualTo(new CloseReason.IdleTimedOut(IDLE));
        assertThat(userMessages.get()).as("user messages handled").isGreaterThan(3);
        onClose.assertNoMoreCalls();
    }
}
