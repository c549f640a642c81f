package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak: every target's server at once, loaded by its legitimate clients alone (the clean
 * phase), then by the same clients with every abuser at once (the soak phase). Every exchange is
 * verified; the soak's latencies are compared with the clean phase's; the abusers' documented
 * answers are checked; resources are compared with each server's idle baseline after a warm-up.
 */
final class Soak {

    /**
     * Below this, a 99th percentile is scheduling noise on a shared two-core machine rather than
     * the server's doing: both sides of the ratio are raised to it.
     */
    static final long P99_FLOOR_MICROS = 2_000;
    /** After the clients stop starting connections: the longest a chat stay or a guarded write can still take. */
    private static final Duration CLIENTS_END = Duration.ofSeconds(30);
    // The chat's log line for a slow consumer, naming the peer by address and port.
    private static final Pattern SLOW_CONSUMER = Pattern.compile("disconnected /127\\.0\\.0\\.1:(\\d+), a slow consumer");
    private static final Pattern NOTHING_EXPECTED = Pattern.compile("(?!)");

    private Soak() { }

    static void run(Run run, Report report) throws IOException, InterruptedException {
        Plan plan = run.plan();
        List<RunningTarget> running = startAll(run);
        try {
            List<ServerProcess> servers = running.stream().flatMap(target -> target.processes().stream()).toList();
            try (ResourceWatch watch = new ResourceWatch(servers)) {
                watch.phase("warm-up");
                Map<String, Ledger> warmUp = load(running, plan.warmUp(), false, run.seed(), null, null, null);
                Thread.sleep(1000);
                var baseline = ResourceWatch.snapshots(servers, run.jcmd());

                watch.phase("clean");
                List<Map<ServerProcess, ResourceWatch.Snapshot>> halfway = new ArrayList<>();
                ProcStats.MachineTicks beforeClean = ProcStats.machineTicks();
                Map<String, Ledger> clean = load(running, plan.clean(), false, run.seed() + 1, null, run.jcmd(), halfway);
                ProcStats.MachineTicks beforeSoak = ProcStats.machineTicks();
                watch.phase("soak");
                Map<String, Map<Abuse, AbuseTally>> abuse = new LinkedHashMap<>();
                Map<String, Ledger> soak = load(running, plan.soak(), true, run.seed() + 2, abuse, run.jcmd(), halfway);
                ProcStats.MachineTicks afterSoak = ProcStats.machineTicks();
                // Both cores, the suite's own clients included: a soak near 100 % measures the machine too.
                report.info("Soak", "machine CPU busy, clean → soak", Math.round(beforeClean.busyPercent(beforeSoak))
                        + " % → " + Math.round(beforeSoak.busyPercent(afterSoak)) + " % of "
                        + Runtime.getRuntime().availableProcessors() + " CPUs (/proc/stat)");

                watch.phase("after");
                Duration settled = ResourceBounds.awaitDescriptorsBack(baseline, run, report, "soak");
                var end = ResourceWatch.snapshots(servers, run.jcmd());
                checkLegitimate(report, plan, running, warmUp, clean, soak);
                checkAbuse(report, running, abuse);
                Map<ServerProcess, Integer> connections = new LinkedHashMap<>();
                for (RunningTarget target : running) {
                    int clients = Plan.legitimateClients(target.target()) + target.target().abuses().stream()
                            .mapToInt(target.target()::concurrency).sum();
                    target.processes().forEach(server -> connections.put(server, clients));
                }
                ResourceBounds.check(report, "soak", baseline, halfway, end, watch, List.of("clean", "soak"),
                        connections);
                report.info("Resources", "soak: descriptors back to the baseline after the clients left",
                        "in " + Report.seconds(settled.toNanos()));
            }
            for (ServerProcess server : servers) {
                List<String> unexpected = server.unexpectedLogLines(NOTHING_EXPECTED);
                report.check("Soak", server.name() + ": log", unexpected.isEmpty() ? "nothing at WARNING or above"
                        : unexpected.size() + " lines, first: " + unexpected.get(0), "no warning, error or stack trace",
                        unexpected.isEmpty());
            }
            stopAll(report, servers);
        } finally {
            running.forEach(RunningTarget::close);
        }
    }

    private static List<RunningTarget> startAll(Run run) throws IOException, InterruptedException {
        List<Future<RunningTarget>> starting = new ArrayList<>();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Target target : run.targets()) {
                starting.add(executor.submit(() -> RunningTarget.start(target, "", run.setup(), OptionalInt.empty(),
                        run.certificate(), run.clientTls(), List.of())));
            }
        }
        List<RunningTarget> started = new ArrayList<>();
        IOException failure = null;
        for (Future<RunningTarget> future : starting) {
            try {
                started.add(future.get());
            } catch (ExecutionException e) {
                failure = new IOException("a soak server did not start: " + e.getCause().getMessage(), e.getCause());
            }
        }
        if (failure != null) {
            started.forEach(RunningTarget::close);
            throw failure;
        }
        return started;
    }

    /**
     * Runs every target's legitimate clients, and its abusers if {@code abusive}, for {@code length};
     * snapshots the servers halfway when {@code jcmd} is given, so that both measured phases pay
     * for the same full collections (a live-heap reading is one).
     *
     * @return each target's ledger
     */
    private static Map<String, Ledger> load(List<RunningTarget> running, Duration length, boolean abusive,
            long seed, Map<String, Map<Abuse, AbuseTally>> abuse, Path jcmd,
            List<Map<ServerProcess, ResourceWatch.Snapshot>> halfway)
            throws IOException, InterruptedException {
        long until = System.nanoTime() + length.toNanos();
        Map<String, Ledger> ledgers = new LinkedHashMap<>();
        Traffic traffic = new Traffic();
        int index = 0;
        for (RunningTarget target : running) {
            Ledger ledger = new Ledger();
            ledgers.put(target.target().name(), ledger);
            long targetSeed = seed * 1_000_003L + 7919L * index++;
            traffic.legitimate(target, ledger, until, targetSeed);
            if (abusive) {
                traffic.abusers(target, abuse.computeIfAbsent(target.target().name(), name -> new EnumMap<>(Abuse.class)),
                        until, targetSeed + 1);
            }
        }
        if (jcmd != null) {
            Abuse.sleepUntil(until - length.toNanos() / 2);
            halfway.add(ResourceWatch.snapshots(running.stream().flatMap(target -> target.processes().stream()).toList(),
                    jcmd));
        }
        Abuse.sleepUntil(until);
        if (!traffic.join(CLIENTS_END)) {
            throw new IOException("clients were still running " + CLIENTS_END.toSeconds() + " s after the phase ended");
        }
        return ledgers;
    }

    private static void checkLegitimate(Report report, Plan plan, List<RunningTarget> running,
            Map<String, Ledger> warmUp, Map<String, Ledger> clean, Map<String, Ledger> soak) {
        Ledger allClean = new Ledger();
        Ledger allSoak = new Ledger();
        long warmUpFailures = 0;
        for (RunningTarget target : running) {
            String name = target.target().name();
            allClean.add(clean.get(name));
            allSoak.add(soak.get(name));
            warmUpFailures += warmUp.get(name).failureCount();
            warmUp.get(name).firstFailures().forEach(failure -> report.note("warm-up, " + failure));
        }
        allClean.firstFailures().forEach(failure -> report.note("clean phase, " + failure));
        allSoak.firstFailures().forEach(failure -> report.note("soak phase, " + failure));
        long failures = warmUpFailures + allClean.failureCount() + allSoak.failureCount();
        report.check("Soak", "legitimate exchanges, clean / soak",
                Report.count(allClean.exchangeCount()) + " / " + Report.count(allSoak.exchangeCount()) + " verified ("
                        + Report.megabytes((allClean.verifiedBytes() + allSoak.verifiedBytes()) / 1024) + ") over "
                        + Report.count(allClean.connectionCount()) + " / " + Report.count(allSoak.connectionCount())
                        + " connections; " + failures + " failed",
                "none fails", failures == 0);
        latency(report, "all servers", allClean, allSoak, plan.p99Ratio());
        StringBuilder table = new StringBuilder("#### Legitimate clients per server\n\n| Server | Exchanges clean / soak "
                + "| p50 clean / soak | p99 clean / soak | Setup p99 clean / soak | Max soak |\n|---|---|---|---|---|---|\n");
        for (RunningTarget target : running) {
            String name = target.target().name();
            Ledger before = clean.get(name);
            Ledger during = soak.get(name);
            latency(report, name, before, during, 0);
            table.append("| ").append(name).append(" | ").append(Report.count(before.exchangeCount())).append(" / ")
                    .append(Report.count(during.exchangeCount())).append(" | ")
                    .append(Report.millis(before.exchanges.percentileMicros(0.5))).append(" / ")
                    .append(Report.millis(during.exchanges.percentileMicros(0.5))).append(" | ")
                    .append(Report.millis(before.exchanges.percentileMicros(0.99))).append(" / ")
                    .append(Report.millis(during.exchanges.percentileMicros(0.99))).append(" | ")
                    .append(Report.millis(before.setups.percentileMicros(0.99))).append(" / ")
                    .append(Report.millis(during.setups.percentileMicros(0.99))).append(" | ")
                    .append(Report.millis(during.exchanges.maxMicros())).append(" |\n");
        }
        report.detail(table.toString());
    }

    /**
     * The p99 ratio rows: checked against {@code bound} for all servers together, information per
     * server (fewer samples each), which {@code bound} 0 asks for.
     */
    private static void latency(Report report, String who, Ledger clean, Ledger soak, double bound) {
        long before = clean.exchanges.percentileMicros(0.99);
        long during = soak.exchanges.percentileMicros(0.99);
        double ratio = (double) Math.max(during, P99_FLOOR_MICROS) / Math.max(before, P99_FLOOR_MICROS);
        String figure = Report.millis(before) + " → " + Report.millis(during) + " (" + Report.ratio(ratio) + ")";
        if (bound > 0) {
            long setupBefore = clean.setups.percentileMicros(0.99);
            long setupDuring = soak.setups.percentileMicros(0.99);
            double setupRatio = (double) Math.max(setupDuring, P99_FLOOR_MICROS) / Math.max(setupBefore, P99_FLOOR_MICROS);
            report.check("Soak", "exchange p99, clean → soak, " + who, figure,
                    "≤ " + Report.ratio(bound) + " (each side at least " + Report.millis(P99_FLOOR_MICROS) + ")",
                    ratio <= bound);
            report.check("Soak", "setup p99 (connect, TLS handshake, PROXY header), clean → soak, " + who,
                    Report.millis(setupBefore) + " → " + Report.millis(setupDuring) + " (" + Report.ratio(setupRatio) + ")",
                    "≤ " + Report.ratio(bound) + " (each side at least " + Report.millis(P99_FLOOR_MICROS) + ")",
                    setupRatio <= bound);
        } else {
            report.info("Soak", "exchange p99, clean → soak, " + who, figure);
        }
    }

    private static void checkAbuse(Report report, List<RunningTarget> running,
            Map<String, Map<Abuse, AbuseTally>> abuse) throws IOException {
        for (Abuse kind : Abuse.values()) {
            List<String> victims = new ArrayList<>();
            long connections = 0;
            long answered = 0;
            long unanswered = 0;
            long violations = 0;
            long refused = 0;
            Histogram closes = new Histogram();
            for (RunningTarget target : running) {
                AbuseTally tally = abuse.getOrDefault(target.target().name(), Map.of()).get(kind);
                if (tally == null) {
                    continue;
                }
                victims.add(target.target().name());
                connections += tally.connections();
                answered += tally.answeredCount();
                unanswered += tally.unansweredCount();
                violations += tally.violationCount();
                refused += tally.refusedCount();
                closes.add(tally.closeTimes);
                tally.firstViolations().forEach(violation -> report.note(target.target().name() + ", " + violation));
            }
            if (victims.isEmpty()) {
                continue;
            }
            String against = String.join(", ", victims);
            String figure = Report.count(connections) + " connections to " + against
                    + (refused > 0 ? " (" + refused + " connects refused)" : "");
            if (kind == Abuse.NEVER_READS) {
                neverReaders(report, running, abuse, figure);
            } else if (kind.checked()) {
                report.check("Abuse", kind.description, figure + "; " + Report.count(answered) + " answered, median "
                                + Report.millis(closes.percentileMicros(0.5)) + ", max " + Report.millis(closes.maxMicros())
                                + (unanswered > 0 ? "; " + unanswered + " still waiting when the soak ended" : ""),
                        bound(kind), violations == 0 && answered > 0);
            } else {
                report.info("Abuse", kind.description, figure);
            }
        }
    }

    private static String bound(Abuse kind) {
        return switch (kind) {
            case TLS_GARBAGE, TLS_STALL -> "closed within the handshake timeout ("
                    + Target.HANDSHAKE_TIMEOUT.toSeconds() + " s) + " + Abuse.SLACK.toSeconds() + " s";
            case PROXY_LATE -> "closed within the header timeout (" + Target.HEADER_TIMEOUT.toSeconds()
                    + " s) + " + Abuse.SLACK.toSeconds() + " s";
            case PROXY_GARBAGE, OVERSIZED_FRAME -> "closed within " + Abuse.PROMPTLY.toSeconds() + " s";
            case HTTP_GARBAGE -> "documented statuses only, closed within " + Abuse.PROMPTLY.toSeconds() + " s";
            case HTTP_OVERSIZED -> "413 or 431 as sent, closed within " + Abuse.PROMPTLY.toSeconds() + " s";
            default -> "";
        };
    }

    /** The chat's log names each slow consumer it disconnected: they must all be the suite's non-readers. */
    private static void neverReaders(Report report, List<RunningTarget> running, Map<String, Map<Abuse, AbuseTally>> abuse,
            String figure) throws IOException {
        for (RunningTarget target : running) {
            AbuseTally tally = abuse.getOrDefault(target.target().name(), Map.of()).get(Abuse.NEVER_READS);
            if (tally == null) {
                continue;
            }
            Set<Integer> logged = new TreeSet<>();
            Matcher line = SLOW_CONSUMER.matcher(target.server().stderr());
            while (line.find()) {
                logged.add(Integer.parseInt(line.group(1)));
            }
            Set<Integer> others = new TreeSet<>(logged);
            others.removeAll(tally.localPorts);
            report.check("Abuse", Abuse.NEVER_READS.description, figure + "; " + logged.size()
                            + " disconnected as slow consumers (the chat's log), after a median "
                            + Report.millis(tally.closeTimes.percentileMicros(0.5)) + "; " + others.size()
                            + " other clients disconnected so",
                    "at least one disconnected; nobody else", !logged.isEmpty() && others.isEmpty());
        }
    }

    /** SIGTERM to every soak server: each exits with 143 (128 + SIGTERM) and reports its drain. */
    private static void stopAll(Report report, List<ServerProcess> servers) throws IOException, InterruptedException {
        for (ServerProcess server : servers) {
            server.signal("TERM");
        }
        List<String> problems = new ArrayList<>();
        for (ServerProcess server : servers) {
            OptionalInt status = server.awaitExit(Duration.ofSeconds(30));
            if (status.isEmpty() || status.getAsInt() != 143 || server.drainReport().isEmpty()) {
                problems.add(server.name() + (status.isEmpty() ? " still running" : " exited " + status.getAsInt()));
            }
        }
        report.check("Soak", "SIGTERM after the soak", problems.isEmpty()
                ? servers.size() + " servers exited with 143 and a drain report" : String.join(", ", problems),
                "all exit, status 143, drain reported", problems.isEmpty());
    }
}
