package dev.glisten.reliability;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The echo server frozen with SIGSTOP for a few seconds in the middle of legitimate load and the
 * echo's abusers, then resumed with SIGCONT: what a paused VM, a debugger or an overloaded host does to a
 * server. Clients wait longer than the stop (their reads time out after
 * {@link Dialer#READ_TIMEOUT}), so no exchange may fail; the server must serve a new client at
 * once after the resume, and its resources must come back to the baseline.
 */
final class StopFault {

    /** Load before the stop and after the resume. */
    private static final Duration AROUND = Duration.ofSeconds(2);
    /** A new client after SIGCONT: the kernel kept its connection in the backlog, the server takes it. */
    static final Duration RECOVERY = Duration.ofSeconds(1);
    private static final Duration CLIENTS_END = Duration.ofSeconds(30);
    private static final Pattern NOTHING_EXPECTED = Pattern.compile("(?!)");

    private StopFault() { }

    static void run(Run run, Report report) throws IOException, InterruptedException {
        Plan plan = run.plan();
        Target echo = run.target("echo");
        try (RunningTarget target = RunningTarget.start(echo, "-sigstop", run.setup(), OptionalInt.empty(),
                run.certificate(), run.clientTls(), List.of())) {
            Traffic warm = new Traffic();
            warm.legitimate(target, new Ledger(), System.nanoTime() + AROUND.toNanos(), run.seed() + 11);
            warm.join(CLIENTS_END);
            Thread.sleep(500);
            var baseline = ResourceWatch.snapshots(List.of(target.server()), run.jcmd());

            Ledger ledger = new Ledger();
            Map<Abuse, AbuseTally> abuse = new EnumMap<>(Abuse.class);
            Traffic traffic = new Traffic();
            long until = System.nanoTime() + (AROUND.toNanos() * 2 + plan.stopFor().toNanos());
            long recovered;
            try (ResourceWatch watch = new ResourceWatch(List.of(target.server()))) {
                watch.phase("load");
                traffic.legitimate(target, ledger, until, run.seed() + 12);
                traffic.abusers(target, abuse, until, run.seed() + 13);
                Thread.sleep(AROUND);
                target.server().signal("STOP");
                Thread.sleep(plan.stopFor());
                target.server().signal("CONT");
                long resumed = System.nanoTime();
                recovered = FdLimitFault.exchange(target.dialer(), new Random(run.seed()), Dialer.READ_TIMEOUT)
                        ? System.nanoTime() - resumed : Long.MAX_VALUE;
                Abuse.sleepUntil(until);
                if (!traffic.join(CLIENTS_END)) {
                    throw new IOException("clients were still running " + CLIENTS_END.toSeconds() + " s after the load");
                }
                watch.phase("after");
                ResourceBounds.awaitDescriptorsBack(baseline, run, report, "sigstop");
                var end = ResourceWatch.snapshots(List.of(target.server()), run.jcmd());
                ResourceBounds.check(report, "SIGSTOP", baseline, List.of(), end, watch, List.of("load"),
                        Map.of(target.server(), Plan.legitimateClients(echo)
                                + echo.abuses().stream().mapToInt(echo::concurrency).sum()));
            }
            ledger.firstFailures().forEach(failure -> report.note("SIGSTOP, " + failure));
            report.check("Faults", "SIGSTOP for " + plan.stopFor().toSeconds() + " s under load, then SIGCONT",
                    Report.count(ledger.exchangeCount()) + " exchanges verified, " + ledger.failureCount()
                            + " failed; the longest took " + Report.millis(ledger.exchanges.maxMicros()),
                    "none fails", ledger.failureCount() == 0 && ledger.exchangeCount() > 0);
            report.check("Faults", "a new client after SIGCONT",
                    recovered == Long.MAX_VALUE ? "not served" : "served in " + Report.millis(recovered / 1000),
                    "< " + RECOVERY.toSeconds() + " s", recovered < RECOVERY.toNanos());
            List<String> unexpected = target.server().unexpectedLogLines(NOTHING_EXPECTED);
            report.check("Faults", "SIGSTOP: log", unexpected.isEmpty() ? "nothing at WARNING or above"
                    : unexpected.size() + " lines, first: " + unexpected.get(0), "no warning, error or stack trace",
                    unexpected.isEmpty());
        }
    }
}
