package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.testkit.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar's {@code proxy}: in front of the jar's own {@code echo} and {@code http}, over
 * plain TCP, TLS and with a PROXY header; an upstream that is down; a client that never reads,
 * against the proxy's live heap; and the command-line contract.
 */
class ProxyIT {

    /** What a process killed by SIGTERM reports: 128 + 15. */
    private static final int TERMINATED = 143;
    private static final Duration CURL = Duration.ofSeconds(30);

    @TempDir
    Path output;

    private final List<JarProcess> jars = new ArrayList<>();

    @AfterEach
    void kill() {
        jars.reversed().forEach(JarProcess::close);
    }

    @Test
    void relaysEveryByteToTheEchoAndBackUntilSigterm() throws Exception {
        int echo = listening("echo", "--port", "0", "--bind", "127.0.0.1");
        JarProcess proxy = start("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + echo,
                "--drain-timeout", "1");
        int port = proxy.awaitListening("127.0.0.1");

        awaitRelaying(port);
        TcpProxyTest.assertEchoed(port, TcpProxyTest.random(4 << 20, 11));
        try (TestClient connected = JarProcess.connect(port)) {
            connected.send("ping\n");
            assertThat(connected.readLine()).isEqualTo("ping");

            assertThat(proxy.terminate()).isIn(0, TERMINATED);
            assertThat(connected.awaitClosed()).as("bytes before the close").isZero();
        }

        assertThat(proxy.stdout()).isEqualTo("listening on 127.0.0.1:" + port + "\n");
        assertThat(proxy.stderr()).contains("glisten-examples: relaying each connection to 127.0.0.1:" + echo);
        // A proxy relays on through the drain timeout: the open connection is forced at its end.
        assertThat(proxy.stderr().lines()).anyMatch(line -> line.matches(
                "glisten-examples: drained 0 connections gracefully, forced 1, in \\d+ ms"));
        JarProcess.assertNothingListensOn(port);
    }

    @Test
    void anUpstreamThatIsDownEndsEachClientAtOnceAndTheProxyServesOn() throws Exception {
        int upstream = TcpProxyTest.freePort();
        int port = listening("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + upstream);

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            try (TestClient client = JarProcess.connect(port)) {
                assertThat(client.awaitClosed()).as("bytes before the close").isZero();
            }
            // Well within the 10 s connect timeout: refused at once, not timed out. The first client
            // also waits for a cold JVM's first connect and first log line.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("client %d closed after", i)
                    .isLessThan(Duration.ofSeconds(i == 0 ? 5 : 1));
        }
        awaitStderr(jars.get(0), "cannot reach 127.0.0.1:" + upstream + ": cannot connect to 127.0.0.1:" + upstream
                + ": Connection refused");

        listening("echo", "--port", String.valueOf(upstream), "--bind", "127.0.0.1");
        try (TestClient client = JarProcess.connect(port)) {
            client.send("up again\n");
            assertThat(client.readLine()).isEqualTo("up again");
        }
    }

    @Test
    void relaysToATlsUpstreamVerifiedAgainstTheGivenCa() throws Exception {
        TestCertificate certificate = TestCertificate.generate(output, "upstream");
        List<String> echoArgs = new ArrayList<>(List.of("echo", "--port", "0", "--bind", "127.0.0.1"));
        echoArgs.addAll(certificate.flags());
        int echo = listening(echoArgs.toArray(String[]::new));
        int port = listening("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + echo,
                "--upstream-tls", "--upstream-ca", certificate.certificate().toString(),
                "--upstream-server-name", "localhost");

        awaitRelaying(port);
        TcpProxyTest.assertEchoed(port, TcpProxyTest.random(1 << 20, 12));

        int wrongName = listening("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + echo,
                "--upstream-tls", "--upstream-ca", certificate.certificate().toString(),
                "--upstream-server-name", "db.internal");
        try (TestClient client = JarProcess.connect(wrongName)) {
            client.send("never relayed\n");
            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
        }
        // Logged as the client's connection closes, not necessarily before.
        awaitStderr(jars.get(jars.size() - 1), "the server's certificate does not match the name db.internal");
    }

    @Test
    void aProxyHeaderIsWhatAnEchoThatRequiresOneAccepts() throws Exception {
        int echo = listening("echo", "--port", "0", "--bind", "127.0.0.1", "--proxy-protocol");
        int port = listening("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + echo,
                "--send-proxy");

        // The echo closes any connection that does not begin with a valid header.
        try (TestClient client = JarProcess.connect(port)) {
            client.send("behind two proxies\n");
            assertThat(client.readLine()).isEqualTo("behind two proxies");
        }
    }

    @Test
    void curlReachesTheHttpExampleThroughTheProxy() throws Exception {
        Path curl = Path.of("/usr/bin/curl");
        Assumptions.assumeTrue(Files.isExecutable(curl), "curl is not installed (.ci/run installs it)");
        int http = listening("http", "--port", "0", "--bind", "127.0.0.1");
        int port = listening("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + http);
        byte[] body = TcpProxyTest.random(500_000, 13);
        Path sent = Files.write(output.resolve("body.bin"), body);
        Path received = output.resolve("echoed.bin");

        String base = "http://127.0.0.1:" + port;
        assertThat(run(curl, "-sS", base + "/")).isEqualTo("Hello from glisten!\n");
        assertThat(run(curl, "-sS", "--data-binary", "@" + sent, "-o", received.toString(), "-w", "%{http_code}",
                base + "/echo")).isEqualTo("200");
        assertThat(Files.readAllBytes(received)).isEqualTo(body);
    }

    @Test
    void aClientThatNeverReadsIsStoppedByTcpAndTheProxysHeapStaysPut() throws Exception {
        int echo = listening("echo", "--port", "0", "--bind", "127.0.0.1");
        JarProcess proxy = start("proxy", "--port", "0", "--bind", "127.0.0.1", "--upstream", "127.0.0.1:" + echo);
        int port = proxy.awaitListening("127.0.0.1");
        // Warm: classes loaded, code compiled, the read buffers' pools filled.
        awaitRelaying(port);
        for (int i = 0; i < 4; i++) {
            TcpProxyTest.assertEchoed(port, TcpProxyTest.random(8 << 20, i));
        }
        long[] before = proxy.liveHeapAfterFullGc();
        Assumptions.assumeTrue(before != null, "no jcmd beside the test's java");

        try (SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            client.configureBlocking(false);
            long written = writeUntilStalled(client, 512L << 20);
            long[] during = proxy.liveHeapAfterFullGc();

            // What the client could write is what the kernel's socket buffers on the way hold.
            assertThat(written).as("bytes taken before TCP stopped the client").isLessThan(512L << 20);
            assertThat(during[0] - before[0]).as("the proxy's live heap grew by (bytes), with %d bytes held up", written)
                    .isLessThan(2L << 20);
        }
    }

    @Test
    void theProxyWithoutAnUpstreamExitsWith2SayingWhatIsMissing() throws Exception {
        JarProcess proxy = start("proxy", "--port", "0");

        assertThat(proxy.awaitExit()).isEqualTo(2);
        assertThat(proxy.stderr().lines().findFirst()).hasValue(
                "glisten-examples: the proxy example needs --upstream HOST:PORT: where to relay each connection");
        assertThat(proxy.stdout()).isEmpty();
    }

    // ------------------------------------------------------------------------------------- helpers

    private JarProcess start(String... args) throws IOException {
        JarProcess jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, args);
        jars.add(jar);
        return jar;
    }

    /** Starts the jar with {@code args} and returns the port it listens on (at 127.0.0.1). */
    private int listening(String... args) throws Exception {
        return start(args).awaitListening("127.0.0.1");
    }

    /**
     * A first exchange through a proxy just started, with {@link JarProcess#STARTUP} to answer:
     * two cold JVMs (the proxy's first connect starts its client runtime, over TLS both sides run
     * their first handshake) on a loaded machine may take longer than the reads of the data checks
     * allow.
     */
    private static void awaitRelaying(int port) throws IOException {
        try (TestClient first = TestClient.connect(new InetSocketAddress("127.0.0.1", port), JarProcess.STARTUP)) {
            first.send("warm up\n");
            assertThat(first.readLine()).isEqualTo("warm up");
        }
    }

    /** Waits, at most {@link JarProcess#STARTUP}, until the jar's standard error contains {@code text}. */
    private static void awaitStderr(JarProcess jar, String text) throws Exception {
        long deadline = System.nanoTime() + JarProcess.STARTUP.toNanos();
        while (!jar.stderr().contains(text)) {
            if (System.nanoTime() - deadline > 0) {
                fail("standard error never said \"" + text + "\":\n" + jar.stderr());
            }
            Thread.sleep(20);
        }
    }

    /** Writes a pattern without blocking until no byte is taken for a second; returns how many were. */
    private static long writeUntilStalled(SocketChannel channel, long most) throws IOException {
        ByteBuffer block = ByteBuffer.wrap(TcpProxyTest.random(64 * 1024, 99));
        long written = 0;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(1) && written < most) {
            if (!block.hasRemaining()) {
                block.clear();
            }
            int taken = channel.write(block);
            if (taken > 0) {
                written += taken;
                lastProgress = System.nanoTime();
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        return written;
    }

    /** Runs {@code tool}, bounded by {@link #CURL}; returns its standard output, failing unless it exits 0. */
    private String run(Path tool, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(tool.toString()));
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(output, "out", ".txt");
        Path stderr = Files.createTempFile(output, "err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!process.waitFor(CURL.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail(tool.getFileName() + " still running after " + CURL + "; stderr: " + Files.readString(stderr));
        }
        assertThat(process.exitValue()).as("exit status; stderr: %s", Files.readString(stderr)).isZero();
        return Files.readString(stdout, UTF_8);
    }
}
