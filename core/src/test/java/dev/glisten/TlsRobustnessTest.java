package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS port on the open internet meets clients that never finish, scanners, plaintext and noise:
 * each costs only its own connection, within the handshake timeout, is counted in
 * {@link ServerStats#tlsHandshakeFailures()} and logged at DEBUG, and the server keeps serving
 * everyone else.
 */
class TlsRobustnessTest {

    private static final KeyKind KIND = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;

    @TempDir
    static Path dir;
    static TestPki pki;
    static SSLContext client;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        client = TestTls.clientTrusting(pki.rootCertificate());
    }

    private static Tls tls(Duration handshakeTimeout) {
        return Tls.builder().certificate(pki.chain(KIND), pki.key(KIND)).handshakeTimeout(handshakeTimeout).build();
    }

    private static Server start(Tls tls, RecordingOnClose<Void, Void> closes) throws IOException {
        return Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose(closes).bind("127.0.0.1").tls(tls).start(0);
    }

    /** The first flight of a real TLS client: a ClientHello, as the JDK's client writes it. */
    private static byte[] clientHello() throws SSLException {
        SSLEngine engine = client.createSSLEngine(TestTlsClient.HOST, 443);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    @Test
    void stalledHandshakesAreClosedByTheTimeoutWhileOtherClientsKeepEchoing() throws Exception {
        Duration timeout = Duration.ofMillis(1500);
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        byte[] hello = clientHello();
        try (Server server = start(tls(timeout), closes); ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long started = System.nanoTime();
            List<Future<Long>> stalled = new ArrayList<>();
            // Connects and says nothing.
            stalled.add(threads.submit(() -> {
                try (Socket silent = TestTlsClient.plain(server)) {
                    TestTlsClient.readUntilClosed(silent);
                    return System.nanoTime();
                }
            }));
            // Sends the first bytes of a ClientHello, then nothing.
            stalled.add(threads.submit(() -> {
                try (Socket half = TestTlsClient.plain(server)) {
                    half.getOutputStream().write(hello, 0, 20);
                    TestTlsClient.readUntilClosed(half);
                    return System.nanoTime();
                }
            }));
            // Sends a whole ClientHello one byte every 50 ms: each byte is progress, the deadline still holds.
            stalled.add(threads.submit(() -> {
                try (Socket trickle = TestTlsClient.plain(server)) {
                    Future<?> dripping = threads.submit(() -> {
                        try {
                            for (byte b : hello) {
                                trickle.getOutputStream().write(b);
                                Thread.sleep(50);
                            }
                        } catch (IOException closed) {
                            // The server gave up on us: expected.
                        }
                        return null;
                    });
                    TestTlsClient.readUntilClosed(trickle);
                    dripping.cancel(true);
                    return System.nanoTime();
                }
            }));
            assertThat(hello.length * 50L).as("the trickle takes longer than the timeout").isGreaterThan(3 * timeout.toMillis());

            // Meanwhile new clients handshake and echo, each well within the timeout the others wait out.
            int conversations = 0;
            long slowest = 0;
            while (stalled.stream().anyMatch(future -> !future.isDone())) {
                long begin = System.nanoTime();
                try (TestTlsClient peer = TestTlsClient.connect(client, server)) {
                    assertThat(peer.roundTrip("still here " + conversations)).isEqualTo("still here " + conversations);
                }
                slowest = Math.max(slowest, System.nanoTime() - begin);
                conversations++;
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time until the stalled clients are closed")
                        .isLessThan(timeout.plusSeconds(5));
            }

            for (Future<Long> closedAt : stalled) {
                Duration lived = Duration.ofNanos(closedAt.get(1, TimeUnit.SECONDS) - started);
                assertThat(lived).isBetween(timeout.minusMillis(100), timeout.plusSeconds(3));
            }
            assertThat(conversations).as("conversations completed during the stall").isGreaterThanOrEqualTo(3);
            assertThat(Duration.ofNanos(slowest)).as("the slowest conversation").isLessThan(timeout);
            List<CloseReason> reasons = new ArrayList<>();
            for (int i = 0; i < conversations + 3; i++) {
                reasons.add(closes.next().reason());
            }
            List<CloseReason> failed = reasons.stream().filter(r -> r instanceof CloseReason.TlsHandshakeFailed).toList();
            assertThat(failed).hasSize(3).allSatisfy(reason ->
                    assertThat(((CloseReason.TlsHandshakeFailed) reason).error()).isInstanceOf(SocketTimeoutException.class));
            assertThat(server.stats().tlsHandshakeFailures()).isEqualTo(3);
            assertThat(server.stats().tlsHandshakes()).isEqualTo(conversations);
        }
    }

    @Test
    void aThousandGarbageConnectionsLeaveTheServerServing() throws Exception {
        int connections = 1000;
        Semaphore atOnce = new Semaphore(32);
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        byte[] http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Server server = start(tls(Duration.ofSeconds(2)), closes)) {
            long descriptors = TestSupport.openFileDescriptors();
            long started = System.nanoTime();
            AtomicLong answered = new AtomicLong();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> attacks = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    int kind = i % 5;
                    Random random = new Random(i);
                    atOnce.acquire();
                    attacks.add(threads.submit(() -> {
                        try (Socket socket = TestTlsClient.plain(server)) {
                            byte[] garbage = switch (kind) {
                                case 0 -> randomBytes(random, 1 + random.nextInt(512));
                                case 1 -> http;
                                // A handshake record header with noise for a ClientHello.
                                case 2 -> concat(new byte[] {0x16, 0x03, 0x01, 0x00, 0x40}, randomBytes(random, 64));
                                default -> new byte[0];
                            };
                            socket.getOutputStream().write(garbage);
                            if (kind == 3) {
                                return null; // connect and leave
                            }
                            if (kind == 4) {
                                socket.setSoLinger(true, 0); // leave with a reset
                                return null;
                            }
                            answered.addAndGet(TestTlsClient.readUntilClosed(socket).length);
                            return null;
                        } finally {
                            atOnce.release();
                        }
                    }));
                }
                for (Future<?> attack : attacks) {
                    attack.get(30, TimeUnit.SECONDS);
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(took).as("1,000 garbage connections").isLessThan(Duration.ofSeconds(30));

            TestSupport.eventually("every garbage connection counted",
                    () -> server.stats().tlsHandshakeFailures() == connections);
            TestSupport.eventually("every garbage connection closed", () -> server.connectionCount() == 0);
            assertThat(server.stats().tlsHandshakes()).isZero();
            assertThat(server.stats().acceptedConnections()).isEqualTo(connections);
            assertThat(closes.next(connections)).allSatisfy(closed ->
                    assertThat(closed.reason()).isInstanceOf(CloseReason.TlsHandshakeFailed.class));
            TestSupport.eventually("the descriptors given back", () -> {
                try {
                    return TestSupport.openFileDescriptors() <= descriptors + 5;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });

            try (TestTlsClient peer = TestTlsClient.connect(client, server)) {
                assertThat(peer.roundTrip("after the storm")).isEqualTo("after the storm");
            }
            assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
        }
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void aPlaintextHttpRequestIsRefusedAtOnceAndCountedAndLoggedAtDebugOnly() throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        // The default handshake timeout (10 s): a refusal within 2 s is the parse failing, not the clock.
        try (Server server = start(Tls.fromPemFiles(pki.chain(KIND), pki.key(KIND)), closes);
                RecordingLog log = RecordingLog.of("dev.glisten");
                Socket plain = TestTlsClient.plain(server)) {
            long started = System.nanoTime();
            plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            byte[] answer = TestTlsClient.readUntilClosed(plain);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/");
            CloseReason reason = closes.next().reason();
            assertThat(reason).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            assertThat(((CloseReason.TlsHandshakeFailed) reason).error()).isInstanceOf(SSLException.class);
            assertThat(server.stats().tlsHandshakeFailures()).isEqualTo(1);

            List<RecordingLog.Entry> entries = log.entries();
            assertThat(entries).filteredOn(entry -> entry.message().contains("TLS handshake"))
                    .singleElement().satisfies(entry -> {
                        assertThat(entry.level()).isEqualTo("FINE"); // System.Logger.Level.DEBUG
                        assertThat(entry.message()).contains("127.0.0.1:" + plain.getLocalPort()).contains("failed");
                    });
            assertThat(entries).as("nothing above DEBUG about a client's bad handshake")
                    .noneMatch(entry -> entry.message().contains(Integer.toString(plain.getLocalPort()))
                            && !entry.level().equals("FINE"));

            try (TestTlsClient peer = TestTlsClient.connect(client, server)) {
                assertThat(peer.roundTrip("served")).isEqualTo("served");
            }
        }
    }

    @Test
    void stoppingEndsAStalledHandshakeAtOnce() throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        Server server = start(tls(Duration.ofSeconds(60)), closes);
        try (Socket silent = TestTlsClient.plain(server)) {
            TestSupport.eventually("the connection started", () -> server.connectionCount() == 1);
            long started = System.nanoTime();

            server.stop();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(closes.next().reason()).isInstanceOf(CloseReason.ServerStopped.class);
            TestTlsClient.readUntilClosed(silent);
        }
    }
}
