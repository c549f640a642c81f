package dev.glisten;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An {@code openssl} command (a TLS peer we did not write) run as a child process: the test writes
 * its standard input and watches what it prints. Every wait is bounded, and {@link #close()} kills
 * the process if it is still running. {@link OpensslClient} runs {@code s_client},
 * {@link OpensslServer} {@code s_server}.
 */
abstract class OpensslProcess implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final List<String> command;
    private final OutputStream stdin;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread[] pumps;

    OpensslProcess(Process process, List<String> command) {
        this.process = process;
        this.command = command;
        this.stdin = process.getOutputStream();
        this.pumps = new Thread[] {pump(process.getInputStream(), stdout), pump(process.getErrorStream(), stderr)};
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

    /** Writes {@code text} to the process's standard input. */
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
        await(expected, within, false);
    }

    /** Waits until either output contains {@code expected}. */
    void awaitOutput(String expected) {
        await(expected, WAIT, true);
    }

    private void await(String expected, Duration within, boolean eitherOutput) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!(eitherOutput ? output() : stdout()).contains(expected)) {
            if (System.nanoTime() - deadline > 0) {
                fail("openssl " + command.get(1) + " did not print \"" + expected + "\" within " + within + ": "
                        + describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Closes standard input and waits for the process to end by itself; returns its exit code. */
    int finish() throws IOException, InterruptedException {
        stdin.close();
        return awaitExit();
    }

    /** Waits for the process to end by itself (its peer closed, or it failed); returns its exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail("openssl " + command.get(1) + " did not end within " + WAIT + ": " + describe());
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
