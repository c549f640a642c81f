package dev.glisten.reliability;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * The resource bounds every scenario is held to, against the idle baseline each server had after
 * its warm-up: how far its resident memory, live heap, descriptors and threads may rise while
 * the suite loads it, and how close to the baseline they must come back once every client has
 * gone.
 */
final class ResourceBounds {

    /**
     * The servers run with {@code -Xms16m -Xmx256m} ({@link Main#SERVER_JVM_OPTIONS}): the heap
     * grows only as far as the load needs, so the resident set tracks what the server uses. Half
     * the heap's bound is far beyond what a few dozen connections need (their live objects are
     * bounded below); more means a leak, in the heap or outside it (direct buffers, threads).
     */
    static final long PEAK_RSS_GROWTH_KB = 128 * 1024;
    /** Once idle, the JVM keeps some of what it grew (heap regions G1 has not uncommitted, JIT code), not live objects. */
    static final long END_RSS_GROWTH_KB = 64 * 1024;
    /**
     * Live objects while the abusers run: what connections hold is bounded by the library (a
     * mailbox of 1024 messages, a partial frame up to the maximum frame size, 1 MiB for an HTTP
     * body), and a few dozen connections hold it at once.
     */
    static final long PEAK_HEAP_GROWTH_KB = 96 * 1024;
    /** Live objects once every client has gone: buffers kept in pools, classes of code paths the abuse took. */
    static final long END_HEAP_GROWTH_KB = 16 * 1024;
    /** Each client connection is a descriptor (a proxy's, two); pipes, epoll instances and the like come with the load. */
    static final int PEAK_FD_SLACK = 32;
    /** Descriptors once every client has gone: exactly the baseline, give or take the JVM's own files. */
    static final int END_FD_SLACK = 2;
    /**
     * Virtual threads are not platform threads: a rise means carriers added while virtual threads
     * were pinned, or pollers. ForkJoinPool retires idle carriers after 30 s, so a few may remain.
     */
    static final int PEAK_THREAD_GROWTH = 16;
    static final int END_THREAD_GROWTH = 4;
    /** How long descriptors may take to come back once the clients have closed theirs. */
    static final Duration SETTLE = Duration.ofSeconds(15);

    private ResourceBounds() { }

    /**
     * Waits until every server's descriptors are back within {@link #END_FD_SLACK} of its baseline,
     * at most {@link #SETTLE}. A server that did not come back has its sockets and threads written
     * next to its log ({@link Evidence}), named in a note of the report.
     *
     * @param what the scenario, in the evidence files' names
     * @return how long it took, or {@code SETTLE} if some did not come back
     */
    static Duration awaitDescriptorsBack(Map<ServerProcess, ResourceWatch.Snapshot> baseline, Run run, Report report,
            String what) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + SETTLE.toNanos();
        // A sample of every server per pass, 100 ms apart: bounded by SETTLE.
        List<ServerProcess> notBack = List.of();
        while (System.nanoTime() - deadline < 0) {
            notBack = new ArrayList<>();
            for (var entry : baseline.entrySet()) {
                try {
                    if (ProcStats.sample(entry.getKey().pid()).fds() > entry.getValue().sample().fds() + END_FD_SLACK) {
                        notBack.add(entry.getKey());
                    }
                } catch (IOException exited) {
                    // Judged by the end snapshot, which fails for it.
                }
            }
            if (notBack.isEmpty()) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            Thread.sleep(100);
        }
        for (ServerProcess server : notBack) {
            report.note(what + ": " + server.name() + " kept descriptors " + SETTLE.toSeconds()
                    + " s after its clients left; its sockets and threads then: " + Evidence.record(run, server, what));
        }
        return SETTLE;
    }

    /**
     * Adds the rows of one scenario's resources: the worst server for each bound, and a details
     * table of them all.
     *
     * @param during snapshots taken under load (each a full collection), for the live heap's peak
     * @param connections the most client connections the suite holds to each server at once
     * @param phases the phases whose peaks count (such as {@code clean} and {@code soak})
     */
    static void check(Report report, String scenario, Map<ServerProcess, ResourceWatch.Snapshot> baseline,
            List<Map<ServerProcess, ResourceWatch.Snapshot>> during, Map<ServerProcess, ResourceWatch.Snapshot> end,
            ResourceWatch watch, List<String> phases, Map<ServerProcess, Integer> connections) {
        List<Line> lines = new ArrayList<>();
        for (ServerProcess server : baseline.keySet()) {
            ResourceWatch.Peak peak = new ResourceWatch.Peak(0, 0, 0, 0);
            for (String phase : phases) {
                ResourceWatch.Peak of = watch.peak(server, phase);
                peak = new ResourceWatch.Peak(Math.max(peak.rssKb(), of.rssKb()), Math.max(peak.fds(), of.fds()),
                        Math.max(peak.threads(), of.threads()), peak.samples() + of.samples());
            }
            long heapPeak = end.get(server).liveHeapKb();
            for (Map<ServerProcess, ResourceWatch.Snapshot> snapshot : during) {
                heapPeak = Math.max(heapPeak, snapshot.get(server).liveHeapKb());
            }
            lines.add(new Line(server.name(), baseline.get(server), peak, heapPeak, end.get(server),
                    connections.getOrDefault(server, 0)));
        }
        Line rss = worst(lines, line -> line.peak().rssKb() - line.base().sample().rssKb());
        Line rssEnd = worst(lines, line -> line.end().sample().rssKb() - line.base().sample().rssKb());
        report.check("Resources", scenario + ": resident memory (RSS)",
                "peak +" + Report.megabytes(rss.peak().rssKb() - rss.base().sample().rssKb()) + " (" + rss.name()
                        + "), end +" + Report.megabytes(rssEnd.end().sample().rssKb() - rssEnd.base().sample().rssKb())
                        + " (" + rssEnd.name() + ")",
                "peak ≤ +" + Report.megabytes(PEAK_RSS_GROWTH_KB) + ", end ≤ +" + Report.megabytes(END_RSS_GROWTH_KB),
                lines.stream().allMatch(line -> line.peak().rssKb() - line.base().sample().rssKb() <= PEAK_RSS_GROWTH_KB
                        && line.end().sample().rssKb() - line.base().sample().rssKb() <= END_RSS_GROWTH_KB));
        Line heapPeak = worst(lines, line -> line.heapPeakKb() - line.base().liveHeapKb());
        Line heap = worst(lines, line -> line.end().liveHeapKb() - line.base().liveHeapKb());
        report.check("Resources", scenario + ": live heap after a full GC",
                (during.isEmpty() ? "" : "peak " + signed(Report.megabytes(heapPeak.heapPeakKb()
                        - heapPeak.base().liveHeapKb())) + " (" + heapPeak.name() + "), ") + "end " + signed(Report.megabytes(heap.end().liveHeapKb()
                        - heap.base().liveHeapKb())) + " (" + heap.name() + "; baselines "
                        + range(lines, line -> line.base().liveHeapKb(), Report::megabytes) + ")",
                (during.isEmpty() ? "" : "peak ≤ +" + Report.megabytes(PEAK_HEAP_GROWTH_KB) + ", ")
                        + "end ≤ +" + Report.megabytes(END_HEAP_GROWTH_KB),
                lines.stream().allMatch(line -> line.heapPeakKb() - line.base().liveHeapKb() <= PEAK_HEAP_GROWTH_KB
                        && line.end().liveHeapKb() - line.base().liveHeapKb() <= END_HEAP_GROWTH_KB));
        Line fds = worst(lines, line -> line.peak().fds() - line.base().sample().fds());
        Line fdsEnd = worst(lines, line -> line.end().sample().fds() - line.base().sample().fds());
        report.check("Resources", scenario + ": file descriptors",
                "peak +" + (fds.peak().fds() - fds.base().sample().fds()) + " (" + fds.name() + ", up to "
                        + fds.connections() + " clients at once), end " + signed(fdsEnd.end().sample().fds()
                        - fdsEnd.base().sample().fds()) + " (" + fdsEnd.name() + ")",
                "peak ≤ +2 per client +" + PEAK_FD_SLACK + ", end ≤ +" + END_FD_SLACK,
                lines.stream().allMatch(line -> line.peak().fds() - line.base().sample().fds()
                        <= 2L * line.connections() + PEAK_FD_SLACK
                        && line.end().sample().fds() - line.base().sample().fds() <= END_FD_SLACK));
        Line threads = worst(lines, line -> line.peak().threads() - line.base().sample().threads());
        Line threadsEnd = worst(lines, line -> line.end().sample().threads() - line.base().sample().threads());
        report.check("Resources", scenario + ": platform threads",
                "peak +" + (threads.peak().threads() - threads.base().sample().threads()) + " (" + threads.name()
                        + "), end " + signed(threadsEnd.end().sample().threads() - threadsEnd.base().sample().threads())
                        + " (" + threadsEnd.name() + ")",
                "peak ≤ +" + PEAK_THREAD_GROWTH + ", end ≤ +" + END_THREAD_GROWTH,
                lines.stream().allMatch(line -> line.peak().threads() - line.base().sample().threads() <= PEAK_THREAD_GROWTH
                        && line.end().sample().threads() - line.base().sample().threads() <= END_THREAD_GROWTH));
        report.detail(details(scenario, lines));
    }

    /** One server's readings. */
    private record Line(String name, ResourceWatch.Snapshot base, ResourceWatch.Peak peak, long heapPeakKb,
            ResourceWatch.Snapshot end, int connections) { }

    private static Line worst(List<Line> lines, ToLongFunction<Line> growth) {
        return lines.stream().max(Comparator.comparingLong(growth)).orElseThrow();
    }

    private static String range(List<Line> lines, ToLongFunction<Line> value, LongFunction<String> format) {
        long low = lines.stream().mapToLong(value).min().orElse(0);
        long high = lines.stream().mapToLong(value).max().orElse(0);
        return low == high ? format.apply(low) : format.apply(low) + " to " + format.apply(high);
    }

    private static String signed(long n) {
        return n >= 0 ? "+" + n : Long.toString(n);
    }

    private static String signed(String figure) {
        return figure.startsWith("-") ? figure : "+" + figure;
    }

    private static String details(String scenario, List<Line> lines) {
        StringBuilder table = new StringBuilder("#### Resources: " + scenario + "\n\n"
                + "| Server | RSS base / peak / end | Live heap base / peak / end | FDs base / peak / end | Threads base / peak / end |\n"
                + "|---|---|---|---|---|\n");
        for (Line line : lines) {
            table.append("| ").append(line.name())
                    .append(" | ").append(Report.megabytes(line.base().sample().rssKb())).append(" / ")
                    .append(Report.megabytes(line.peak().rssKb())).append(" / ")
                    .append(Report.megabytes(line.end().sample().rssKb()))
                    .append(" | ").append(Report.megabytes(line.base().liveHeapKb())).append(" / ")
                    .append(Report.megabytes(line.heapPeakKb())).append(" / ")
                    .append(Report.megabytes(line.end().liveHeapKb()))
                    .append(" | ").append(line.base().sample().fds()).append(" / ").append(line.peak().fds()).append(" / ")
                    .append(line.end().sample().fds())
                    .append(" | ").append(line.base().sample().threads()).append(" / ").append(line.peak().threads())
                    .append(" / ").append(line.end().sample().threads()).append(" |\n");
        }
        return table.toString();
    }
}
