package dev.glisten.internal.io;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Waits, with a deadline, until a non-blocking channel is ready for one operation: the timed
 * blocking calls of the low-level API on Unix domain sockets, whose channels have no socket adaptor
 * and so no {@code SO_TIMEOUT}. A selector of its own, opened at the first wait (most sockets never
 * wait in both directions), lets a receive and a send wait at once on separate instances.
 *
 * <p>Thread safety: one thread waits at a time (the caller serialises its waits); {@link #close()}
 * may come from any thread and wakes the waiter.
 */
public final class Readiness {

    private final SelectableChannel channel;
    private final int operation;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private Selector selector;
    private boolean closed;

    /**
     * @param channel a channel in non-blocking mode
     * @param operation one of {@link java.nio.channels.SelectionKey}'s {@code OP_} constants
     */
    public Readiness(SelectableChannel channel, int operation) {
        this.channel = channel;
        this.operation = operation;
    }

    /**
     * Waits until the channel may be ready, or the deadline passes. May return early (the caller
     * tries its operation and waits again).
     *
     * @param deadline a {@link System#nanoTime()} value, or 0 to wait without limit
     * @return {@code false} if the deadline had passed
     * @throws AsynchronousCloseException when the channel or this is closed meanwhile
     * @throws ClosedByInterruptException when the thread is interrupted, which closes the channel as
     *     for every interruptible channel; the interrupt status is kept
     */
    public boolean await(long deadline) throws IOException {
        long timeoutMillis = 0;
        if (deadline != 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
        }
        Selector waitOn = selector();
        try {
            waitOn.select(timeoutMillis);
            waitOn.selectedKeys().clear();
        } catch (ClosedSelectorException closedMeanwhile) {
            throw new AsynchronousCloseException();
        }
        if (Thread.currentThread().isInterrupted()) {
            Descriptors.release(channel);
            close();
            throw new ClosedByInterruptException();
        }
        if (!channel.isOpen()) {
            throw new AsynchronousCloseException();
        }
        return true;
    }

    private Selector selector() throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new AsynchronousCloseException();
            }
            if (selector == null) {
                Selector opened = Selector.open();
                try {
                    channel.register(opened, operation);
                } catch (IOException | RuntimeException e) {
                    opened.close();
                    throw e;
                }
                selector = opened;
            }
            return selector;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes a waiting thread and releases the selector (and so the channel's descriptor). Idempotent. */
    public void close() {
        Selector opened;
        lock.lock();
        try {
            closed = true;
            opened = selector;
            selector = null;
        } finally {
            lock.unlock();
        }
        Descriptors.release(opened);
    }
}
