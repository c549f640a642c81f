package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.RecordingOnClose.Closed;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server.Builder#maxLifetime}: a connection ends that long after it was accepted, however
 * busy its peer keeps it, and each connection counts from its own start.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MaxLifetimeTest {

    private static final Duration LIFETIME = Duration.ofMillis(500);

    /**
     * Round-trips a byte every 20 ms until the server closes the connection (at most ten times the
     * lifetime); returns when that happened, in {@link System#nanoTime()}.
     */
    private static long chatUntilClosed(TestClient client) throws IOException {
        OutputStream out = client.socket().getOutputStream();
        InputStream in = client.socket().getInputStream();
        long started = System.nanoTime();
        int sent = 0;
        try {
            while (System.nanoTime() - started < 10 * LIFETIME.toNanos()) {
                out.write('x');
                sent++;
                if (in.read() < 0) {
                    return System.nanoTime();
                }
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
        } catch (IOException closed) {
            // A write after the server closed is refused (EPIPE or a reset): closed too.
            return System.nanoTime();
        }
        throw new AssertionError("the connection was still open after " + sent + " round trips");
    }

    @Test
    void aBusyConnectionEndsAtItsLifetime() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .maxLifetime(LIFETIME).onClose(onClose).bind("127.0.0.1").start(0)) {
            long beforeConnect = System.nanoTime();
            try (TestClient client = TestClient.connect(server)) {
                long closedAt = chatUntilClosed(client);
                assertThat(Duration.ofNanos(closedAt - beforeConnect)).isBetween(LIFETIME, LIFETIME.plusSeconds(2));
            }
            Closed<Void, Void> closed = onClose.next();
            assertThat(closed.reason()).isEqualTo(new CloseReason.LifetimeEnded(LIFETIME));
            assertThat(closed.reason().isNormal()).isTrue();
            onClose.assertNoMoreCalls();
            assertThat(server.stats().closed(CloseReason.LifetimeEnded.class)).isEqualTo(1);
        }
    }

    @Test
    void aPeerThatStreamsWithoutPauseStillEndsAtItsLifetime() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        Handler<Void, Void> discard = (state, message, connection) -> Next.continueWith(state);
        try (Server server = Server.<Void, Void>builder(connection -> null, discard)
                .maxLifetime(LIFETIME).onClose(onClose).bind("127.0.0.1").start(0)) {
            long beforeConnect = System.nanoTime();
            try (TestClient client = TestClient.connect(server)) {
                OutputStream out = client.socket().getOutputStream();
                byte[] chunk = new byte[1024];
                long writtenUntil = -1;
                try {
                    while (System.nanoTime() - beforeConnect < 10 * LIFETIME.toNanos()) {
                        out.write(chunk);
                    }
                } catch (IOException closedByTheServer) {
                    writtenUntil = System.nanoTime();
                }
                assertThat(writtenUntil).as("the server closed the streaming connection").isNotEqualTo(-1);
                assertThat(Duration.ofNanos(writtenUntil - beforeConnect)).isBetween(LIFETIME, LIFETIME.plusSeconds(2));
            }
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.LifetimeEnded(LIFETIME));
            onClose.assertNoMoreCalls();
        }
    }

    @Test
    void eachConnectionCountsFromItsOwnStartAndTheIdleTimeoutStillApplies() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        Duration idle = Duration.ofMillis(300);
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .maxLifetime(LIFETIME).idleTimeout(idle).onClose(onClose).bind("127.0.0.1").start(0)) {
            long firstConnected = System.nanoTime();
            TestClient first = TestClient.connect(server);
            TestClient idler = TestClient.connect(server);
            LockSupport.parkNanos(LIFETIME.toNanos() / 2);
            long secondConnected = System.nanoTime();
            TestClient second = TestClient.connect(server);
            Map<SocketAddress, CloseReason> expected = Map.of(
                    first.socket().getLocalSocketAddress(), new CloseReason.LifetimeEnded(LIFETIME),
                    second.socket().getLocalSocketAddress(), new CloseReason.LifetimeEnded(LIFETIME),
                    idler.socket().getLocalSocketAddress(), new CloseReason.IdleTimedOut(idle));
            try (first; idler; second) {
                FutureTask<Long> secondChat = new FutureTask<>(() -> chatUntilClosed(second));
                Thread.ofVirtual().start(secondChat);
                long firstClosed = chatUntilClosed(first);
                long secondClosed = secondChat.get(10, TimeUnit.SECONDS);
                assertThat(Duration.ofNanos(firstClosed - firstConnected)).isBetween(LIFETIME, LIFETIME.plusSeconds(2));
                assertThat(Duration.ofNanos(secondClosed - secondConnected)).isBetween(LIFETIME, LIFETIME.plusSeconds(2));
                idler.assertClosedByServer();
            }
            Map<SocketAddress, CloseReason> reasons = onClose.next(3).stream()
                    .collect(Collectors.toMap(each -> each.connection().peerAddress(), Closed::reason));
            onClose.assertNoMoreCalls();
            assertThat(reasons).isEqualTo(expected);
        }
    }
}
