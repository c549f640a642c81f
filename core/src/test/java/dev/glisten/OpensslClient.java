package dev.glisten;

import static org.assertj.core.api.Assertions.fail;

import dev.glisten.internal.tls.Openssl;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code openssl s_client}, a TLS client we did not write, run as a child process against a server
 * on 127.0.0.1: the test writes its standard input and watches what it prints. Every wait is
 * bounded, and {@link #close()} kills the process if it is still running.
 *
 * <p>Give {@code -quiet} (or {@code -brief}) to have standard output carry only the application
 * data, and {@code -ign_eof} to keep the connection open after standard input ends; without them,
 * the end of standard input sends close_notify and ends the process.
 */
final class OpensslClient implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final List<String> command;
    private final OutputStream stdin;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread[] pumps;

    private OpensslClient(Process process, List<String> command) {
        this.process = process;
        this.command = command;
        this.stdin = process.getOutputStream();
        this.pumps = new Thread[] {pump(process.getInputStream(), stdout), pump(process.getErrorStream(), stderr)};
    }

    /**
     * Starts {@code openssl s_client -connect 127.0.0.1:<port> -nocommands <args>} in {@code dir}.
     * Without {@code -nocommands}, a read from standard input that happens to begin with Q, R or K
     * is taken as a command (quit, renegotiate, key update) and not sent.
     */
    static OpensslClient connect(Server server, Path dir, String... args) throws IOException {
        return start(server, dir, "-nocommands", args);
    }

    /** As {@link #connect}, with the command letters on: a line {@code K} alone makes openssl send KeyUpdate. */
    static OpensslClient connectWithCommands(Server server, Path dir, String... args) throws IOException {
        return start(server, dir, null, args);
    }

    private static OpensslClient start(Server server, Path dir, String option, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Openssl.binary(), "s_client", "-connect",
                "127.0.0.1:" + server.port()));
        if (option != null) {
            command.add(option);
        }
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
        return new OpensslClient(process, command);
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
        return Thread.ofVirtual().start(() -> {
            byte[] chunk = new byte[8192];
            try {
                for (int n; (n = from.read(chunk)) >= 0; ) {
                    to.write(chunk, 0, n); // ByteArrayOutputStream is thread-safe
                }
            } catch (IOException ended) {
                // The process was killed.
            }
        });
    }

    /** Writes {@code text} to the client's standard input. */
    void send(String text) throws IOException {
        stdin.write(text.getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** What it printed so far on standard output (application data with {@code -quiet}). */
    String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    /** What it printed so far on standard error (errors, alerts; the summary with {@code -brief}). */
    String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    /** Both outputs, for failure messages and for facts that either may carry. */
    String output() {
        return stdout() + stderr();
    }

    /** Waits until standard output contains {@code expected}, failing with everything printed after {@link #WAIT}. */
    void awaitStdout(String expected) {
        awaitStdout(expected, WAIT);
    }

    /** Waits until standard output contains {@code expected}, failing with everything printed after {@code within}. */
    void awaitStdout(String expected, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!stdout().contains(expected)) {
            if (System.nanoTime() - deadline > 0) {
                fail("openssl s_client did not print \"" + expected + "\" within " + within + ": " + describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Waits until either output contains {@code expected}. */
    void awaitOutput(String expected) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!output().contains(expected)) {
            if (System.nanoTime() - deadline > 0) {
                fail("openssl s_client did not print \"" + expected + "\" within " + WAIT + ": " + describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Closes standard input and waits for the process to end by itself; returns its exit code. */
    int finish() throws IOException, InterruptedException {
        stdin.close();
        return awaitExit();
    }

    /** Waits for the process to end by itself (the server closed, or it failed); returns its exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail("openssl s_client did not end within " + WAIT + ": " + describe());
        }
        for (Thread pump : pumps) {
            pump.join(WAIT);
        }
        return process.exitValue();
    }

    String describe() {
        return command + "\n--- stdout:\n" + stdout() + "\n--- stderr:\n" + stderr();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
