package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 256 MiB file served to four clients at once (three over TCP, one over TLS) by a server in a
 * child JVM whose heap is 32 MiB: every client receives the whole file (its SHA-256 matches), the
 * server neither runs out of memory nor buffers the file, and the transfers count as bytes sent.
 */
class SendFileMemoryTest {

    private static final int BLOCK = 1024 * 1024;
    private static final int BLOCKS = 256;
    private static final long SIZE = (long) BLOCK * BLOCKS;
    private static final int PLAIN_CLIENTS = 3;
    private static final String HEAP = "32m";

    /**
     * The child process: a plain and a TLS server on 127.0.0.1 that answer {@code F} with the file
     * and {@code S} with a line of statistics, then stop. Prints {@code ports PLAIN TLS}.
     */
    public static final class FileServerMain {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[0]);
            Tls tls = Tls.fromPemFiles(Path.of(args[1]), Path.of(args[2]));
            List<Server> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
            Handler<Void, Void> handler = (state, message, connection) -> {
                byte[] bytes = ((Message.Packet<Void>) message).bytes();
                if (bytes[0] == 'F') {
                    connection.sendFile(file);
                } else {
                    long sent = servers.stream().mapToLong(server -> server.stats().bytesSent()).sum();
                    connection.send(("sent=" + sent + " heapPeak=" + heapPeak() + " maxHeap="
                            + Runtime.getRuntime().maxMemory() + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                return Next.stop();
            };
            try (Server plain = Server.<Void, Void>builder(connection -> null, handler).bind("127.0.0.1").start(0);
                 Server secure = Server.<Void, Void>builder(connection -> null, handler).tls(tls)
                         .bind("127.0.0.1").start(0)) {
                servers.add(plain);
                servers.add(secure);
                System.out.println("ports " + plain.port() + " " + secure.port());
                System.out.flush();
                plain.awaitTermination();
            }
        }

        /**
         * The most heap in use since the start, over every pool, by reflection: the test classes
         * are compiled into module dev.glisten, which does not read java.management.
         */
        private static long heapPeak() throws IOException {
            try {
                Class<?> pool = Class.forName("java.lang.management.MemoryPoolMXBean");
                Class<?> usage = Class.forName("java.lang.management.MemoryUsage");
                Method getType = pool.getMethod("getType");
                Method getPeakUsage = pool.getMethod("getPeakUsage");
                Method getUsed = usage.getMethod("getUsed");
                List<?> pools = (List<?>) Class.forName("java.lang.management.ManagementFactory")
                        .getMethod("getMemoryPoolMXBeans").invoke(null);
                long peak = 0;
                for (Object each : pools) {
                    if (((Enum<?>) getType.invoke(each)).name().equals("HEAP")) {
                        peak += (Long) getUsed.invoke(getPeakUsage.invoke(each));
                    }
                }
                return peak;
            } catch (ReflectiveOperationException e) {
                throw new IOException(e);
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aLargeFileReachesSeveralClientsAtOnceFromASmallHeap(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("large.bin");
        String expected = writePattern(file);
        TestPki pki = new TestPki(dir.resolve("pki"));
        Path log = dir.resolve("server.log");
        String classpath = Path.of("target/classes").toAbsolutePath() + java.io.File.pathSeparator
                + Path.of("target/test-classes").toAbsolutePath();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process server = new ProcessBuilder(java, "-Xmx" + HEAP, "-XX:MaxDirectMemorySize=16m",
                "-XX:+ExitOnOutOfMemoryError", "-cp", classpath, FileServerMain.class.getName(), file.toString(),
                pki.chain(TestPki.KeyKind.EC_P384_SEC1).toString(), pki.key(TestPki.KeyKind.EC_P384_SEC1).toString())
                .redirectError(log.toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("server output; its log: %s", readQuietly(log)).startsWith("ports ");
            String[] ports = first.split(" ");
            int plainPort = Integer.parseInt(ports[1]);
            int tlsPort = Integer.parseInt(ports[2]);
            SSLContext client = TestTls.clientTrusting(pki.rootCertificate());

            Map<String, String> digests = new ConcurrentHashMap<>();
            Map<String, Throwable> failures = new ConcurrentHashMap<>();
            List<Thread> clients = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i <= PLAIN_CLIENTS; i++) {
                boolean tls = i == PLAIN_CLIENTS;
                String name = tls ? "tls" : "plain " + i;
                clients.add(Thread.ofPlatform().name("client " + name).start(() -> {
                    try (Socket socket = tls ? secured(client, tlsPort) : connect(plainPort)) {
                        socket.getOutputStream().write('F');
                        digests.put(name, receiveAll(socket.getInputStream()));
                    } catch (Throwable e) {
                        failures.put(name, e);
                    }
                }));
            }
            for (Thread each : clients) {
                assertThat(each.join(Duration.ofSeconds(75))).as(each.getName() + " finished").isTrue();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(failures).as("server log: %s", readQuietly(log)).isEmpty();
            assertThat(digests).hasSize(PLAIN_CLIENTS + 1).allSatisfy((name, digest) ->
                    assertThat(digest).as(name + ": bytes and SHA-256").isEqualTo(SIZE + " " + expected));
            assertThat(took).as("four times 256 MiB over loopback").isLessThan(Duration.ofSeconds(60));

            assertThat(server.isAlive()).as("the server is alive; its log: %s", readQuietly(log)).isTrue();
            String stats;
            try (Socket socket = connect(plainPort)) {
                socket.getOutputStream().write('S');
                stats = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
            }
            assertThat(stats).startsWith("sent=" + (PLAIN_CLIENTS + 1) * SIZE + " ");
            long heapPeak = Long.parseLong(stats.replaceAll(".* heapPeak=(\\d+) .*", "$1"));
            long maxHeap = Long.parseLong(stats.replaceAll(".* maxHeap=(\\d+)$", "$1"));
            assertThat(maxHeap).as("the child's heap limit").isLessThanOrEqualTo(32L * BLOCK);
            assertThat(readQuietly(log)).doesNotContain("OutOfMemoryError");
            System.out.printf("SendFileMemoryTest: %d x %d MiB (1 over TLS) in %d ms; child heap pools' peaks sum to %.1f MiB, limit %.1f MiB%n",
                    PLAIN_CLIENTS + 1, SIZE / BLOCK, took.toMillis(), heapPeak / (double) BLOCK, maxHeap / (double) BLOCK);
        } finally {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Writes {@link #SIZE} bytes of a seeded pattern, a block at a time; returns their SHA-256. */
    private static String writePattern(Path file) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(256);
        byte[] block = new byte[BLOCK];
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < BLOCKS; i++) {
                random.nextBytes(block);
                sha256.update(block);
                ByteBuffer buffer = ByteBuffer.wrap(block);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** Reads until the server closes; returns {@code "<bytes> <sha-256>"}. */
    private static String receiveAll(InputStream in) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            sha256.update(buffer, 0, n);
            total += n;
            if (total > SIZE) {
                break;
            }
        }
        return total + " " + HexFormat.of().formatHex(sha256.digest());
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) TestSupport.WAIT.toMillis());
            socket.setSoTimeout((int) TestSupport.WAIT.toMillis());
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static Socket secured(SSLContext context, int port) throws IOException {
        Socket plain = connect(port);
        try {
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            socket.setSoTimeout((int) TestSupport.WAIT.toMillis());
            socket.startHandshake();
            return socket;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
