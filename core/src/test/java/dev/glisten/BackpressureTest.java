package dev.glisten;

import static dev.glisten.TestSupport.await;
import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A loop that blocks slows down only its own peer: the server reads nothing more from that
 * connection until the call returns, so the peer's writes block; other connections carry on.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BackpressureTest {

    @Test
    void theNextReadWaitsForTheLoopToReturn() throws Exception {
        long total = 32L * 1024 * 1024;
        int chunk = 64 * 1024;
        CountDownLatch firstCall = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        AtomicLong received = new AtomicLong();
        Handler<Void, Void> handler = (state, message, connection) -> {
            calls.incrementAndGet();
            received.addAndGet(((Message.Packet<Void>) message).bytes().length);
            firstCall.countDown();
            await(release, "the test to release the loop");
            return Next.continueWith(state);
        };
        // Default buffer sizes: the kernel's autotuned buffers hold a few MiB, far below the total; tiny
        // fixed buffers would make the transfer crawl once the loop is released.
        try (Server server = Server.<Void, Void>builder(connection -> null, handler).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().name("test-writer").start(() -> {
                try {
                    OutputStream out = client.socket().getOutputStream();
                    byte[] bytes = new byte[chunk];
                    for (long sent = 0; sent < total; sent += chunk) {
                        out.write(bytes);
                        written.addAndGet(chunk);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            await(firstCall, "the first call");
            awaitStall(written, Duration.ofSeconds(20));
            assertThat(written.get()).as("bytes the client got out while the loop was blocked").isLessThan(total);
            assertThat(writer.isAlive()).as("the writer is blocked").isTrue();
            assertThat(calls).as("loop calls while the first one is blocked").hasValue(1);

            release.countDown();
            assertThat(writer.join(Duration.ofSeconds(30))).as("the writer finished once released").isTrue();
            eventually("the server received everything", Duration.ofSeconds(30), () -> received.get() == total);
            assertThat(calls.get()).isGreaterThan(1);
        }
    }

    /** Waits until {@code counter} has not moved for half a second (the writer is blocked). */
    private static void awaitStall(AtomicLong counter, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0) {
            long now = counter.get();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(500)) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        fail("the client kept writing for " + within + " although the server's loop was blocked: "
                + counter.get() + " bytes");
    }

    @Test
    void aBlockedLoopHoldsUpNoOtherConnection() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Handler<Void, Void> handler = (state, message, connection) -> {
            byte[] bytes = ((Message.Packet<Void>) message).bytes();
            if (bytes[0] == 'B') {
                blocked.countDown();
                await(release, "the test to release the loop");
            }
            connection.send(bytes);
            return Next.continueWith(state);
        };
        try (Server server = Server.<Void, Void>builder(connection -> null, handler).bind("127.0.0.1").start(0);
             TestClient slow = TestClient.connect(server)) {
            slow.write("Blocked");
            await(blocked, "the slow connection's loop to block");
            try (TestClient one = TestClient.connect(server); TestClient two = TestClient.connect(server)) {
                for (int i = 0; i < 50; i++) {
                    assertThat(one.roundTrip("one " + i)).isEqualTo("one " + i);
                    assertThat(two.roundTrip("two " + i)).isEqualTo("two " + i);
                }
            }
            try (TestClient late = TestClient.connect(server)) {
                assertThat(late.roundTrip("accepted meanwhile")).isEqualTo("accepted meanwhile");
            }
            release.countDown();
            assertThat(slow.readString(7)).isEqualTo("Blocked");
            assertThat(slow.roundTrip("free again")).isEqualTo("free again");
        }
    }

    @Test
    void aBlockedLoopWithBytesWaitingCostsNoCpu() throws Exception {
        // Bytes wait in the socket while the loop is blocked. The selector that watches the socket is
        // level-triggered: unless it stops asking about this socket until the loop waits again, it
        // reports the same bytes in a tight loop and burns a core for as long as the loop blocks.
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Handler<Void, Void> handler = (state, message, connection) -> {
            blocked.countDown();
            await(release, "the test to release the loop");
            connection.send(((Message.Packet<Void>) message).bytes());
            return Next.continueWith(state);
        };
        try (Server server = Server.<Void, Void>builder(connection -> null, handler).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            client.write("first");
            await(blocked, "the loop to block");
            client.write("second, waiting in the socket");
            Thread.sleep(200); // let the bytes arrive and the selector see them
            long cpuBefore = TestSupport.processCpuNanos();
            long wallBefore = System.nanoTime();
            Thread.sleep(1_000);
            double busy = (double) (TestSupport.processCpuNanos() - cpuBefore) / (System.nanoTime() - wallBefore);
            release.countDown();
            assertThat(busy).as("share of one core the process used while the loop was blocked").isLessThan(0.5);
            assertThat(client.readString("first".length())).isEqualTo("first");
        }
    }
}
