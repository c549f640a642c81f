package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.RecordingOnClose.Closed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server.Builder#sendTimeout}: a loop that sends 64 KiB chunks without end to peers that
 * never read is cut off ({@link CloseReason.SendTimedOut}) once the kernel's buffers are full and
 * the timeout passes; nothing piles up in the server's heap meanwhile, and other connections are
 * served as usual.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SendTimeoutMemoryTest {

    private static final int CHUNK = 64 * 1024;
    /** 256 MiB per connection if nothing stopped the loop: far beyond any kernel buffer. */
    private static final int MAX_CHUNKS = 4096;
    private static final int FLOODED = 3;
    private static final long MIB = 1024 * 1024;

    @Test
    void peersThatNeverReadAreCutOffAndTheHeapStaysFlat() throws Exception {
        Duration sendTimeout = Duration.ofSeconds(1);
        Map<SocketAddress, AtomicLong> sentBy = new ConcurrentHashMap<>();
        Map<SocketAddress, Throwable> failures = new ConcurrentHashMap<>();
        CountDownLatch flooding = new CountDownLatch(FLOODED);
        Handler<Void, Void> handler = (state, message, connection) -> {
            byte[] bytes = ((Message.Packet<Void>) message).bytes();
            if (bytes[0] != 'F') {
                connection.send(bytes);
                return Next.continueWith(state);
            }
            AtomicLong sent = sentBy.computeIfAbsent(connection.peerAddress(), peer -> new AtomicLong());
            flooding.countDown();
            byte[] chunk = new byte[CHUNK];
            try {
                for (int i = 0; i < MAX_CHUNKS; i++) {
                    connection.send(chunk);
                    sent.addAndGet(CHUNK);
                }
            } catch (IOException e) {
                failures.put(connection.peerAddress(), e);
                throw e;
            }
            return Next.stopAbnormal("sent 256 MiB to a peer that does not read");
        };
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, handler)
                .sendTimeout(sendTimeout).onClose(onClose).bind("127.0.0.1").start(0)) {
            long heapBefore = usedHeapAfterGc();
            List<TestClient> flooded = new ArrayList<>();
            try (TestClient reader = TestClient.connect(server)) {
                assertThat(reader.roundTrip("before")).isEqualTo("before");
                long started = System.nanoTime();
                for (int i = 0; i < FLOODED; i++) {
                    // A small receive window, so the kernel holds little for the peer that never reads.
                    TestClient client = TestClient.connect(TestSupport.loopback4(server), socket -> {
                        try {
                            socket.setReceiveBufferSize(4096);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                    flooded.add(client);
                    client.write("Flood me");
                }
                TestSupport.await(flooding, "every loop to start flooding");
                awaitStalled(sentBy);
                // The loops are blocked in send now: whatever the server buffers for them is in the heap.
                long heapWhileBlocked = usedHeapAfterGc();
                assertThat(reader.roundTrip("meanwhile")).as("another connection is served").isEqualTo("meanwhile");

                List<Closed<Void, Void>> closed = onClose.next(FLOODED);
                Duration tookToCutOff = Duration.ofNanos(System.nanoTime() - started);
                assertThat(closed).allSatisfy(each ->
                        assertThat(each.reason()).isEqualTo(new CloseReason.SendTimedOut(sendTimeout)));
                assertThat(tookToCutOff).as("filling the buffers, then the send timeout")
                        .isBetween(sendTimeout, sendTimeout.plusSeconds(5));
                assertThat(failures).hasSize(FLOODED).allSatisfy((peer, failure) ->
                        assertThat(failure).as("what send threw").isInstanceOf(SocketTimeoutException.class));
                for (AtomicLong sent : sentBy.values()) {
                    assertThat(sent.get()).as("bytes that went out before the peer's buffers filled")
                            .isPositive().isLessThan(32 * MIB);
                }
                assertThat(heapWhileBlocked - heapBefore).as("heap growth while the loops are blocked")
                        .isLessThan(8 * MIB);
                long echoed = "before".length() + "meanwhile".length();
                long flood = sentBy.values().stream().mapToLong(AtomicLong::get).sum();
                TestSupport.eventually("the ends are counted", () -> server.stats().closedTotal() == FLOODED);
                ServerStats stats = server.stats();
                assertThat(stats.closed(CloseReason.SendTimedOut.class)).isEqualTo(FLOODED);
                assertThat(stats.bytesSent()).as("bytes sent counts what the kernel took").isEqualTo(flood + echoed);
                assertThat(stats.bytesReceived()).isEqualTo(echoed + FLOODED * "Flood me".length());
                assertThat(reader.roundTrip("after")).isEqualTo("after");
            } finally {
                for (TestClient client : flooded) {
                    client.close();
                }
            }
            onClose.next();
            assertThat(usedHeapAfterGc() - heapBefore).as("heap growth after the connections ended").isLessThan(8 * MIB);
        }
    }

    /** Waits until no loop has sent a byte for a fifth of a second: the kernel's buffers are full. */
    private static void awaitStalled(Map<SocketAddress, AtomicLong> sentBy) {
        long total = -1;
        long stableSince = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            long now = sentBy.values().stream().mapToLong(AtomicLong::get).sum();
            if (now != total) {
                total = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(200)) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        throw new AssertionError("the loops kept sending for 10 s to peers that do not read: " + total + " bytes");
    }

    /** The heap in use after a full collection, settled over a few attempts. */
    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, runtime.totalMemory() - runtime.freeMemory());
        }
        return least;
    }
}
