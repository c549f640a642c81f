package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A failing connection ends alone: the others keep echoing and the server keeps accepting. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FailureIsolationTest {

    /** Echoes, but throws on a packet that says "boom". */
    private static Handler<Void, Void> echoOrThrow() {
        return (state, message, connection) -> {
            byte[] bytes = ((Message.Packet<Void>) message).bytes();
            if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).contains("boom")) {
                throw new IllegalStateException("boom (thrown on purpose by the test)");
            }
            connection.send(bytes);
            return Next.continueWith(state);
        };
    }

    @Test
    void aHandlerExceptionEndsOnlyItsConnection() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = Server.builder(connection -> null, echoOrThrow())
                .onClose(onClose).bind("127.0.0.1").start(0)) {
            // Two clients echo continuously while a third makes its handler throw.
            CountDownLatch failed = new CountDownLatch(1);
            AtomicInteger echoFailures = new AtomicInteger();
            AtomicInteger echoesAfterFailure = new AtomicInteger();
            List<Thread> echoers = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                TestClient client = TestClient.connect(server);
                echoers.add(Thread.ofVirtual().start(() -> {
                    try (client) {
                        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                        int after = 0;
                        // Keep going until 50 round trips have happened after the failure.
                        for (int i = 0; after < 50 && System.nanoTime() - deadline < 0; i++) {
                            boolean afterFailure = failed.getCount() == 0;
                            String text = "echo " + i;
                            if (!client.roundTrip(text).equals(text)) {
                                echoFailures.incrementAndGet();
                            }
                            if (afterFailure) {
                                after++;
                                echoesAfterFailure.incrementAndGet();
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        echoFailures.incrementAndGet();
                    }
                }));
            }
            try (TestClient bomb = TestClient.connect(server)) {
                assertThat(bomb.roundTrip("fine")).isEqualTo("fine");
                bomb.write("boom");
                bomb.assertClosedByServer();
            }
            RecordingOnClose.Closed<Void, Void> closed = onClose.next();
            assertThat(closed.reason()).isInstanceOf(CloseReason.HandlerFailed.class);
            failed.countDown();

            try (TestClient newcomer = TestClient.connect(server)) {
                assertThat(newcomer.roundTrip("accepted after the failure")).isEqualTo("accepted after the failure");
            }
            for (Thread echoer : echoers) {
                assertThat(echoer.join(Duration.ofSeconds(25))).isTrue();
            }
            assertThat(echoFailures).hasValue(0);
            assertThat(echoesAfterFailure).hasValue(100);
            assertThat(onClose.next().reason()).as("the newcomer").isEqualTo(new CloseReason.PeerClosed());
            assertThat(onClose.next(2)).allSatisfy(each ->
                    assertThat(each.reason()).isEqualTo(new CloseReason.PeerClosed()));
            onClose.assertNoMoreCalls();
        }
    }

    @Test
    void anOnInitExceptionEndsOnlyItsConnection() throws Exception {
        AtomicBoolean refuseNext = new AtomicBoolean();
        try (Server server = Server.<Void, Void>builder(connection -> {
                    if (refuseNext.getAndSet(false)) {
                        throw new IllegalStateException("init boom (thrown on purpose by the test)");
                    }
                    return null;
                }, echoOrThrow()).bind("127.0.0.1").start(0);
             TestClient before = TestClient.connect(server)) {
            assertThat(before.roundTrip("one")).isEqualTo("one");
            refuseNext.set(true);
            try (TestClient refused = TestClient.connect(server)) {
                refused.assertClosedByServer();
            }
            assertThat(before.roundTrip("two")).isEqualTo("two");
            try (TestClient after = TestClient.connect(server)) {
                assertThat(after.roundTrip("three")).isEqualTo("three");
            }
        }
    }
}
