package dev.glisten.reliability;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Bounds what a socket timeout cannot: a blocking write to a peer that stopped reading, or a TLS
 * handshake. The socket is closed if the guard is still open when the time is up, which makes
 * the blocked call throw.
 */
final class Watchdog {

    private static final ScheduledExecutorService TIMER = timer();

    private Watchdog() { }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("watchdog").daemon().factory());
        // Almost every guard is cancelled: without this each one, and the socket it names, would
        // stay queued until its time came (the fuzzing JVM's live heap grew by megabytes so).
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /** Closed when the guarded call returned in time. */
    interface Guard extends AutoCloseable {
        /** Whether the time ran out and the socket was closed. */
        boolean fired();

        @Override
        void close();
    }

    /**
     * Closes {@code socket} after {@code timeout} unless the returned guard is closed first.
     * Use in try-with-resources around the call to bound.
     */
    static Guard guard(Closeable socket, Duration timeout) {
        boolean[] fired = new boolean[1];
        ScheduledFuture<?> closing = TIMER.schedule(() -> {
            synchronized (fired) {
                fired[0] = true;
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is the point; a failure to close leaves the call to its own timeout.
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        return new Guard() {
            @Override
            public boolean fired() {
                synchronized (fired) {
                    return fired[0];
                }
            }

            @Override
            public void close() {
                closing.cancel(false);
            }
        };
    }
}
