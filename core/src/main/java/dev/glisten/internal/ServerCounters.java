package dev.glisten.internal;

import dev.glisten.CloseReason;
import dev.glisten.ServerStats;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A server's totals behind {@link ServerStats}. Counters are {@link LongAdder}s, touched once per
 * connection or handshake; bytes are counted by each connection and added here when it ends, so
 * the per-message path shares nothing between connections.
 */
final class ServerCounters {

    final LongAdder accepted = new LongAdder();
    final LongAdder rejectedPerAddress = new LongAdder();
    final LongAdder tlsHandshakes = new LongAdder();
    final LongAdder tlsHandshakeFailures = new LongAdder();
    final LongAdder acceptErrors = new LongAdder();
    private final LongAdder endedBytesReceived = new LongAdder();
    private final LongAdder endedBytesSent = new LongAdder();
    private final Map<Class<? extends CloseReason>, LongAdder> closed = new ConcurrentHashMap<>();

    void ended(ConnectionProcess<?, ?> connection, CloseReason reason) {
        closed.computeIfAbsent(reason.getClass(), kind -> new LongAdder()).increment();
        endedBytesReceived.add(connection.bytesReceived());
        endedBytesSent.add(connection.bytesSent());
    }

    ServerStats snapshot(Collection<? extends ConnectionProcess<?, ?>> open, long limitPauses) {
        long received = endedBytesReceived.sum();
        long sent = endedBytesSent.sum();
        int active = 0;
        for (ConnectionProcess<?, ?> connection : open) {
            received += connection.bytesReceived();
            sent += connection.bytesSent();
            active++;
        }
        Map<Class<? extends CloseReason>, Long> byReason = new HashMap<>();
        closed.forEach((kind, count) -> byReason.put(kind, count.sum()));
        return new ServerStats(active, accepted.sum(), byReason, rejectedPerAddress.sum(), limitPauses,
                received, sent, tlsHandshakes.sum(), tlsHandshakeFailures.sum(), acceptErrors.sum());
    }
}
