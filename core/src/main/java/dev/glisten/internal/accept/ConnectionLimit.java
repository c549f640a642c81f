package dev.glisten.internal.accept;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The most connections a server holds at once. An acceptor takes a slot before it accepts and the
 * connection gives it back when it ends, so at the limit the acceptors stop calling accept(2) and
 * new clients wait in the kernel's listen backlog, as with Ranch's {@code max_connections}, instead
 * of being accepted only to be closed.
 */
public final class ConnectionLimit {

    /** How often a waiting acceptor looks whether its listener was closed meanwhile. */
    private static final Duration RECHECK = Duration.ofMillis(100);
    private static final System.Logger LOG = System.getLogger("dev.glisten.acceptor");

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition slotFreed = lock.newCondition();
    private final LongAdder pauses = new LongAdder();
    private int limit;
    private int taken;

    public ConnectionLimit(int limit) {
        this.limit = check(limit);
    }

    /**
     * Checks a limit the way every setter of it does.
     *
     * @throws IllegalArgumentException naming {@code maxConnections} if below 1
     */
    public static int check(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + limit);
        }
        return limit;
    }

    /**
     * Takes a slot, waiting while every slot is taken.
     *
     * @param keepWaiting checked at least every 100 ms while waiting
     * @return {@code false} if {@code keepWaiting} turned false first (no slot taken)
     */
    boolean acquire(BooleanSupplier keepWaiting) throws InterruptedException {
        lock.lock();
        try {
            boolean paused = false;
            while (taken >= limit) {
                if (!keepWaiting.getAsBoolean()) {
                    return false;
                }
                if (!paused) {
                    paused = true;
                    pauses.increment();
                    int at = limit;
                    LOG.log(System.Logger.Level.DEBUG, () -> "at the connection limit (" + at + "); pausing accepts");
                }
                slotFreed.await(RECHECK.toNanos(), TimeUnit.NANOSECONDS);
            }
            taken++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Gives a slot back. */
    public void release() {
        lock.lock();
        try {
            taken--;
            slotFreed.signal();
        } finally {
            lock.unlock();
        }
    }

    public void change(int newLimit) {
        check(newLimit);
        lock.lock();
        try {
            limit = newLimit;
            slotFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** How many times acceptors found the limit reached and paused. */
    public long pauses() {
        return pauses.sum();
    }
}
