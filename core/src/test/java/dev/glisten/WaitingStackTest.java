package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection waiting for bytes parks from its thread's bottom frame, not from inside the loop:
 * a parked virtual thread's frames are kept on the heap for as long as it waits, so an idle
 * connection's memory depends on how deep its stack is when it parks (docs/BENCHMARKS.md, tuning
 * log). Seen through the thread's stack trace, with and without a deadline to park until.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WaitingStackTest {

    private static final String BOTTOM_FRAME = "dev.glisten.internal.Threads$StepRunner.run";

    private final CompletableFuture<Thread> connectionThread = new CompletableFuture<>();
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aConnectionWaitingForBytesParksFromItsBottomFrame() throws Exception {
        server = builder().start(0);

        assertParksFromTheBottomFrame("java.util.concurrent.locks.LockSupport.park");
    }

    @Test
    void aConnectionWithAnIdleTimeoutParksFromItsBottomFrameWithTheDeadline() throws Exception {
        server = builder().idleTimeout(Duration.ofMinutes(1)).start(0);

        assertParksFromTheBottomFrame("java.util.concurrent.locks.LockSupport.parkNanos");
    }

    private Server.Builder<Integer, Void> builder() {
        return Server.<Integer, Void>builder(connection -> {
            connectionThread.complete(Thread.currentThread());
            return 0;
        }, (count, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                connection.send(packet.bytes());
            }
            return Next.continueWith(count + 1);
        }).bind("127.0.0.1");
    }

    private void assertParksFromTheBottomFrame(String park) throws Exception {
        try (TestClient client = TestClient.connect(server)) {
            // Answered: the connection went through the loop, and now waits for the next bytes.
            assertThat(client.roundTrip("ping")).isEqualTo("ping");
            Thread thread = connectionThread.get(5, TimeUnit.SECONDS);

            TestSupport.eventually("the connection's thread parks", () -> frames(thread).contains(park));

            List<String> frames = frames(thread);
            int parkedAt = frames.indexOf(park);
            assertThat(frames.get(parkedAt + 1))
                    .as("the frame that parked, in %s", frames)
                    .isEqualTo(BOTTOM_FRAME);
            assertThat(frames)
                    .as("no frame of the loop is kept while the connection waits")
                    .noneMatch(frame -> frame.startsWith("dev.glisten.internal.connection.")
                            || frame.startsWith("dev.glisten.internal.loop."));
        }
    }

    private static List<String> frames(Thread thread) {
        return Arrays.stream(thread.getStackTrace())
                .map(frame -> frame.getClassName() + "." + frame.getMethodName())
                .toList();
    }
}
