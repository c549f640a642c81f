package dev.glisten.reliability;

import dev.glisten.internal.loop.InboundFuzz;
import dev.glisten.internal.proxy.ProxyHeaderFuzz;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The fuzzing, in a JVM of its own with a small heap ({@link #HEAP}), so that "memory bounded"
 * means it finished without running out: a million PROXY headers through the parser and a
 * million framed streams through the connection's framing engine (the core's own fuzzers,
 * {@code ProxyHeaderFuzz} and {@code InboundFuzz}, at a scale the build cannot afford), then
 * random bytes into the http example ({@link HttpFuzz}). {@link #main} is that JVM; {@link #run}
 * starts it and turns its output, one {@code key=value} line per fuzzer, into rows.
 */
final class Fuzz {

    /** The fuzzing JVM's heap: the fuzzers keep one input at a time, the HTTP server a few connections. */
    static final String HEAP = "-Xmx64m";
    private static final int VIOLATION = 3;

    private Fuzz() { }

    /**
     * Runs the fuzzers: {@code SEED HEADERS STREAMS BUDGET_MILLIS HTTP_MILLIS}. Prints a line per
     * fuzzer; exits with status 3 and the violation on standard output if an oracle fails.
     */
    public static void main(String[] args) throws Exception {
        long seed = Long.parseLong(args[0]);
        long headers = Long.parseLong(args[1]);
        long streams = Long.parseLong(args[2]);
        Duration budget = Duration.ofMillis(Long.parseLong(args[3]));
        Duration http = Duration.ofMillis(Long.parseLong(args[4]));
        PrintStream out = System.out;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        try {
            ProxyHeaderFuzz.Tally proxy = ProxyHeaderFuzz.run(seed, headers, budget);
            out.println("proxy headers=" + proxy.headers() + " parses=" + proxy.parses() + " parsed=" + proxy.parsed()
                    + " rejected=" + proxy.rejected() + " incomplete=" + proxy.incomplete() + " absent=" + proxy.absent()
                    + " millis=" + proxy.took().toMillis());
            // Valid streams check the most (every frame, in order); garbage and damage the rejections.
            print(out, "valid", InboundFuzz.validStreams(seed + 1, streams * 2 / 5, budget.multipliedBy(2).dividedBy(5)));
            print(out, "garbage", InboundFuzz.garbage(seed + 2, streams * 3 / 10, budget.multipliedBy(3).dividedBy(10)));
            print(out, "damaged", InboundFuzz.mutated(seed + 3, streams * 3 / 10, budget.multipliedBy(3).dividedBy(10)));
            HttpFuzz.Tally tally = HttpFuzz.run(seed + 4, http);
            out.println("http inputs=" + tally.inputs() + " silent=" + tally.silentCloses() + " hung=" + tally.hung()
                    + " undocumented=" + tally.undocumented() + " failures=" + tally.failures() + " logged="
                    + tally.logged() + " statuses=" + tally.statuses().entrySet().stream()
                    .map(entry -> entry.getKey() + ":" + entry.getValue()).collect(Collectors.joining(",")));
        } catch (AssertionError violation) {
            out.println("violation " + violation.getMessage().replace('\n', ' '));
            out.flush();
            System.exit(VIOLATION);
        }
        System.gc();
        out.println("heap before=" + heapBefore / 1024 + " after=" + memory.getHeapMemoryUsage().getUsed() / 1024
                + " max=" + memory.getHeapMemoryUsage().getMax() / 1024);
    }

    private static void print(PrintStream out, String kind, InboundFuzz.Tally tally) {
        out.println("framing-" + kind + " streams=" + tally.streams() + " frames=" + tally.frames() + " bytes="
                + tally.bytes() + " tooLarge=" + tally.tooLarge() + " malformed=" + tally.malformed() + " waiting="
                + tally.waiting() + " millis=" + tally.took().toMillis());
    }

    /** Starts the fuzzing JVM on this one's class path, waits for it (bounded), and reports. */
    static void run(Run run, Report report) throws IOException, InterruptedException {
        Plan plan = run.plan();
        Path output = run.setup().logs().resolve("fuzz.out");
        List<String> command = new ArrayList<>(List.of(run.setup().java().toString(), HEAP, "-cp",
                System.getProperty("java.class.path"), Fuzz.class.getName(), Long.toString(run.seed()),
                Long.toString(plan.fuzzHeaders()), Long.toString(plan.fuzzStreams()),
                Long.toString(plan.fuzzBudget().toMillis()), Long.toString(plan.httpFuzz().toMillis())));
        Process fuzz = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        // Two budgets (PROXY, framing) and the HTTP time, plus a JVM start and collections on a busy machine.
        Duration bound = plan.fuzzBudget().multipliedBy(2).plus(plan.httpFuzz()).plusSeconds(120);
        OptionalInt status = OptionalInt.empty();
        if (fuzz.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            status = OptionalInt.of(fuzz.exitValue());
        } else {
            fuzz.destroyForcibly();
        }
        String text = Files.readString(output);
        Map<String, Map<String, String>> lines = FuzzOutput.parse(text);
        FuzzOutput.report(report, lines, status, text, bound, plan);
    }
}
