package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.testkit.TestClient;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The runnable jar as a child process, for the integration tests. Its output goes to files that are
 * polled against deadlines, so no read can hang a test; {@link #close()} kills it and every process
 * it started, and belongs in an {@code @AfterEach} or {@code finally}.
 */
final class JarProcess implements AutoCloseable {

    /** Long enough for a cold JVM, or two when the launcher re-executes itself. */
    static final Duration STARTUP = Duration.ofSeconds(30);
    /** The server's stop timeout is 5 s; the launcher gives its child 10 s more. */
    static final Duration EXIT = Duration.ofSeconds(20);

    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)\n");

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final List<ProcessHandle> descendants = new ArrayList<>();

    private JarProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** The java running these tests: 21 or newer, as the build's toolchain requires. */
    static String testJava() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Starts {@code java -jar glisten-examples.jar args...}.
     *
     * @param java the java executable
     * @param environment changes to this process's environment
     * @param outputDirectory where standard output and error are written
     */
    static JarProcess start(String java, Consumer<Map<String, String>> environment, Path outputDirectory,
            String... args) throws IOException {
        Path jar = Path.of(System.getProperty("glisten.examples.jar", "target/glisten-examples.jar"));
        assertThat(jar).as("the runnable jar, built by `mvn package`").isRegularFile();
        List<String> command = new ArrayList<>(List.of(java, "-jar", jar.toString()));
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(outputDirectory, "stdout", ".txt");
        Path stderr = Files.createTempFile(outputDirectory, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        environment.accept(builder.environment());
        return new JarProcess(builder.start(), stdout, stderr);
    }

    /**
     * Waits for the {@code listening on HOST:PORT} line.
     *
     * @return the port
     */
    int awaitListening(String expectedHost) throws Exception {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (!stdout().contains("\n")) {
            if (!process.isAlive()) {
                fail("exited with status " + process.exitValue() + " before listening; stderr:\n" + stderr());
            }
            if (System.nanoTime() > deadline) {
                fail("no \"listening on\" line within " + STARTUP + "; stderr:\n" + stderr());
            }
            Thread.sleep(20);
        }
        Matcher line = LISTENING.matcher(stdout());
        assertThat(line.matches()).as("standard output %s", stdout()).isTrue();
        assertThat(line.group(1)).isEqualTo(expectedHost);
        // Recorded while they live: once the launcher has exited, its child is no longer its descendant.
        process.descendants().forEach(descendants::add);
        return Integer.parseInt(line.group(2));
    }

    /**
     * The process that serves: the launcher's child java if it started one, else the jar's own
     * process (the usual case, on a java that runs the examples itself).
     */
    ProcessHandle server() {
        return descendants.isEmpty() ? process.toHandle() : descendants.get(0);
    }

    /** The processes this one had started when it began listening (the launcher's child java). */
    List<ProcessHandle> descendants() {
        return List.copyOf(descendants);
    }

    /** Sends SIGTERM ({@link Process#destroy()}) and waits for the exit. */
    int terminate() throws Exception {
        sigterm();
        return awaitExit();
    }

    /** Sends SIGTERM ({@link Process#destroy()} on Linux) and returns at once. */
    void sigterm() {
        process.destroy();
    }

    /** Waits at most {@link #EXIT} for this process and every recorded descendant to end. */
    int awaitExit() throws Exception {
        if (!process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("still running " + EXIT + " later; stderr:\n" + stderr());
        }
        for (ProcessHandle descendant : descendants) {
            descendant.onExit().get(EXIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        return process.exitValue();
    }

    String stdout() throws IOException {
        return Files.readString(stdout);
    }

    String stderr() throws IOException {
        return Files.readString(stderr);
    }

    /**
     * {@code jcmd PID GC.run} on the serving process, then the heap's use and size from
     * {@code GC.heap_info}, in bytes: what the server still holds, as opposed to what its heap has
     * grown to.
     *
     * @return {used, committed}; {@code null} without a jcmd beside the test's java
     */
    long[] liveHeapAfterFullGc() throws IOException, InterruptedException {
        Path jcmd = Path.of(testJava()).resolveSibling("jcmd");
        if (!Files.isExecutable(jcmd)) {
            return null;
        }
        jcmd(jcmd, "GC.run");
        String heapInfo = jcmd(jcmd, "GC.heap_info");
        Matcher used = Pattern.compile("committed (\\d+)K, used (\\d+)K").matcher(heapInfo);
        assertThat(used.find()).as("jcmd GC.heap_info: %s", heapInfo).isTrue();
        return new long[] {Long.parseLong(used.group(2)) * 1024, Long.parseLong(used.group(1)) * 1024};
    }

    private String jcmd(Path jcmd, String command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(stdout.getParent(), "jcmd", ".txt");
        Process process = new ProcessBuilder(jcmd.toString(), String.valueOf(server().pid()), command)
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        return Files.readString(out);
    }

    /** Connects to the jar's server on {@code 127.0.0.1:port}, each read bounded by the kit's default timeout. */
    static TestClient connect(int port) throws IOException {
        return TestClient.connect(new InetSocketAddress("127.0.0.1", port));
    }

    static void assertNothingListensOn(int port) {
        assertThatThrownBy(() -> JarProcess.connect(port).close())
                .as("connecting to port %d", port)
                .isInstanceOf(ConnectException.class);
    }

    @Override
    public void close() {
        for (ProcessHandle descendant : descendants) {
            descendant.destroyForcibly();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
