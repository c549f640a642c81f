package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine a run's figures come from, read from {@code /proc} and the JDK: CPUs, memory,
 * kernel, JDK, the servers' JVM options, the descriptor limit, and the load average before and
 * after (other work on the machine moves latencies, so the report says how busy it was).
 *
 * @param summary one line for the report
 * @param loadBefore the one-minute load average when the run began
 */
record Machine(String summary, String loadBefore) {

    private static final Pattern EXAMPLE_LINE = Pattern.compile("^  (\\S+)\\s{2,}\\S");

    static Machine describe(Path java, List<String> serverOptions) throws IOException {
        String cpu = firstMatch(Path.of("/proc/cpuinfo"), "(?m)^model name\\s*:\\s*(.+)$", "unknown CPU");
        long memoryKb = Long.parseLong(firstMatch(Path.of("/proc/meminfo"), "(?m)^MemTotal:\\s+(\\d+) kB$", "0"));
        String files = firstMatch(Path.of("/proc/self/limits"), "(?m)^Max open files\\s+(\\d+|unlimited)", "?");
        String load = load();
        String summary = String.format(Locale.ROOT, "%d CPUs (%s), %.1f GB memory, Linux %s, JDK %s (%s); servers run"
                        + " as `java %s -jar glisten-examples.jar ...`; open files limit %s; load average %s before",
                Runtime.getRuntime().availableProcessors(), cpu.strip(), memoryKb / 1024.0 / 1024.0,
                System.getProperty("os.version"), Runtime.version(), System.getProperty("java.vm.vendor"),
                String.join(" ", serverOptions), files, load);
        return new Machine(summary, load);
    }

    /** The same, with the load average at the end added. */
    Machine afterwards() throws IOException {
        return new Machine(summary + ", " + load() + " after", loadBefore);
    }

    private static String load() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    private static String firstMatch(Path file, String regex, String otherwise) throws IOException {
        Matcher matcher = Pattern.compile(regex).matcher(Files.readString(file));
        return matcher.find() ? matcher.group(1) : otherwise;
    }

    /** The examples the jar's {@code --help} lists, so scenarios of newer examples are skipped on older jars. */
    static List<String> examples(Path java, Path jar) throws IOException, InterruptedException {
        Path output = Files.createTempFile("examples-help", ".txt");
        try {
            Process help = new ProcessBuilder(java.toString(), "-jar", jar.toString(), "--help")
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!help.waitFor(60, TimeUnit.SECONDS) || help.exitValue() != 0) {
                help.destroyForcibly();
                throw new IOException("java -jar " + jar + " --help failed: " + Files.readString(output));
            }
            List<String> examples = new ArrayList<>();
            boolean listing = false;
            for (String line : Files.readAllLines(output)) {
                if (line.equals("Examples:")) {
                    listing = true;
                } else if (listing) {
                    Matcher example = EXAMPLE_LINE.matcher(line);
                    if (!example.find()) {
                        break;
                    }
                    examples.add(example.group(1));
                }
            }
            return examples;
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
