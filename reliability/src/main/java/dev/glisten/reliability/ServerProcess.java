package dev.glisten.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One example server from the examples jar, as a child process: {@code java [jvm options] -jar
 * glisten-examples.jar <example> --port 0 --bind 127.0.0.1 [args]}, optionally under a lower
 * file descriptor limit ({@code prlimit --nofile}, which sets the limit and then runs the java in
 * its own process, so the pid is the server's). Output goes to files in the run's log directory,
 * polled against deadlines, so no read can hang the suite; {@link #close()} kills what is left.
 */
final class ServerProcess implements AutoCloseable {

    /** A cold JVM on a machine busy with other runs. */
    static final Duration STARTUP = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)\n");
    // Main's contract: the report of a graceful stop, on standard error.
    private static final Pattern DRAIN_REPORT = Pattern.compile(
            "glisten-examples: drained (\\d+) connections? gracefully, forced (\\d+), in (\\d+) ms");

    /**
     * The report of a SIGTERM or SIGINT, as the examples print it.
     *
     * @param graceful connections that ended within the drain timeout
     * @param forced connections the server closed at the drain timeout
     * @param millis how long the drain took
     */
    record DrainReport(int graceful, int forced, long millis) { }

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private InetSocketAddress address;

    private ServerProcess(String name, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts an example and waits until it listens.
     *
     * @param name the name of this server in the report and the log files
     * @param setup the java, the examples jar, the JVM options and the log directory
     * @param fdLimit the process's file descriptor limit (soft and hard), or empty for the suite's own
     * @param args the example and its options; {@code --port 0 --bind 127.0.0.1} are added
     * @throws IOException if it cannot be started, exits, or prints no {@code listening on} line in time
     */
    static ServerProcess start(String name, Setup setup, OptionalInt fdLimit, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (fdLimit.isPresent()) {
            command.addAll(List.of("prlimit", "--nofile=" + fdLimit.getAsInt() + ":" + fdLimit.getAsInt()));
        }
        command.add(setup.java().toString());
        command.addAll(setup.serverJvmOptions());
        command.addAll(List.of("-jar", setup.examplesJar().toString()));
        command.addAll(args);
        command.addAll(List.of("--port", "0", "--bind", "127.0.0.1"));
        Path stdout = setup.logs().resolve(name + ".out");
        Path stderr = setup.logs().resolve(name + ".err");
        Files.writeString(setup.logs().resolve(name + ".command"), String.join(" ", command) + "\n");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        ServerProcess server = new ServerProcess(name, process, stdout, stderr);
        try {
            server.awaitListening();
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        String out = Files.readString(stdout);
        while (!out.contains("\n")) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + " before listening: "
                        + stderr());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException(name + " printed no \"listening on\" line within " + STARTUP + ": " + stderr());
            }
            Thread.sleep(20);
            out = Files.readString(stdout);
        }
        Matcher line = LISTENING.matcher(out);
        if (!line.lookingAt()) {
            throw new IOException(name + " printed " + out.strip() + " instead of \"listening on HOST:PORT\"");
        }
        address = new InetSocketAddress(line.group(1), Integer.parseInt(line.group(2)));
    }

    String name() {
        return name;
    }

    InetSocketAddress address() {
        return address;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Sends a signal with kill(1): {@code STOP} and {@code CONT} have no Java API, and {@code TERM}
     * goes the same way for symmetry.
     */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            kill.destroyForcibly();
            throw new IOException("kill -" + signal + " " + pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes()).strip());
        }
    }

    /**
     * Waits for the process to exit.
     *
     * @return its exit status, or empty if it is still running after {@code timeout}
     */
    OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(process.exitValue());
    }

    String stderr() throws IOException {
        return Files.readString(stderr);
    }

    /** The drain report on standard error, once the server has stopped after a signal. */
    Optional<DrainReport> drainReport() throws IOException {
        Matcher report = DRAIN_REPORT.matcher(stderr());
        if (!report.find()) {
            return Optional.empty();
        }
        return Optional.of(new DrainReport(Integer.parseInt(report.group(1)), Integer.parseInt(report.group(2)),
                Long.parseLong(report.group(3))));
    }

    /**
     * The lines of standard error the server logged at WARNING or SEVERE (the JDK's console format
     * puts the level at the start of the line after the one naming the source), minus those
     * {@code expected} matches.
     */
    List<String> unexpectedLogLines(Pattern expected) throws IOException {
        List<String> unexpected = new ArrayList<>();
        for (String line : stderr().split("\n")) {
            boolean serious = line.startsWith("SEVERE:") || line.startsWith("WARNING:")
                    || line.contains("Exception") || line.contains("\tat ");
            if (serious && !expected.matcher(line).find()) {
                unexpected.add(line);
            }
        }
        return unexpected;
    }

    /** Kills the server if it is still running. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ", " + address + ")";
    }

    /**
     * What every server of a run is started with.
     *
     * @param java the java executable (21 or newer)
     * @param examplesJar {@code examples/target/glisten-examples.jar}
     * @param serverJvmOptions such as {@code -Xmx256m}
     * @param logs where each server's command, standard output and standard error are written
     */
    record Setup(Path java, Path examplesJar, List<String> serverJvmOptions, Path logs) { }
}
