package dev.glisten.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.CloseReason;
import dev.glisten.ServerStats;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class StatsSnapshotsTest {

    @Test
    void reusesASnapshotWithinTheReusePeriod() {
        RecordingStats source = new RecordingStats(List.of(stats(1, 10, 10), stats(2, 20, 20)));
        StatsSnapshots snapshots = new StatsSnapshots(source, Duration.ofHours(1));

        assertThat(snapshots.latest().activeConnections()).isEqualTo(1);
        assertThat(snapshots.latest().activeConnections()).isEqualTo(1);
        assertThat(source.calls).isEqualTo(1);
    }

    @Test
    void takesAnotherOnceThePeriodHasPassed() {
        RecordingStats source = new RecordingStats(List.of(stats(1, 10, 10), stats(2, 20, 20)));
        StatsSnapshots snapshots = new StatsSnapshots(source, Duration.ZERO);

        assertThat(snapshots.latest().activeConnections()).isEqualTo(1);
        assertThat(snapshots.latest().activeConnections()).isEqualTo(2);
        assertThat(source.calls).isEqualTo(2);
    }

    @Test
    void byteTotalsNeverGoDown() {
        // The middle snapshot missed a connection that ended while it was taken.
        StatsSnapshots snapshots = new StatsSnapshots(
                new RecordingStats(List.of(stats(2, 100, 50), stats(1, 90, 40), stats(1, 120, 60))), Duration.ZERO);

        ServerStats first = snapshots.latest();
        ServerStats second = snapshots.latest();
        ServerStats third = snapshots.latest();

        assertThat(List.of(first.bytesReceived(), second.bytesReceived(), third.bytesReceived()))
                .containsExactly(100L, 100L, 120L);
        assertThat(List.of(first.bytesSent(), second.bytesSent(), third.bytesSent()))
                .containsExactly(50L, 50L, 60L);
        assertThat(second.activeConnections()).as("only the byte totals are held").isEqualTo(1);
        assertThat(second.closed(CloseReason.PeerClosed.class)).isEqualTo(1);
    }

    private static ServerStats stats(int active, long received, long sent) {
        return new ServerStats(active, 3, Map.of(CloseReason.PeerClosed.class, 1L), 0, 0, received, sent, 0, 0, 0, 0, 0);
    }

    /** Hands out the given snapshots in order and counts the calls. */
    private static final class RecordingStats implements Supplier<ServerStats> {
        private final Queue<ServerStats> next;
        int calls;

        RecordingStats(List<ServerStats> snapshots) {
            this.next = new ArrayDeque<>(snapshots);
        }

        @Override
        public ServerStats get() {
            calls++;
            return next.remove();
        }
    }
}
