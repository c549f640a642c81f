package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.fail;

import dev.glisten.internal.RealServer;
import dev.glisten.internal.ServerConfig;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Waiting with deadlines, echo handlers, and what the tests observe of the process itself. */
final class TestSupport {

    static final Duration WAIT = Duration.ofSeconds(10);

    private TestSupport() { }

    /** A loop that sends every packet back and keeps its state. */
    static <S, M> Handler<S, M> echo() {
        return (state, message, connection) -> {
            if (message instanceof Message.Packet<M> packet) {
                connection.send(packet.bytes());
            }
            return Next.continueWith(state);
        };
    }

    /** A server on 127.0.0.1, an ephemeral port, that echoes. */
    static Server startEcho() throws IOException {
        return Server.<Void, Void>builder(connection -> null, echo()).bind("127.0.0.1").start(0);
    }

    static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("timed out after " + WAIT + " waiting for " + what);
        }
    }

    /** Polls {@code condition} every few milliseconds until it holds, failing after {@code within}. */
    static void eventually(String what, Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + within + " waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    static void eventually(String what, BooleanSupplier condition) {
        eventually(what, WAIT, condition);
    }

    /** Skips the test when this machine has no IPv6 loopback. */
    static void assumeIpv6Loopback() {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            Assumptions.assumeTrue(probe.isBound());
        } catch (IOException e) {
            Assumptions.abort("no IPv6 loopback here: " + e);
        }
    }

    static InetSocketAddress loopback4(Server server) throws IOException {
        return new InetSocketAddress(InetAddress.getByName("127.0.0.1"), server.port());
    }

    static InetSocketAddress loopback6(Server server) throws IOException {
        return new InetSocketAddress(InetAddress.getByName("::1"), server.port());
    }

    /** Runs a server and stops it; returns the port it had. */
    @FunctionalInterface
    interface ServerRun {
        int runAndStop() throws Exception;
    }

    /**
     * Checks that a stopped server leaves no thread and no file descriptor behind. A first run
     * opens what the JDK keeps open once used (the virtual-thread pollers' epoll descriptors,
     * /dev/urandom for the thread dump's temporary file), so the second run starts from a settled
     * count.
     *
     * @return the port of the second run
     */
    static int assertStopReleasesEverything(ServerRun run) throws Exception {
        run.runAndStop();
        long before = openFileDescriptors();
        List<String> threadsBefore = glistenThreadNames();

        int port = run.runAndStop();

        assertThat(openFileDescriptors()).as("open file descriptors").isEqualTo(before);
        List<String> threadsAfter = glistenThreadNames();
        assertThat(threadsAfter).as("threads of the stopped server").noneMatch(name -> name.startsWith("glisten-" + port + "-"));
        assertThat(threadsAfter).as("glisten threads").isSubsetOf(threadsBefore);
        return port;
    }

    /** How many file descriptors this process has open (Linux). */
    static long openFileDescriptors() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux)");
        try (Stream<Path> list = Files.list(fds)) {
            return list.count();
        }
    }

    /**
     * The names of every live thread, virtual ones included, from a JSON thread dump:
     * {@link Thread#getAllStackTraces()} lists platform threads only. Called reflectively because
     * the module under test reads {@code java.base} alone, and the test classes are patched into it
     * (see core/pom.xml); core reflection needs no read edge.
     */
    static List<String> threadNames() throws Exception {
        Class<?> beanType = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
        Class<?> formatType = Class.forName("com.sun.management.HotSpotDiagnosticMXBean$ThreadDumpFormat");
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getPlatformMXBean", Class.class).invoke(null, beanType);
        Object json = formatType.getMethod("valueOf", String.class).invoke(null, "JSON");
        Path dir = Files.createTempDirectory("glisten-test-threads");
        Path dump = dir.resolve("threads.json");
        try {
            Method dumpThreads = beanType.getMethod("dumpThreads", String.class, formatType);
            dumpThreads.invoke(bean, dump.toAbsolutePath().toString(), json);
            Matcher names = Pattern.compile("\"name\": \"([^\"]*)\"").matcher(Files.readString(dump));
            return names.results().map(match -> match.group(1)).toList();
        } finally {
            Files.deleteIfExists(dump);
            Files.delete(dir);
        }
    }

    /**
     * CPU time used by this process so far, in nanoseconds. By reflection, like {@link #threadNames()}:
     * the tests run inside module dev.glisten, which does not read java.management.
     */
    static long processCpuNanos() throws Exception {
        Class<?> beanType = Class.forName("com.sun.management.OperatingSystemMXBean");
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getPlatformMXBean", Class.class).invoke(null, beanType);
        return (Long) beanType.getMethod("getProcessCpuTime").invoke(bean);
    }

    static List<String> glistenThreadNames() throws Exception {
        // Not the client connections' shared watchers: made at the first connect, kept for the process.
        return threadNames().stream().filter(name -> name.startsWith("glisten-"))
                .filter(name -> !name.startsWith("glisten-client-watcher-")).toList();
    }

    /**
     * The value of a socket option on a connection's accepted socket. The public API does not
     * expose socket options, and a peer cannot observe TCP_NODELAY or SO_KEEPALIVE reliably; the
     * test classes share the module, so they may look inside.
     */
    static <T> T acceptedSocketOption(Connection<?> connection, SocketOption<T> option) throws Exception {
        // The accepted channel sits inside the connection's WatchedSocket; options are not public API.
        Field socketField = connection.getClass().getDeclaredField("socket");
        socketField.setAccessible(true);
        Object socket = socketField.get(connection);
        Field channelField = socket.getClass().getDeclaredField("channel");
        channelField.setAccessible(true);
        return ((java.nio.channels.SocketChannel) channelField.get(socket)).getOption(option);
    }

    /** The configuration a server runs with: a default whose effect takes seconds to see is read here. */
    static ServerConfig<?, ?> configOf(Server server) throws Exception {
        Field config = RealServer.class.getDeclaredField("config");
        config.setAccessible(true);
        return (ServerConfig<?, ?>) config.get(server);
    }

    /** Asserts that {@link Server#awaitTermination()} returns within {@code timeout}. */
    static void assertTerminatesWithin(Server server, Duration timeout) throws InterruptedException {
        Thread awaiter = Thread.ofPlatform().start(() -> {
            try {
                server.awaitTermination();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(awaiter.join(timeout)).as("the server terminated").isTrue();
    }
}
