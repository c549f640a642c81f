package dev.glisten.internal.accept;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SupervisorTest {

    private final List<Duration> sleeps = new ArrayList<>();

    @Test
    void restartsAFailingTaskWithDoublingBackoffUntilItReturns() {
        AtomicInteger runs = new AtomicInteger();
        int restarts = Supervisor.supervise("test task", () -> {
            if (runs.incrementAndGet() <= 3) {
                throw new IllegalStateException("failure " + runs.get());
            }
        }, () -> true, sleeps::add);

        assertThat(restarts).isEqualTo(3);
        assertThat(runs).hasValue(4);
        assertThat(sleeps).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40));
    }

    @Test
    void backoffStopsGrowingAtOneSecond() {
        AtomicInteger runs = new AtomicInteger();
        Supervisor.supervise("test task", () -> {
            if (runs.incrementAndGet() <= 12) {
                throw new IllegalStateException("failure");
            }
        }, () -> true, sleeps::add);

        assertThat(sleeps).hasSize(12);
        assertThat(sleeps.get(11)).isEqualTo(Duration.ofSeconds(1));
        assertThat(sleeps).allSatisfy(sleep -> assertThat(sleep).isLessThanOrEqualTo(Duration.ofSeconds(1)));
    }

    @Test
    void doesNotRestartOnceToldToStop() {
        AtomicInteger runs = new AtomicInteger();
        boolean[] running = {true};
        int restarts = Supervisor.supervise("test task", () -> {
            runs.incrementAndGet();
            running[0] = false;
            throw new IllegalStateException("failed while stopping");
        }, () -> running[0], sleeps::add);

        assertThat(restarts).isZero();
        assertThat(runs).hasValue(1);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void anInterruptDuringBackoffEndsSupervision() {
        AtomicInteger runs = new AtomicInteger();
        int restarts = Supervisor.supervise("test task", () -> {
            runs.incrementAndGet();
            throw new IllegalStateException("failure");
        }, () -> true, duration -> {
            throw new InterruptedException();
        });

        assertThat(runs).hasValue(1);
        assertThat(restarts).isZero();
        assertThat(Thread.interrupted()).as("interrupt status restored").isTrue();
    }
}
