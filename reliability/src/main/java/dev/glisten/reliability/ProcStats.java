package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A server process's resources, read from outside: resident memory, open file descriptors and
 * platform threads from {@code /proc/PID} (proc(5)), and the live heap after a full collection
 * through {@code jcmd PID GC.run} then {@code GC.heap_info}. Virtual threads are not platform
 * threads and do not show in the count: a growing count means carriers or pollers being added.
 */
final class ProcStats {

    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB$");
    private static final Pattern THREADS = Pattern.compile("(?m)^Threads:\\s+(\\d+)$");
    // G1 prints "garbage-first heap   total reserved 262144K, committed 262144K, used 6602K [...";
    // Serial and Parallel print "total 1234K, used 567K" per generation: the first "used" is the heap's.
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Duration JCMD = Duration.ofSeconds(30);
    /** USER_HZ: the unit of utime and stime in /proc/PID/stat, 100 on every Linux architecture in use. */
    static final long CLOCK_TICKS_PER_SECOND = 100;

    /**
     * One reading of the cheap counters.
     *
     * @param rssKb resident set size, kB
     * @param fds open file descriptors
     * @param threads platform threads
     * @param cpuTicks user and system CPU time so far, in clock ticks
     */
    record Sample(long rssKb, int fds, int threads, long cpuTicks) { }

    /**
     * The whole machine's CPU time so far, from the first line of {@code /proc/stat}.
     *
     * @param busy ticks spent neither idle nor waiting for I/O, on all CPUs
     * @param total all ticks, on all CPUs
     */
    record MachineTicks(long busy, long total) {
        /** The share of the CPUs busy from this reading to {@code later}, in percent. */
        double busyPercent(MachineTicks later) {
            long elapsed = later.total - total;
            return elapsed <= 0 ? 0 : 100.0 * (later.busy - busy) / elapsed;
        }
    }

    private ProcStats() { }

    static MachineTicks machineTicks() throws IOException {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (proc(5)); guest
        // time is already counted in user.
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i <= 8 && i < fields.length; i++) {
            total += Long.parseLong(fields[i]);
        }
        long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
        return new MachineTicks(total - idle, total);
    }

    /**
     * Reads {@code /proc/PID/status}, {@code /proc/PID/stat} and {@code /proc/PID/fd}.
     *
     * @throws IOException if the process has exited
     */
    static Sample sample(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        String status = Files.readString(proc.resolve("status"));
        int fds;
        try (Stream<Path> open = Files.list(proc.resolve("fd"))) {
            fds = (int) open.count();
        }
        return new Sample(number(RSS, status, "VmRSS"), fds, (int) number(THREADS, status, "Threads"), cpuTicks(proc));
    }

    private static long cpuTicks(Path proc) throws IOException {
        // The command name, field 2, is in parentheses and may hold spaces: count from the last ')'.
        String stat = Files.readString(proc.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields 14 (utime) and 15 (stime) of proc(5), numbered from the state, field 3, here at 0.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long number(Pattern pattern, String text, String what) throws IOException {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            throw new IOException("no " + what + " in /proc/PID/status");
        }
        return Long.parseLong(matcher.group(1));
    }

    /**
     * The heap in use right after a full collection (what is live), in kB.
     *
     * @param jcmd the jcmd of the JDK that runs the server
     * @throws IOException if jcmd fails or prints no heap usage
     */
    static long liveHeapKb(Path jcmd, long pid) throws IOException, InterruptedException {
        run(jcmd, pid, "GC.run");
        String info = run(jcmd, pid, "GC.heap_info");
        Matcher used = HEAP_USED.matcher(info);
        if (!used.find()) {
            throw new IOException("jcmd " + pid + " GC.heap_info printed no heap usage: " + info);
        }
        return Long.parseLong(used.group(1));
    }

    private static String run(Path jcmd, long pid, String command) throws IOException, InterruptedException {
        // Into a file, not a pipe: a jcmd that hangs must not hang a read of its output.
        Path output = Files.createTempFile("jcmd-" + pid, ".txt");
        try {
            Process process = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), command))
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(JCMD.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("jcmd " + pid + " " + command + " did not finish within " + JCMD);
            }
            String text = Files.readString(output);
            if (process.exitValue() != 0) {
                throw new IOException("jcmd " + pid + " " + command + " failed: " + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
