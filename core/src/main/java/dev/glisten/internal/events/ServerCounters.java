package dev.glisten.internal.events;

import dev.glisten.CloseReason;
import dev.glisten.ServerStats;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;

/**
 * A server's totals behind {@link ServerStats}. Counters are {@link LongAdder}s, touched once per
 * connection or handshake; bytes are counted by each connection and added here when it ends, so
 * the per-message path shares nothing between connections. A snapshot is consistent: every byte
 * and every ended connection is counted exactly once, so totals never go down between snapshots.
 */
public final class ServerCounters {

    /** A connection as the totals see it: the bytes it has moved so far. */
    public interface Traffic {

        long bytesReceived();

        long bytesSent();
    }

    public final LongAdder accepted = new LongAdder();
    public final LongAdder rejectedPerAddress = new LongAdder();
    public final LongAdder tlsHandshakes = new LongAdder();
    public final LongAdder tlsHandshakeFailures = new LongAdder();
    public final LongAdder acceptErrors = new LongAdder();
    public final LongAdder proxyHeaderRejections = new LongAdder();
    public final LongAdder mailboxOverflows = new LongAdder();
    private final LongAdder endedBytesReceived = new LongAdder();
    private final LongAdder endedBytesSent = new LongAdder();
    private final Map<Class<? extends CloseReason>, LongAdder> closed = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock consistency = new ReentrantReadWriteLock();

    /**
     * Takes an ended connection out of the open set with {@code removeFromOpen} and, if it was
     * there, moves its bytes into the totals and counts its reason, in one step: no snapshot sees
     * its bytes twice or not at all.
     *
     * @return whether {@code removeFromOpen} removed it (and it was counted)
     */
    public boolean ended(Traffic connection, CloseReason reason, BooleanSupplier removeFromOpen) {
        // Endings share the read lock, so they never wait for one another; a snapshot takes the
        // write lock for its one pass.
        consistency.readLock().lock();
        try {
            if (!removeFromOpen.getAsBoolean()) {
                return false;
            }
            endedBytesReceived.add(connection.bytesReceived());
            endedBytesSent.add(connection.bytesSent());
            closed.computeIfAbsent(reason.getClass(), kind -> new LongAdder()).increment();
            return true;
        } finally {
            consistency.readLock().unlock();
        }
    }

    /** One pass over the open connections: its cost grows with their number. */
    public ServerStats snapshot(Collection<? extends Traffic> open, long limitPauses) {
        long received;
        long sent;
        int active = 0;
        Map<Class<? extends CloseReason>, Long> byReason = new HashMap<>();
        consistency.writeLock().lock();
        try {
            received = endedBytesReceived.sum();
            sent = endedBytesSent.sum();
            for (Traffic connection : open) {
                received += connection.bytesReceived();
                sent += connection.bytesSent();
                active++;
            }
            closed.forEach((kind, count) -> byReason.put(kind, count.sum()));
        } finally {
            consistency.writeLock().unlock();
        }
        return new ServerStats(active, accepted.sum(), byReason, rejectedPerAddress.sum(), limitPauses,
                received, sent, tlsHandshakes.sum(), tlsHandshakeFailures.sum(), acceptErrors.sum(),
                proxyHeaderRejections.sum(), mailboxOverflows.sum());
    }
}
