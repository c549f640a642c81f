package dev.glisten.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The echo server under a low file descriptor limit, flooded with connections that hold every
 * descriptor it has, then released: how long until it serves again (accept(2) fails with
 * {@code EMFILE} meanwhile, and the acceptor backs off), how much CPU it burns while it cannot
 * accept (an acceptor that retries in a tight loop burns a core: ThousandIsland's EMFILE crash
 * loop), and whether it comes back whole.
 */
final class FdLimitFault {

    /**
     * The server's descriptor limit: an idle JVM with the server holds about 20 (the jar, the
     * runtime image, epoll instances, pipes), so about a hundred are left for connections.
     */
    static final int LIMIT = 128;
    /** More connections than the limit: the rest wait in the listen backlog, as under a real flood. */
    static final int FLOOD = 400;
    /**
     * Long enough for the acceptor's backoff to reach its cap (1 s, doubling from 10 ms); each hold
     * is up to a second longer, at random, so that releases fall anywhere in the acceptor's sleep,
     * as a real flood's end would (a fixed hold measures one point of it every time).
     */
    static final Duration HOLD = Duration.ofMillis(2500);
    private static final int HOLD_JITTER_MILLIS = 1000;
    /** The goal: serving again within a second of the flood's release. */
    static final Duration SERVE_AGAIN = Duration.ofSeconds(1);
    /** A server that cannot accept should be idle; an acceptor spinning on EMFILE is a whole core (100 %). */
    static final double MOST_CPU_PERCENT = 20;
    private static final Duration SATURATION_PROBE = Duration.ofMillis(500);
    private static final Pattern EXPECTED_LOG = Pattern.compile("cannot accept connections: Too many open files");

    private FdLimitFault() { }

    static void run(Run run, Report report) throws IOException, InterruptedException {
        Target echo = run.target("echo");
        try (RunningTarget target = RunningTarget.start(echo, "-fd-limit", run.setup(), OptionalInt.of(LIMIT),
                run.certificate(), run.clientTls(), List.of())) {
            Random random = new Random(run.seed());
            Dialer dialer = target.dialer();
            if (!exchange(dialer, random, Dialer.READ_TIMEOUT)) {
                throw new IOException("the fd-limited server does not echo before the flood");
            }
            int baseline = ProcStats.sample(target.server().pid()).fds();
            List<Long> serveAgain = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            int saturated = 0;
            int atLimit = 0;
            for (int cycle = 0; cycle < run.plan().fdCycles(); cycle++) {
                List<Socket> flood = new ArrayList<>();
                try {
                    for (int i = 0; i < FLOOD; i++) {
                        flood.add(dialer.connect());
                    }
                    if (!exchange(dialer, random, SATURATION_PROBE)) {
                        saturated++;
                    }
                    Duration hold = HOLD.plusMillis(random.nextInt(HOLD_JITTER_MILLIS));
                    ProcStats.Sample before = ProcStats.sample(target.server().pid());
                    Thread.sleep(hold);
                    ProcStats.Sample after = ProcStats.sample(target.server().pid());
                    atLimit = Math.max(atLimit, after.fds());
                    cpu.add(100.0 * (after.cpuTicks() - before.cpuTicks()) / ProcStats.CLOCK_TICKS_PER_SECOND
                            / (hold.toMillis() / 1000.0));
                } finally {
                    long released = System.nanoTime();
                    for (Socket socket : flood) {
                        socket.close();
                    }
                    try {
                        serveAgain.add(exchange(dialer, random, Dialer.READ_TIMEOUT)
                                ? System.nanoTime() - released : Long.MAX_VALUE);
                    } catch (IOException refused) {
                        report.note("fd limit: no echo after the flood's release: " + refused);
                        serveAgain.add(Long.MAX_VALUE);
                    }
                }
                ResourceBounds.awaitDescriptorsBack(Map.of(target.server(), new ResourceWatch.Snapshot(
                        new ProcStats.Sample(0, baseline, 0, 0), 0)), run, report, "fd-limit");
            }
            int end = ProcStats.sample(target.server().pid()).fds();
            long worst = serveAgain.stream().mapToLong(Long::longValue).max().orElse(Long.MAX_VALUE);
            report.check("Faults", "descriptor limit " + LIMIT + ", " + FLOOD + " connections held: saturated",
                    saturated + " of " + serveAgain.size() + " floods left a new client unanswered for "
                            + SATURATION_PROBE.toMillis() + " ms; descriptors at " + atLimit,
                    "every flood saturates the server", saturated == serveAgain.size());
            report.check("Faults", "time to serve again once the flood is released",
                    "max " + (worst == Long.MAX_VALUE ? "never" : Report.seconds(worst)) + " over " + serveAgain.size()
                            + " floods (" + String.join(", ", serveAgain.stream()
                            .map(nanos -> nanos == Long.MAX_VALUE ? "never" : Report.seconds(nanos)).toList()) + ")",
                    "< " + SERVE_AGAIN.toSeconds() + " s", worst < SERVE_AGAIN.toNanos());
            double worstCpu = cpu.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            report.check("Faults", "CPU while out of descriptors", String.format(Locale.ROOT,
                    "%.0f %% of a core at most, over %d holds of %.1f to %.1f s", worstCpu, cpu.size(),
                    HOLD.toMillis() / 1000.0, (HOLD.toMillis() + HOLD_JITTER_MILLIS) / 1000.0),
                    "≤ " + Math.round(MOST_CPU_PERCENT) + " % (no spinning acceptor)", worstCpu <= MOST_CPU_PERCENT);
            List<String> unexpected = target.server().unexpectedLogLines(EXPECTED_LOG);
            report.check("Faults", "after the floods", "descriptors " + baseline + " → " + end + "; "
                            + (unexpected.isEmpty() ? "log: only the documented \"cannot accept connections\" warning"
                            : unexpected.size() + " unexpected log lines, first: " + unexpected.get(0)),
                    "back to the baseline (+" + ResourceBounds.END_FD_SLACK + "), nothing else logged",
                    end <= baseline + ResourceBounds.END_FD_SLACK && unexpected.isEmpty());
        }
    }

    /** A new connection, 64 random bytes, their echo within {@code timeout}; false if not. */
    static boolean exchange(Dialer dialer, Random random, Duration timeout) throws IOException {
        byte[] request = new byte[64];
        random.nextBytes(request);
        try (Socket socket = dialer.connect()) {
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            Abuse.write(socket, out, request);
            Conversation.readExactly(in, request, 0, request.length, "a probe's echo");
            return true;
        } catch (SocketTimeoutException | Conversation.Cut notServed) {
            return false;
        }
    }
}
