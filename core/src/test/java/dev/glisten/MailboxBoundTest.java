package dev.glisten;

import static dev.glisten.TestSupport.await;
import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection's mailbox is bounded: a sender learns at once whether its message was queued, sees
 * the backlog, and the overflow policy closes the connection or refuses the message.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MailboxBoundTest {

    /** A server whose loop blocks on its first user message until {@code release} opens. */
    private static Server stuck(MailboxOverflow policy, int capacity, CountDownLatch handling,
            CountDownLatch release, BlockingQueue<Integer> delivered, RecordingOnClose<Void, Integer> onClose,
            BlockingQueue<ConnectionHandle<Integer>> handles) throws Exception {
        return Server.<Void, Integer>builder(connection -> {
            handles.add(connection.handle());
            return null;
        }, (state, message, connection) -> {
            if (message instanceof Message.User<Integer> user) {
                delivered.add(user.message());
                handling.countDown();
                if (!release.await(20, TimeUnit.SECONDS)) {
                    throw new AssertionError("never released");
                }
            }
            return Next.continueWith(state);
        }).onClose(onClose).mailboxCapacity(capacity).mailboxOverflow(policy).bind("127.0.0.1").start(0);
    }

    @Test
    void aFullMailboxClosesTheConnectionByDefault() throws Exception {
        CountDownLatch handling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Integer> delivered = new LinkedBlockingQueue<>();
        BlockingQueue<ConnectionHandle<Integer>> handles = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Integer> onClose = new RecordingOnClose<>();
        try (Server server = stuck(MailboxOverflow.CLOSE, 3, handling, release, delivered, onClose, handles);
                TestClient client = TestClient.connect(server)) {
            ConnectionHandle<Integer> handle = handles.poll(10, TimeUnit.SECONDS);
            assertThat(handle.send(0)).isTrue();
            await(handling, "the loop to take the first message");
            List<Boolean> queued = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                queued.add(handle.send(i));
            }
            assertThat(queued).containsExactly(true, true, true, false, false);
            assertThat(handle.backlog()).isEqualTo(3);
            release.countDown();
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.MailboxOverflowed(3));
            client.assertClosedByServer();
            assertThat(delivered).containsExactly(0);
            assertThat(handle.backlog()).isZero();
            assertThat(server.stats().mailboxOverflows()).isEqualTo(1);
            // Counted once onClose has returned, a moment after the recorder saw it.
            eventually("the close counted", () -> server.stats().closed(CloseReason.MailboxOverflowed.class) == 1);
        }
    }

    @Test
    void underRefuseTheMessageIsDroppedAndTheConnectionGoesOn() throws Exception {
        CountDownLatch handling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Integer> delivered = new LinkedBlockingQueue<>();
        BlockingQueue<ConnectionHandle<Integer>> handles = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Integer> onClose = new RecordingOnClose<>();
        try (Server server = stuck(MailboxOverflow.REFUSE, 2, handling, release, delivered, onClose, handles);
                TestClient client = TestClient.connect(server)) {
            ConnectionHandle<Integer> handle = handles.poll(10, TimeUnit.SECONDS);
            handle.send(0);
            await(handling, "the loop to take the first message");
            List<Boolean> queued = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                queued.add(handle.send(i));
            }
            assertThat(queued).containsExactly(true, true, false, false);
            assertThat(handle.backlog()).isEqualTo(2);
            release.countDown();
            eventually("the queued messages to be delivered", () -> delivered.size() == 3);
            assertThat(delivered).containsExactly(0, 1, 2);
            assertThat(handle.isOpen()).isTrue();
            assertThat(handle.send(5)).as("room again once the backlog is handled").isTrue();
            eventually("the later message to be delivered", () -> delivered.size() == 4);
            assertThat(server.stats().mailboxOverflows()).isEqualTo(2);
        } catch (AssertionError e) {
            release.countDown();
            throw e;
        }
    }

    @Test
    void manySendersNeverQueueMoreThanTheBound() throws Exception {
        CountDownLatch handling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Integer> delivered = new LinkedBlockingQueue<>();
        BlockingQueue<ConnectionHandle<Integer>> handles = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Integer> onClose = new RecordingOnClose<>();
        try (Server server = stuck(MailboxOverflow.REFUSE, 100, handling, release, delivered, onClose, handles);
                TestClient client = TestClient.connect(server)) {
            ConnectionHandle<Integer> handle = handles.poll(10, TimeUnit.SECONDS);
            handle.send(-1);
            await(handling, "the loop to take the first message");
            int senders = 8;
            int each = 1000;
            java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < each; i++) {
                        if (handle.send(i)) {
                            accepted.incrementAndGet();
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                assertThat(thread.join(java.time.Duration.ofSeconds(10))).isTrue();
            }
            assertThat(accepted.get()).isEqualTo(100);
            assertThat(handle.backlog()).isEqualTo(100);
            assertThat(server.stats().mailboxOverflows()).isEqualTo(senders * each - 100);
            release.countDown();
            eventually("every queued message delivered", () -> delivered.size() == 101);
        } finally {
            release.countDown();
        }
    }

    @Test
    void anOverflowCutsShortASendThatWaitsForAPeerThatDoesNotRead() throws Exception {
        BlockingQueue<ConnectionHandle<Integer>> handles = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Integer> onClose = new RecordingOnClose<>();
        byte[] chunk = new byte[1 << 20];
        // Each message makes the loop send 1 MiB to a client that never reads: the second one
        // waits for room, for the default send timeout of 30 s, unless the overflow cuts it short.
        try (Server server = Server.<Void, Integer>builder(connection -> {
            handles.add(connection.handle());
            return null;
        }, (state, message, connection) -> {
            if (message instanceof Message.User<Integer>) {
                connection.send(chunk);
            }
            return Next.continueWith(state);
        }).onClose(onClose).mailboxCapacity(2).socketOptions(o -> o.sendBufferSize(64 * 1024))
                .bind("127.0.0.1").start(0);
                TestClient client = TestClient.connect(server)) {
            client.socket().setReceiveBufferSize(4096);
            ConnectionHandle<Integer> handle = handles.poll(10, TimeUnit.SECONDS);
            long started = System.nanoTime();
            boolean overflowed = false;
            // Bounded: at most a few messages before the mailbox, stuck behind the send, overflows.
            for (int i = 0; i < 100 && !overflowed; i++) {
                overflowed = !handle.send(i);
                Thread.sleep(10);
            }
            assertThat(overflowed).isTrue();
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.MailboxOverflowed(2));
            assertThat((System.nanoTime() - started) / 1_000_000).as("ms until closed").isLessThan(5_000);
        }
    }
}
