package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.testkit.TestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar's production controls: {@code --max-connections}, {@code --idle-timeout}, and
 * the graceful drain on SIGTERM ({@code --drain-timeout}) with its report on standard error.
 */
class MainControlsIT {

    /** What a process killed by SIGTERM reports: 128 + 15. */
    private static final int TERMINATED = 143;
    /** How long a client the server does not serve waits in vain. */
    private static final Duration NOT_SERVED = Duration.ofMillis(500);
    private static final Duration DRAIN = Duration.ofSeconds(2);
    /** From SIGTERM to exit, beyond the drain timeout: the JVM's own shutdown, on a busy machine. */
    private static final Duration EXIT_AFTER_DRAIN = Duration.ofSeconds(3);
    private static final Pattern REPORT = Pattern.compile(
            "glisten-examples: drained (\\d+) connections? gracefully, forced (\\d+), in (\\d+) ms");

    @TempDir
    Path output;

    private JarProcess jar;

    @AfterEach
    void kill() {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    @SuppressWarnings("try") // the first client leaves in the middle
    void atTheConnectionLimitANewClientWaitsUntilAnotherLeaves() throws Exception {
        int port = start("echo", "--max-connections", "2");

        try (TestClient first = JarProcess.connect(port); TestClient second = JarProcess.connect(port)) {
            assertEchoes(first, "first\n");
            assertEchoes(second, "second\n");
            // The kernel completes its handshake and holds it in the listen backlog, unaccepted.
            try (TestClient third = JarProcess.connect(port)) {
                third.send("third\n");
                third.assertNothingArrivesWithin(NOT_SERVED);

                first.close();

                assertThat(third.readLine()).isEqualTo("third");
                assertEchoes(third, "served now\n");
            }
            assertEchoes(second, "still served\n");
        }
    }

    @Test
    void anIdleClientIsDisconnectedWhileOneThatKeepsSendingStays() throws Exception {
        int port = start("echo", "--idle-timeout", "0.5");

        try (TestClient idle = JarProcess.connect(port); TestClient busy = JarProcess.connect(port)) {
            assertEchoes(idle, "hello\n");
            long idleSince = System.nanoTime();
            assertEchoes(busy, "hello\n");
            // Four times the idle timeout, a line every 100 ms.
            FutureTask<Void> keepSending = new FutureTask<>(() -> {
                for (int i = 0; i < 20; i++) {
                    Thread.sleep(100);
                    assertEchoes(busy, "tick " + i + "\n");
                }
                return null;
            });
            Thread.ofVirtual().name("busy-client").start(keepSending);

            assertThat(idle.awaitClosed()).as("bytes before the close").isZero();
            Duration idleFor = Duration.ofNanos(System.nanoTime() - idleSince);

            // The server last heard it a little before idleSince, when it echoed "hello".
            assertThat(idleFor).isBetween(Duration.ofMillis(400), Duration.ofMillis(2000));
            keepSending.get(TestClient.DEFAULT_READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEchoes(busy, "still here\n");
        }
    }

    @Test
    @SuppressWarnings("try") // the stuck client only has to stay connected
    void onSigtermEchoEndsAQuietConnectionAtOnceAndForcesOneStuckInASendAtTheDrainTimeout() throws Exception {
        int port = start("echo", "--drain-timeout", "2");

        try (TestClient quiet = JarProcess.connect(port); SocketChannel stuck = jam(port)) {
            assertEchoes(quiet, "hello\n");
            long signalled = System.nanoTime();
            jar.sigterm();

            // Closed by its loop at the notice, long before the drain timeout.
            assertThat(quiet.awaitClosed()).as("bytes before the close").isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(DRAIN);
            assertThat(jar.awaitExit()).isIn(0, TERMINATED);
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(DRAIN.plus(EXIT_AFTER_DRAIN));
        }

        Matcher report = report();
        assertThat(report.group(1)).as("graceful").isEqualTo("1");
        assertThat(report.group(2)).as("forced").isEqualTo("1");
        assertThat(Duration.ofMillis(Long.parseLong(report.group(3))))
                .isBetween(DRAIN, DRAIN.plus(EXIT_AFTER_DRAIN));
        assertThat(jar.stdout()).isEqualTo("listening on 127.0.0.1:" + port + "\n");
        JarProcess.assertNothingListensOn(port);
    }

    @Test
    void onSigtermChatSaysGoodbyeEvenToAClientThatReadsNothing() throws Exception {
        int port = start("chat", "--drain-timeout", "2");

        try (TestClient alice = JarProcess.connect(port); TestClient deaf = JarProcess.connect(port)) {
            assertThat(alice.readLine()).startsWith("welcome");
            // deaf never reads: the greeting and the goodbye wait in its receive buffer.
            deaf.send("anyone there?\n");
            assertThat(alice.readLine()).isEqualTo("anyone there?");
            long signalled = System.nanoTime();
            jar.sigterm();

            assertThat(alice.readLine()).isEqualTo("server shutting down, bye");
            assertThat(alice.awaitClosed()).as("bytes before the close").isZero();
            assertThat(jar.awaitExit()).isIn(0, TERMINATED);
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(DRAIN.plus(EXIT_AFTER_DRAIN));
        }

        Matcher report = report();
        assertThat(report.group(1)).as("graceful").isEqualTo("2");
        assertThat(report.group(2)).as("forced").isEqualTo("0");
        assertThat(Duration.ofMillis(Long.parseLong(report.group(3)))).isLessThan(DRAIN);
    }

    @Test
    void aDrainTimeoutOfZeroClosesEveryConnectionAtOnce() throws Exception {
        int port = start("chat", "--drain-timeout", "0");

        try (TestClient alice = JarProcess.connect(port)) {
            assertThat(alice.readLine()).startsWith("welcome");

            assertThat(jar.terminate()).isIn(0, TERMINATED);

            // No notice, so no goodbye: the connection just closes.
            assertThat(alice.awaitClosed()).as("bytes before the close").isZero();
        }
        assertThat(report().group(0)).startsWith("glisten-examples: drained 0 connections gracefully, forced 1, in ");
    }

    @Test
    void theLowLevelExampleRefusesTheConnectionLimitAndIdleTimeout() throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "lowlevel", "--idle-timeout", "1");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValue(
                "glisten-examples: the lowlevel example has no idle timeout; --idle-timeout works with echo, chat,"
                        + " http and proxy");
        assertThat(jar.stdout()).isEmpty();
    }

    @Test
    void aBadDrainTimeoutExitsWith2NamingTheFlag() throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "echo", "--drain-timeout", "-1");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValueSatisfying(
                line -> assertThat(line).startsWith("glisten-examples: --drain-timeout must be").contains("\"-1\""));
        assertThat(jar.stdout()).isEmpty();
    }

    /** Starts the jar on a free loopback port; returns the port. */
    private int start(String example, String... options) throws Exception {
        String[] args = new String[options.length + 5];
        args[0] = example;
        System.arraycopy(new String[] {"--port", "0", "--bind", "127.0.0.1"}, 0, args, 1, 4);
        System.arraycopy(options, 0, args, 5, options.length);
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, args);
        return jar.awaitListening("127.0.0.1");
    }

    /** The one drain report on standard error, matched. */
    private Matcher report() throws Exception {
        String stderr = jar.stderr();
        return stderr.lines().map(REPORT::matcher).filter(Matcher::matches).findFirst()
                .orElseThrow(() -> new AssertionError("no drain report on standard error:\n" + stderr));
    }

    private static void assertEchoes(TestClient client, String line) throws Exception {
        client.send(line);
        assertThat(client.readLine()).isEqualTo(line.stripTrailing());
    }

    /**
     * Connects a client that sends to the echo server and never reads, until the server stops
     * reading from it: the server's loop is then blocked sending the echo back, where the shutdown
     * notice cannot reach it, and it stays so, as nobody reads. Measured rather than computed from
     * buffer sizes, which the kernel tunes.
     */
    private static SocketChannel jam(int port) throws Exception {
        SocketChannel channel = SocketChannel.open();
        try {
            // Small, so that less of the echo is buffered on the way back.
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            channel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            channel.configureBlocking(false);
            ByteBuffer bytes = ByteBuffer.allocate(64 * 1024);
            long deadline = System.nanoTime() + TestClient.DEFAULT_READ_TIMEOUT.multipliedBy(4).toNanos();
            long lastProgress = System.nanoTime();
            long written = 0;
            // Jammed once nothing more is taken for this long, on loopback, with the server reading as fast as it can.
            Duration stalled = Duration.ofMillis(500);
            while (System.nanoTime() - lastProgress < stalled.toNanos()) {
                if (System.nanoTime() - deadline > 0 || written > 1L << 30) {
                    fail("the server still read after " + written + " bytes");
                }
                bytes.clear();
                int taken = channel.write(bytes);
                if (taken > 0) {
                    written += taken;
                    lastProgress = System.nanoTime();
                } else {
                    Thread.sleep(10);
                }
            }
            return channel;
        } catch (Exception | AssertionError e) {
            channel.close();
            throw e;
        }
    }
}
