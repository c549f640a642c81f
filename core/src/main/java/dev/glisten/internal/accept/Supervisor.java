package dev.glisten.internal.accept;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Keeps a long-running task alive: when it fails it is logged and restarted after a back-off that
 * doubles up to a ceiling and resets once the task has run well for a while, so a persistent fault
 * costs a log line a second instead of a spinning core.
 */
final class Supervisor {

    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    static final Duration FIRST_BACKOFF = Duration.ofMillis(10);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger("dev.glisten.acceptor");

    private Supervisor() { }

    /**
     * Runs {@code task} until it returns normally or {@code keepRunning} turns false, restarting
     * it when it throws. Returns the number of restarts.
     */
    static int supervise(String name, Runnable task, BooleanSupplier keepRunning, Sleeper sleeper) {
        Duration backoff = FIRST_BACKOFF;
        int restarts = 0;
        while (keepRunning.getAsBoolean()) {
            long started = System.nanoTime();
            try {
                task.run();
                return restarts;
            } catch (RuntimeException | Error e) {
                if (!keepRunning.getAsBoolean()) {
                    return restarts;
                }
                if (System.nanoTime() - started > MAX_BACKOFF.toNanos() * 10) {
                    backoff = FIRST_BACKOFF;
                }
                LOG.log(Level.ERROR, name + " failed; restarting it in " + backoff.toMillis() + " ms", e);
                try {
                    sleeper.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return restarts;
                }
                restarts++;
                backoff = nextBackoff(backoff);
            }
        }
        return restarts;
    }

    /** Twice {@code backoff}, at most {@link #MAX_BACKOFF}. */
    static Duration nextBackoff(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }
}
