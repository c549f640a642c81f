package dev.glisten.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Enforces the send timeout. A blocking channel write has no timeout of its own, so each send
 * stamps a deadline and this one thread per server sweeps the open connections, closing any whose
 * send is past it. One sweep costs a volatile read per connection; a timer per send would cost an
 * allocation and a queue operation on every write.
 */
final class Watchdog implements Runnable {

    private final Collection<? extends ConnectionProcess<?, ?>> connections;
    private final long periodNanos;
    private final BooleanSupplier running;

    Watchdog(Collection<? extends ConnectionProcess<?, ?>> connections, Duration sendTimeout, BooleanSupplier running) {
        this.connections = connections;
        this.periodNanos = periodFor(sendTimeout).toNanos();
        this.running = running;
    }

    /** An eighth of the timeout, between 5 ms and 1 s: late by at most that much, idle otherwise. */
    static Duration periodFor(Duration sendTimeout) {
        Duration period = sendTimeout.dividedBy(8);
        if (period.compareTo(Duration.ofMillis(5)) < 0) {
            return Duration.ofMillis(5);
        }
        return period.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : period;
    }

    @Override
    public void run() {
        while (running.getAsBoolean()) {
            LockSupport.parkNanos(periodNanos);
            if (Thread.interrupted()) {
                return;
            }
            long now = System.nanoTime();
            for (ConnectionProcess<?, ?> connection : connections) {
                connection.checkSendDeadline(now);
            }
        }
    }
}
