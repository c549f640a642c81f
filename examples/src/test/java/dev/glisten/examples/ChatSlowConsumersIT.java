package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat's slow-consumer scenario measured from outside, on the runnable jar: 5 members that
 * connect and never read, 20 that send lines flat out and read what they get, for 30 seconds,
 * while the server's resident memory ({@code VmRSS} in {@code /proc/PID/status}) is sampled. The
 * issue's bar: RSS grows by well under 150 MB, and the 5 non-readers are disconnected.
 *
 * <p>Off by default (it takes half a minute and both cores). Run it with
 * {@code mvn -B -o -pl examples verify -Dglisten.chat.measure=true -Dit.test=ChatSlowConsumersIT
 * -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}. Other properties: {@code
 * -Dglisten.chat.seconds=N} (default 30), {@code -Dglisten.chat.lines-per-second=N} per talker
 * (default 0, flat out), {@code -Dglisten.chat.java-options=-Xmx64m} (the server's JVM options,
 * through {@code JDK_JAVA_OPTIONS}; default none). The report is printed to
 * {@code examples/target/failsafe-reports/dev.glisten.examples.ChatSlowConsumersIT-output.txt}:
 * RSS before, at its peak, at the end and after the talkers left, the live heap after a full
 * collection ({@code jcmd GC.run}, {@code GC.heap_info}), when each non-reader was disconnected
 * (from the chat's log), and how the talkers fared.
 */
@EnabledIfSystemProperty(named = "glisten.chat.measure", matches = "true")
class ChatSlowConsumersIT {

    private static final int NON_READERS = 5;
    private static final int TALKERS = 20;
    private static final Duration TALKING = Duration.ofSeconds(Long.getLong("glisten.chat.seconds", 30));
    /** Lines each talker sends per second; 0, the default, for as fast as the server reads them. */
    private static final int PACE = Integer.getInteger("glisten.chat.lines-per-second", 0);
    private static final long LIMIT_BYTES = 150L * 1024 * 1024;
    private static final int LINE_LENGTH = 100;
    /** As small as the kernel allows, so that a non-reader's window closes after a few kilobytes. */
    private static final int NON_READER_RECEIVE_BUFFER = 4096;
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(250);
    private static final Duration DRAIN = Duration.ofSeconds(15);
    // The chat's log line for a slow consumer, which names the peer by its address and port.
    private static final Pattern SLOW_CONSUMER =
            Pattern.compile("disconnected /127\\.0\\.0\\.1:(\\d+), a slow consumer");
    private static final Pattern VM_RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB$");

    @TempDir
    Path output;

    private JarProcess jar;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void nonReadersAreDisconnectedAndMemoryStaysBounded() throws Exception {
        String javaOptions = System.getProperty("glisten.chat.java-options", "");
        jar = JarProcess.start(JarProcess.testJava(), environment -> {
            if (!javaOptions.isBlank()) {
                environment.put("JDK_JAVA_OPTIONS", javaOptions);
            }
        }, output, "chat", "--port", "0", "--bind", "127.0.0.1");
        int port = jar.awaitListening("127.0.0.1");
        long pid = jar.server().pid();
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        Thread.sleep(1000); // let the fresh JVM settle before the baseline
        long before = rss(pid);

        Map<Integer, Integer> nonReaderByPort = new TreeMap<>();
        List<Socket> nonReaders = new ArrayList<>();
        for (int i = 0; i < NON_READERS; i++) {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(NON_READER_RECEIVE_BUFFER);
            socket.connect(server, 5000);
            sockets.add(socket);
            nonReaders.add(socket);
            nonReaderByPort.put(socket.getLocalPort(), i);
        }
        long start = System.nanoTime();
        long end = start + TALKING.toNanos();
        List<Talker> talkers = new ArrayList<>();
        for (int i = 0; i < TALKERS; i++) {
            talkers.add(new Talker(i, server, end));
        }
        talkers.forEach(Talker::start);

        Map<Integer, Long> disconnectedAtMillis = new ConcurrentHashMap<>();
        long peak = before;
        List<String> samples = new ArrayList<>();
        long receivedAtLastSample = 0;
        while (System.nanoTime() < end) {
            Thread.sleep(SAMPLE_EVERY.toMillis());
            long now = rss(pid);
            peak = Math.max(peak, now);
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            if (samples.isEmpty() || elapsed / 1000 != (elapsed - SAMPLE_EVERY.toMillis()) / 1000) {
                long received = talkers.stream().mapToLong(talker -> talker.received.get()).sum();
                samples.add(String.format("%6.1f s %7.1f MB %9d lines received since the last row", elapsed / 1000.0,
                        now / 1048576.0, received - receivedAtLastSample));
                receivedAtLastSample = received;
            }
            noteSlowConsumers(nonReaderByPort, disconnectedAtMillis, elapsed);
        }
        long atEnd = rss(pid);
        // A talker whose write has not returned for a second is one the server has stopped reading.
        long stalled = talkers.stream().filter(talker -> System.nanoTime() - talker.lastWrite > 1_000_000_000L).count();
        // What the server still holds, as opposed to what its heap has grown to: the RSS above
        // includes the young generation the collector sized to the allocation rate.
        long[] liveHeap = jar.liveHeapAfterFullGc();
        // Closed from here, so that a talker blocked in a write (the server not reading) ends too.
        synchronized (sockets) {
            for (Socket socket : sockets) {
                if (!nonReaders.contains(socket)) {
                    socket.close();
                }
            }
        }
        for (Talker talker : talkers) {
            talker.join(Duration.ofSeconds(10));
        }
        noteSlowConsumers(nonReaderByPort, disconnectedAtMillis, (System.nanoTime() - start) / 1_000_000);
        // The server closed them, but its FIN waits behind the lines they never read: read to the end to see it.
        int closedSeen = 0;
        for (Socket socket : nonReaders) {
            if (drainsToTheEnd(socket)) {
                closedSeen++;
            }
        }
        Thread.sleep(2000);
        long afterIdle = rss(pid);

        StringBuilder report = new StringBuilder()
                .append(String.format("chat slow consumers: %d non-readers (SO_RCVBUF %d), %d talkers (%s), %d s;"
                                + " server JVM options: %s%n", NON_READERS, NON_READER_RECEIVE_BUFFER, TALKERS,
                        PACE > 0 ? PACE + " lines/s each" : "flat out", TALKING.toSeconds(),
                        javaOptions.isBlank() ? "none" : javaOptions))
                .append(String.format("RSS before %.1f MB, peak %.1f MB (+%.1f MB), at the end %.1f MB (+%.1f MB),"
                                + " 2 s after the talkers left %.1f MB%n", before / 1048576.0, peak / 1048576.0,
                        (peak - before) / 1048576.0, atEnd / 1048576.0, (atEnd - before) / 1048576.0,
                        afterIdle / 1048576.0))
                .append(String.format("non-readers disconnected as slow consumers (server log): %d of %d, at %s ms;"
                                + " %d of %d saw the server's close once they read%n", disconnectedAtMillis.size(),
                        NON_READERS, new TreeMap<>(disconnectedAtMillis).values(), closedSeen, NON_READERS));
        long received = 0;
        long dropped = 0;
        for (Talker talker : talkers) {
            received += talker.received.get();
            dropped += talker.disconnections.get();
        }
        // Lines sent are not counted: a write to a connection the server has just closed still
        // succeeds, into the kernel's buffer, so the count would say nothing of what the room relayed.
        report.append(String.format("talkers: %d lines received (%.0f per second), %d disconnections"
                + " (each reconnected); %d blocked in a write for the last second%n", received,
                received / (double) TALKING.toSeconds(), dropped, stalled));
        report.append("live heap after a full GC at the end, talkers still connected: ").append(liveHeap == null
                ? "unknown (no jcmd)" : String.format("%.1f MB used of %.1f MB committed", liveHeap[0] / 1048576.0,
                        liveHeap[1] / 1048576.0)).append('\n');
        report.append("RSS each second:\n");
        samples.forEach(sample -> report.append("  ").append(sample).append('\n'));
        System.out.print(report);

        assertThat(disconnectedAtMillis).as(report.toString()).hasSize(NON_READERS);
        if (liveHeap != null) {
            assertThat(liveHeap[0]).as(report.toString()).isLessThan(LIMIT_BYTES);
        }
        // With the JVM's default heap, RSS follows the allocation rate rather than what the server
        // holds: G1 sizes its young generation to the load, up to 60% of an initial heap of 1/64 of
        // the machine's memory, so on a large machine RSS passes the bar with nothing retained (the
        // live heap above says what is). Given a bounded heap, as a server is run, RSS must stay under it.
        if (!javaOptions.isBlank()) {
            assertThat(peak - before).as(report.toString()).isLessThan(LIMIT_BYTES);
        }
    }

    private void noteSlowConsumers(Map<Integer, Integer> nonReaderByPort, Map<Integer, Long> disconnectedAtMillis,
            long elapsedMillis) throws IOException {
        Matcher line = SLOW_CONSUMER.matcher(jar.stderr());
        while (line.find()) {
            Integer nonReader = nonReaderByPort.get(Integer.parseInt(line.group(1)));
            if (nonReader != null) {
                disconnectedAtMillis.putIfAbsent(nonReader, elapsedMillis);
            }
        }
    }

    /** Reads and discards what the server had sent; whether the end of the stream came within {@link #DRAIN}. */
    private static boolean drainsToTheEnd(Socket socket) throws IOException {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        byte[] buffer = new byte[64 * 1024];
        socket.setSoTimeout(1000);
        InputStream in = socket.getInputStream();
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException quiet) {
                // The server has not closed it: keep waiting until the deadline.
            } catch (IOException reset) {
                return true;
            }
        }
        return false;
    }

    private static long rss(long pid) throws IOException {
        Matcher matcher = VM_RSS.matcher(Files.readString(Path.of("/proc", String.valueOf(pid), "status")));
        assertThat(matcher.find()).as("VmRSS of process %d", pid).isTrue();
        return Long.parseLong(matcher.group(1)) * 1024;
    }

    /**
     * A member that writes lines as fast as the server takes them, on one thread, and reads
     * everything it is sent, on another, until the deadline. A talker the server disconnects (it
     * could not keep up with the room either) connects again, so the room keeps its 20 talkers.
     */
    private final class Talker {
        final AtomicLong received = new AtomicLong();
        final AtomicLong disconnections = new AtomicLong();
        volatile long lastWrite = System.nanoTime();
        private final int id;
        private final InetSocketAddress server;
        private final long deadline;
        private final Thread thread;

        Talker(int id, InetSocketAddress server, long deadline) {
            this.id = id;
            this.server = server;
            this.deadline = deadline;
            this.thread = Thread.ofPlatform().name("talker-" + id).unstarted(this::talk);
        }

        void start() {
            thread.start();
        }

        void join(Duration timeout) throws InterruptedException {
            thread.join(timeout);
        }

        private void talk() {
            byte[] line = new byte[LINE_LENGTH];
            Arrays.fill(line, (byte) 'x');
            line[line.length - 1] = '\n';
            byte[] name = String.format("talker %02d: ", id).getBytes(US_ASCII);
            System.arraycopy(name, 0, line, 0, name.length);
            // Flat out, lines go in chunks, one write each; paced, one line per write.
            int perWrite = PACE > 0 ? 1 : 64 * 1024 / LINE_LENGTH;
            byte[] chunk = new byte[perWrite * LINE_LENGTH];
            for (int i = 0; i < perWrite; i++) {
                System.arraycopy(line, 0, chunk, i * LINE_LENGTH, LINE_LENGTH);
            }
            while (System.nanoTime() < deadline) {
                Socket socket = new Socket();
                try {
                    synchronized (sockets) {
                        sockets.add(socket);
                    }
                    socket.connect(server, 5000);
                    Thread reader = Thread.ofPlatform().name("talker-" + id + "-reader").start(() -> read(socket));
                    OutputStream out = socket.getOutputStream();
                    long next = System.nanoTime();
                    while (System.nanoTime() < deadline && !socket.isClosed()) {
                        out.write(chunk);
                        lastWrite = System.nanoTime();
                        if (PACE > 0) {
                            next += 1_000_000_000L / PACE;
                            long wait = next - System.nanoTime();
                            if (wait > 0) {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            }
                        }
                    }
                    socket.close();
                    reader.join(5000);
                } catch (IOException | InterruptedException e) {
                    if (System.nanoTime() < deadline) {
                        disconnections.incrementAndGet();
                    }
                } finally {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // Closing is all that is left to do.
                    }
                }
            }
        }

        private void read(Socket socket) {
            byte[] buffer = new byte[64 * 1024];
            try {
                InputStream in = socket.getInputStream();
                for (int n; (n = in.read(buffer)) > 0; ) {
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            received.incrementAndGet();
                        }
                    }
                }
            } catch (IOException closed) {
                // The talker closed it, or the server did: the writer finds out on its next write.
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do.
            }
        }
    }
}
