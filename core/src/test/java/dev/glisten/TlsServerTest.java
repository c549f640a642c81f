package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A TLS server against the JDK's own TLS client: every key format openssl writes and every way to
 * hand the server its certificate, what {@link OnInit} sees, bulk data both ways, many clients at
 * once, and a key update or a renegotiation in the middle of a conversation.
 */
class TlsServerTest {

    private static final int MIB = 1024 * 1024;

    @TempDir
    static Path dir;
    static TestPki pki;
    static SSLContext client;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        client = TestTls.clientTrusting(pki.rootCertificate());
    }

    private static Tls tls(KeyKind kind) {
        return Tls.builder().certificate(pki.chain(kind), pki.key(kind), kind.passwordChars()).build();
    }

    /** Echoes one message and checks the server presented exactly the chain in {@code chainFile}. */
    private static void assertEchoesPresenting(Tls tls, Path chainFile) throws Exception {
        try (Server server = TestTls.startEcho(tls); TestTlsClient peer = TestTlsClient.connect(client, server)) {
            assertThat(peer.roundTrip("hello over TLS")).isEqualTo("hello over TLS");
            assertThat(peer.session().getPeerCertificates()).containsExactlyElementsOf(TestTls.certificates(chainFile));
            assertThat(peer.session().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void echoesWithEveryKeyFormat(KeyKind kind) throws Exception {
        assertEchoesPresenting(tls(kind), pki.chain(kind));
    }

    @ParameterizedTest
    @EnumSource(value = KeyKind.class, names = {"RSA_PKCS1", "RSA_ENCRYPTED_PKCS8", "EC_P256_SEC1_WITH_PARAMETERS"})
    void echoesOverTls12ByDefault(KeyKind kind) throws Exception {
        try (Server server = TestTls.startEcho(tls(kind));
                TestTlsClient peer = TestTlsClient.connect(client, server, p -> p.setProtocols(new String[] {"TLSv1.2"}))) {
            assertThat(peer.roundTrip("hello over 1.2")).isEqualTo("hello over 1.2");
            assertThat(peer.session().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(peer.serverCertificate()).isEqualTo(TestTls.leaf(pki.chain(kind)));
        }
    }

    @Test
    void fromPemFilesIsTheShortWay() throws Exception {
        KeyKind kind = KeyKind.EC_P384_SEC1;
        assertEchoesPresenting(Tls.fromPemFiles(pki.chain(kind), pki.key(kind)), pki.chain(kind));
    }

    @ParameterizedTest
    @EnumSource(value = KeyKind.class, names = {"EC_P384_SEC1", "RSA_ENCRYPTED_PKCS8"})
    void servesAPkcs12KeystoreExportedByOpenssl(KeyKind kind) throws Exception {
        Path keystore = TestTls.pkcs12(pki, pki.chain(kind), pki.key(kind), kind.password, "store secret",
                "server-" + kind + ".p12");

        assertEchoesPresenting(Tls.builder().pkcs12(keystore, "store secret".toCharArray()).build(), pki.chain(kind));
    }

    @ParameterizedTest
    @EnumSource(value = KeyKind.class, names = {"RSA_PKCS1", "ED25519_ENCRYPTED_AES128_SHA512"})
    void servesPemTextGivenInMemory(KeyKind kind) throws Exception {
        Tls tls = Tls.builder().certificatePem(Files.readString(pki.chain(kind)), Files.readString(pki.key(kind)),
                kind.passwordChars()).build();

        assertEchoesPresenting(tls, pki.chain(kind));
    }

    @Test
    void servesAReadySslContext() throws Exception {
        KeyKind kind = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;
        Path keystore = TestTls.pkcs12(pki, pki.chain(kind), pki.key(kind), null, "context secret", "context.p12");

        Tls tls = Tls.builder().sslContext(TestTls.serverContext(keystore, "context secret".toCharArray())).build();

        assertEchoesPresenting(tls, pki.chain(kind));
    }

    @Test
    void onInitRunsAfterTheHandshakeAndSeesWhatItSettled() throws Exception {
        BlockingQueue<Optional<NegotiatedTls>> seenByInit = new LinkedBlockingQueue<>();
        BlockingQueue<Optional<NegotiatedTls>> seenByHandler = new LinkedBlockingQueue<>();
        KeyKind kind = KeyKind.EC_P384_SEC1;
        Server server = Server.<Void, Void>builder(connection -> {
                    seenByInit.add(connection.tls());
                    connection.send("welcome\n".getBytes(StandardCharsets.UTF_8)); // already encrypted
                    return null;
                }, (state, message, connection) -> {
                    seenByHandler.add(connection.tls());
                    return TestSupport.<Void, Void>echo().handle(state, message, connection);
                })
                .bind("127.0.0.1").tls(tls(kind)).start(0);
        try (server; TestTlsClient peer = TestTlsClient.connect(client, server)) {
            assertThat(new String(peer.read(8), StandardCharsets.UTF_8)).isEqualTo("welcome\n");
            assertThat(peer.roundTrip("ping")).isEqualTo("ping");

            NegotiatedTls negotiated = seenByInit.poll(10, TimeUnit.SECONDS).orElseThrow();
            assertThat(negotiated.protocol()).isEqualTo(peer.session().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(negotiated.cipherSuite()).isEqualTo(peer.session().getCipherSuite());
            assertThat(negotiated.serverName()).contains(TestTlsClient.HOST);
            assertThat(negotiated.applicationProtocol()).isEmpty();
            assertThat(negotiated.peerCertificates()).isEmpty();
            assertThat(negotiated.session().getLocalCertificates()[0]).isEqualTo(TestTls.leaf(pki.chain(kind)));
            assertThat(seenByHandler.poll(10, TimeUnit.SECONDS)).contains(negotiated);
        }
    }

    @Test
    void aPlainConnectionHasNoTls() throws Exception {
        BlockingQueue<Optional<NegotiatedTls>> seen = new LinkedBlockingQueue<>();
        Server server = Server.<Void, Void>builder(connection -> {
            seen.add(connection.tls());
            return null;
        }, TestSupport.echo()).bind("127.0.0.1").start(0);
        try (server; TestClient peer = TestClient.connect(server)) {
            assertThat(peer.roundTrip("plain")).isEqualTo("plain");
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(server.stats().tlsHandshakes()).isZero();
        }
    }

    @Test
    void echoes4MiBByteForByteWhileBothDirectionsFlow() throws Exception {
        byte[] data = new byte[4 * MIB];
        new Random(4).nextBytes(data);
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS));
                TestTlsClient peer = TestTlsClient.connect(client, server);
                ExecutorService writer = Executors.newVirtualThreadPerTaskExecutor()) {
            // Written by another thread: the echo comes back while the rest is still going out.
            Future<?> writing = writer.submit(() -> {
                for (int offset = 0; offset < data.length; offset += 100_000) {
                    peer.write(Arrays.copyOfRange(data, offset, Math.min(data.length, offset + 100_000)));
                }
                return null;
            });
            byte[] echoed = peer.read(data.length);
            writing.get(10, TimeUnit.SECONDS);

            assertThat(Arrays.mismatch(echoed, data)).as("the first byte that differs").isEqualTo(-1);
        }
    }

    /** Counts and digests what arrives; at {@code expected} bytes answers the digest, then 4 MiB in one send. */
    private static final class Bulk {
        final MessageDigest digest;
        long received;

        Bulk() throws Exception {
            digest = MessageDigest.getInstance("SHA-256");
        }
    }

    @Test
    void receivesAndSends4MiBInSingleCalls() throws Exception {
        byte[] upload = new byte[4 * MIB];
        new Random(5).nextBytes(upload);
        byte[] download = new byte[4 * MIB];
        new Random(6).nextBytes(download);
        byte[] header = "download follows\n".getBytes(StandardCharsets.UTF_8);
        Server server = Server.<Bulk, Void>builder(connection -> new Bulk(), (bulk, message, connection) -> {
                    if (message instanceof Message.Packet<Void> packet) {
                        bulk.digest.update(packet.bytes());
                        bulk.received += packet.bytes().length;
                        if (bulk.received == upload.length) {
                            connection.send(bulk.digest.digest());
                            // One gathering send of 4 MiB: many records, and the client reads slowly.
                            connection.send(ByteBuffer.wrap(header), ByteBuffer.wrap(download));
                        }
                    }
                    return Next.continueWith(bulk);
                })
                .bind("127.0.0.1").tls(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS)).start(0);
        try (server; TestTlsClient peer = TestTlsClient.connect(client, server)) {
            peer.write(upload);

            assertThat(peer.read(32)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(upload));
            assertThat(peer.read(header.length)).isEqualTo(header);
            byte[] received = peer.read(download.length);
            assertThat(Arrays.mismatch(received, download)).as("the first byte that differs").isEqualTo(-1);
        }
    }

    @Test
    void aPeerThatStopsReadingTimesOutASend() throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        byte[] flood = new byte[32 * MIB]; // far more than loopback's socket buffers hold
        Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                    connection.send(flood);
                    return Next.continueWith(state);
                })
                .onClose(closes).sendTimeout(Duration.ofMillis(500)).bind("127.0.0.1")
                .tls(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS)).start(0);
        try (server; TestTlsClient peer = TestTlsClient.connect(client, server)) {
            long started = System.nanoTime();
            peer.write(new byte[] {'!'}); // and never read

            CloseReason reason = closes.next().reason();

            assertThat(reason).isEqualTo(new CloseReason.SendTimedOut(Duration.ofMillis(500)));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void servesManyConcurrentClients() throws Exception {
        int clients = 100;
        int rounds = 10;
        CountDownLatch allConnected = new CountDownLatch(clients);
        AtomicInteger openAtOnce = new AtomicInteger();
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS));
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> conversations = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int id = i;
                conversations.add(pool.submit(() -> {
                    try (TestTlsClient peer = TestTlsClient.connect(client, server)) {
                        allConnected.countDown();
                        // Everyone holds a connection before anyone talks: the server has them all at once.
                        TestSupport.await(allConnected, "every client to connect");
                        openAtOnce.accumulateAndGet(server.connectionCount(), Math::max);
                        for (int round = 0; round < rounds; round++) {
                            String text = "client " + id + " round " + round;
                            assertThat(peer.roundTrip(text)).isEqualTo(text);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> conversation : conversations) {
                conversation.get(30, TimeUnit.SECONDS);
            }
            assertThat(openAtOnce.get()).isEqualTo(clients);
            TestSupport.eventually("every connection closed", () -> server.connectionCount() == 0);
            assertThat(server.stats().tlsHandshakes()).isEqualTo(clients);
            assertThat(server.stats().tlsHandshakeFailures()).isZero();
        }
    }

    /** A client's first record often arrives with its Finished: see StartTlsTest for the upgrade's twin. */
    @Test
    void aRecordThatArrivesWithTheClientsFinishedIsDeliveredAtOnce() throws Exception {
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS));
                Socket plain = TestTlsClient.plain(server)) {
            EngineClient peer = EngineClient.handshakeAndSendInOneWrite(client, plain, "sent with the Finished");

            assertThat(new String(peer.read(22), StandardCharsets.UTF_8)).isEqualTo("sent with the Finished");
        }
    }

    @Test
    void keepsEchoingAcrossTls13KeyUpdates() throws Exception {
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS));
                TestTlsClient peer = TestTlsClient.connect(client, server)) {
            assertThat(peer.session().getProtocol()).isEqualTo("TLSv1.3");
            for (int i = 0; i < 3; i++) {
                assertThat(peer.roundTrip("before update " + i)).isEqualTo("before update " + i);
                // On a TLS 1.3 connection the JDK sends KeyUpdate (update_requested): the server must
                // answer with its own and switch keys both ways.
                peer.socket().startHandshake();
                assertThat(peer.roundTrip("after update " + i)).isEqualTo("after update " + i);
            }
        }
    }

    @Test
    void keepsEchoingAcrossATls12Renegotiation() throws Exception {
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS));
                TestTlsClient peer = TestTlsClient.connect(client, server, p -> p.setProtocols(new String[] {"TLSv1.2"}))) {
            assertThat(peer.roundTrip("before renegotiation")).isEqualTo("before renegotiation");
            peer.socket().startHandshake(); // a TLS 1.2 client-initiated renegotiation (RFC 5746)
            assertThat(peer.roundTrip("after renegotiation")).isEqualTo("after renegotiation");
        }
    }

    /*
     * Message.Packet promises between one byte and the read buffer size; TLS decrypts whole records
     * (up to 16 KiB), so the rest of a record waits for the next packet.
     */
    @Test
    void aTlsPacketCarriesAtMostTheReadBufferSize() throws Exception {
        AtomicInteger largest = new AtomicInteger();
        Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                    if (message instanceof Message.Packet<Void> packet) {
                        largest.accumulateAndGet(packet.bytes().length, Math::max);
                    }
                    return TestSupport.<Void, Void>echo().handle(state, message, connection);
                })
                .bind("127.0.0.1").readBufferSize(100).tls(tls(KeyKind.EC_P256_SEC1_WITH_PARAMETERS)).start(0);
        try (server; TestTlsClient peer = TestTlsClient.connect(client, server)) {
            String text = "x".repeat(10_000);
            assertThat(peer.roundTrip(text)).isEqualTo(text);
            assertThat(largest.get()).as("the largest packet").isBetween(1, 100);
        }
    }
}
