package dev.glisten.micrometer;

import dev.glisten.ServerStats;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The latest {@link ServerStats} of one server, taken again once older than the reuse period.
 * Meters are read from the registry's threads (a scrape, a push), hence the lock; it is held
 * only while a snapshot is taken, which is brief.
 */
final class StatsSnapshots {

    private final Supplier<ServerStats> source;
    private final long reuseNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private ServerStats latest;
    private long takenAt;

    StatsSnapshots(Supplier<ServerStats> source, Duration reuse) {
        this.source = source;
        this.reuseNanos = reuse.toNanos();
    }

    ServerStats latest() {
        lock.lock();
        try {
            long now = System.nanoTime();
            if (latest == null || now - takenAt >= reuseNanos) {
                latest = neverBelow(source.get(), latest);
                takenAt = now;
            }
            return latest;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Keeps the byte totals from going down. The server adds an ended connection's bytes to its
     * totals just after dropping it from the open connections, so a snapshot taken between the two
     * misses them; a counter that drops reads as a reset to Prometheus' rate() and to step
     * registries. The other totals are only ever incremented, so they cannot drop.
     */
    private static ServerStats neverBelow(ServerStats now, ServerStats before) {
        if (before == null || (now.bytesReceived() >= before.bytesReceived() && now.bytesSent() >= before.bytesSent())) {
            return now;
        }
        return new ServerStats(now.activeConnections(), now.acceptedConnections(), now.closedConnections(),
                now.rejectedPerAddress(), now.limitPauses(),
                Math.max(now.bytesReceived(), before.bytesReceived()), Math.max(now.bytesSent(), before.bytesSent()),
                now.tlsHandshakes(), now.tlsHandshakeFailures(), now.acceptErrors(), now.proxyHeaderRejections(),
                now.mailboxOverflows());
    }
}
