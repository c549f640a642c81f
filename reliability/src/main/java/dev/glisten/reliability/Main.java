package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The reliability suite's driver: {@code reliability/run [--quick]} (which builds what is missing
 * and starts this). Runs the soak ({@link Soak}), the faults ({@link FdLimitFault},
 * {@link StopFault}, {@link TermFault}) and the fuzzing ({@link Fuzz}); prints one table; writes it
 * with the command and the machine to {@code reliability/results/<time>.md}, and a full run also
 * into {@code docs/RELIABILITY.md}. Exits 0 if every bound held, 1 if any did not, 2 on bad
 * arguments. Everything runs on loopback; every loop is bounded in count and time.
 */
public final class Main {

    /**
     * The servers' JVM options: a bounded heap, so that resident memory means something (with the
     * JVM's default, a quarter of the machine, a leak could grow for hours unseen), ample for a few
     * hundred connections and leaving room for eight JVMs; started small, so that it grows only as
     * far as the load needs and the resident set follows the server's use rather than how far the
     * young generation ranged over a heap committed in advance.
     */
    static final List<String> SERVER_JVM_OPTIONS = List.of("-Xms16m", "-Xmx256m");
    private static final Set<String> PARTS = Set.of("soak", "faults", "fuzz");
    private static final String USAGE = """
            Usage: reliability/run [--quick] [--only soak,faults,fuzz] [--seed N] [--docs FILE | --no-docs]

            Runs the reliability suite against the examples jar, over loopback: a soak of every example
            with abusive clients, faults (a low descriptor limit, SIGSTOP, SIGTERM), and fuzzing of the
            parsers. Prints one table; writes it to reliability/results/<time>.md, and (full runs, or
            with --docs) into docs/RELIABILITY.md. Exit status 0 when every bound held, 1 otherwise.

              --quick       about 80 seconds (CI); the default, the full run, takes about eight minutes
              --only PARTS  run only these parts, comma-separated: soak, faults, fuzz
              --seed N      the seed of every client's and fuzzer's randomness (default: the clock)
              --docs FILE   write the table into FILE (default for full runs: docs/RELIABILITY.md)
              --no-docs     write it to reliability/results only
              --jar FILE    the examples jar (default examples/target/glisten-examples.jar)
            """;

    private Main() { }

    /**
     * Runs the suite from the repository's root directory.
     *
     * @param args see {@code reliability/run --help}
     */
    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("reliability: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.print(USAGE);
            return;
        }
        System.exit(run(options) ? 0 : 1);
    }

    private static boolean run(Options options) throws IOException, InterruptedException, GeneralSecurityException {
        long started = System.nanoTime();
        LocalDateTime startedAt = LocalDateTime.now();
        String stamp = startedAt.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss"));
        Path results = Path.of("reliability", "results");
        Path logs = Files.createDirectories(results.resolve(stamp + "-logs"));
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow(
                () -> new IOException("cannot tell which java runs the suite")));
        Path jcmd = java.resolveSibling("jcmd");
        Machine machine = Machine.describe(java, SERVER_JVM_OPTIONS);
        System.out.println("reliability: " + options.plan().name() + " run, seed " + options.seed() + ", logs in " + logs);
        System.out.println("reliability: " + machine.summary());

        Certificate certificate = Certificate.generate(logs);
        ServerProcess.Setup setup = new ServerProcess.Setup(java, options.examplesJar(), SERVER_JVM_OPTIONS, logs);
        List<String> examples = Machine.examples(java, options.examplesJar());
        List<Target> targets = Target.all(certificate, examples);
        Run run = new Run(options.plan(), setup, certificate, certificate.clientContext(), jcmd, targets, options.seed());
        Report report = new Report();
        if (!examples.contains("proxy")) {
            report.note("the examples jar has no proxy example; the proxy scenario was skipped");
        }
        if (options.parts().contains("soak")) {
            part(report, "soak", () -> Soak.run(run, report));
        }
        if (options.parts().contains("faults")) {
            part(report, "descriptor limit", () -> FdLimitFault.run(run, report));
            part(report, "SIGSTOP", () -> StopFault.run(run, report));
            part(report, "SIGTERM", () -> TermFault.run(run, report));
        }
        if (options.parts().contains("fuzz")) {
            part(report, "fuzz", () -> Fuzz.run(run, report));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        String block = markdown(options, machine.afterwards(), report, took, startedAt);
        System.out.println();
        System.out.println(report.table());
        if (!report.notes().isEmpty()) {
            System.out.println(report.notes());
        }
        System.out.println("reliability: " + (report.passed() ? "every bound held" : report.failures() + " bounds failed")
                + " in " + took.toSeconds() + " s; report in " + results.resolve(stamp + ".md"));
        Files.writeString(results.resolve(stamp + ".md"), block + "\n");
        if (options.docs() != null) {
            Report.replaceBlock(options.docs(), options.plan().name(), block);
            System.out.println("reliability: written into " + options.docs());
        }
        return report.passed();
    }

    @FunctionalInterface
    private interface Part {
        void run() throws Exception;
    }

    /** Runs one part; one that cannot complete is a failed row, and the others still run. */
    private static void part(Report report, String name, Part part) {
        System.out.println("reliability: " + name + "...");
        long start = System.nanoTime();
        try {
            part.run();
        } catch (Exception e) {
            report.check("Run", name, "did not complete: " + e, "completes", false);
        }
        System.out.println("reliability: " + name + " took " + Report.seconds(System.nanoTime() - start));
    }

    private static String markdown(Options options, Machine machine, Report report, Duration took,
            LocalDateTime started) {
        StringBuilder text = new StringBuilder();
        text.append("### ").append(options.plan() == Plan.FULL ? "Full run" : "Quick run").append("\n\n");
        text.append("Command: `").append(options.command()).append("` (seed ").append(options.seed()).append("), ")
                .append(started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"))).append(", ")
                .append(took.toMinutes()).append(" min ")
                .append(took.toSecondsPart()).append(" s. ")
                .append(report.passed() ? "Every bound held." : report.failures() + " bounds failed.").append("\n\n");
        text.append("Machine: ").append(machine.summary()).append(".\n\n");
        text.append(report.table());
        if (!report.notes().isEmpty()) {
            text.append("\nNotes from the run:\n\n").append(report.notes());
        }
        text.append("\n<details><summary>Details of this run</summary>\n\n").append(report.details())
                .append("\n</details>\n");
        return text.toString();
    }

    /**
     * The parsed command line.
     *
     * @param plan quick or full
     * @param parts which parts run
     * @param seed the run's seed
     * @param docs the document to write the table into, or {@code null}
     * @param examplesJar the examples jar
     * @param command the command as typed, for the report
     */
    record Options(Plan plan, Set<String> parts, long seed, Path docs, Path examplesJar, String command) {

        /** {@code null} for {@code --help}. */
        static Options parse(List<String> args) {
            Plan plan = Plan.FULL;
            Set<String> parts = PARTS;
            long seed = System.currentTimeMillis();
            String docs = "default";
            Path jar = Path.of("examples", "target", "glisten-examples.jar");
            List<String> typed = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--help", "-h" -> {
                        return null;
                    }
                    case "--quick" -> plan = Plan.QUICK;
                    case "--no-docs" -> docs = null;
                    case "--only", "--seed", "--docs", "--jar" -> {
                        if (i + 1 == args.size()) {
                            throw new IllegalArgumentException(arg + " needs a value");
                        }
                        String value = args.get(++i);
                        switch (arg) {
                            case "--only" -> parts = parts(value);
                            case "--seed" -> seed = seed(value);
                            case "--docs" -> docs = value;
                            default -> jar = Path.of(value);
                        }
                        typed.add(arg + " " + value);
                        continue;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + arg);
                }
                typed.add(arg);
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no examples jar at " + jar + "; build it: mvn -B -DskipTests package");
            }
            Path document = docs == null ? null
                    : docs.equals("default") ? (plan == Plan.FULL && parts.equals(PARTS) ? Path.of("docs", "RELIABILITY.md") : null)
                    : Path.of(docs);
            String command = "reliability/run" + (typed.isEmpty() ? "" : " " + String.join(" ", typed));
            return new Options(plan, parts, seed, document, jar, command);
        }

        private static Set<String> parts(String value) {
            Set<String> chosen = Set.of(value.split(","));
            if (!PARTS.containsAll(chosen)) {
                throw new IllegalArgumentException("--only takes soak, faults and fuzz, got " + value);
            }
            return chosen;
        }

        private static long seed(String value) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--seed takes a number, got " + value);
            }
        }
    }
}
