package dev.glisten.internal.loop;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection's queue of user messages: many senders, one consumer (the connection's thread),
 * bounded. A send never blocks: past the bound it is refused and the caller applies the server's
 * {@link dev.glisten.MailboxOverflow} policy. The count is kept beside the queue because
 * {@link ConcurrentLinkedQueue#size()} walks every node.
 */
final class Mailbox {

    // Queued in place of null, which the queue does not take.
    private static final Object NULL_MESSAGE = new Object();

    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    // Taken before a message is queued and given back after it is polled, so it is never below
    // the queue's length: the bound holds however many senders race.
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;

    Mailbox(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /** From any thread: queues {@code message}, or returns {@code false} if the mailbox is full. */
    boolean offer(Object message) {
        if (size.getAndIncrement() >= capacity) {
            size.getAndDecrement();
            return false;
        }
        queue.offer(message == null ? NULL_MESSAGE : message);
        return true;
    }

    /**
     * Owner only: the oldest message, or {@code empty} if there is none (a queued {@code null}
     * comes back as {@code null}).
     */
    Object poll(Object empty) {
        Object message = queue.poll();
        if (message == null) {
            return empty;
        }
        size.getAndDecrement();
        return message == NULL_MESSAGE ? null : message;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** How many messages wait now. */
    int size() {
        return Math.max(0, size.get());
    }

    /** Owner only, once the connection has ended: drops what waits so it can be collected. */
    void clear() {
        while (queue.poll() != null) {
            size.getAndDecrement();
        }
    }
}
