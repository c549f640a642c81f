package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running server takes renewed certificates without a restart: {@link Server#reloadTls()} reads
 * its files again, {@link Server#reloadTls(Tls)} swaps in another configuration, and
 * {@link Tls.Builder#reloadWhenFilesChange} does it by itself. New handshakes get the new
 * certificate; connections already open keep theirs; material that cannot be loaded is refused and
 * the old one stays in service.
 */
class TlsReloadTest {

    private static final KeyKind KIND = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;

    @TempDir
    static Path dir;
    static TestPki pki;
    static SSLContext client;
    /** Three generations of key and chain, as three renewals would leave them: {key, chain}. */
    static Path[][] generations = new Path[4][];

    /** Where the server's files live in each test: replaced in place as a renewal would. */
    Path live;
    Path chain;
    Path key;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        client = TestTls.clientTrusting(pki.rootCertificate());
        for (int i = 1; i <= 3; i++) {
            generations[i] = pki.otherKeyAndChain(KIND, "gen" + i);
        }
    }

    @BeforeEach
    void liveFiles() throws IOException {
        live = Files.createTempDirectory(dir, "live");
        chain = live.resolve("chain.pem");
        key = live.resolve("key.pem");
        install(1);
    }

    /** Replaces both live files with generation {@code n}: each by an atomic rename, as renewal tools do. */
    private void install(int n) throws IOException {
        replace(key, generations[n][0]);
        replace(chain, generations[n][1]);
    }

    private static void replace(Path target, Path source) throws IOException {
        Path next = Files.createTempFile(target.getParent(), "next", ".pem");
        Files.copy(source, next, StandardCopyOption.REPLACE_EXISTING);
        Files.move(next, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String subject(int generation) {
        return "CN=leaf-gen" + generation;
    }

    /** The subject of the certificate a new JDK client gets now. */
    private static String seenByANewClient(Server server) throws IOException {
        try (TestTlsClient peer = TestTlsClient.connect(client, server)) {
            assertThat(peer.roundTrip("who are you")).isEqualTo("who are you");
            return TestTls.subject(peer.serverCertificate());
        }
    }

    /** Waits, connecting a new client every 50 ms, until new clients get {@code expected}. */
    private static void awaitNewClientsSee(Server server, String expected) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String seen;
        while (!(seen = seenByANewClient(server)).equals(expected)) {
            assertThat(System.nanoTime() - deadline).as("new clients still see " + seen + ", not " + expected).isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    @Test
    void reloadingTheFilesIsSeenByANewClientAndNotByAnOpenOne() throws Exception {
        try (Server server = TestTls.startEcho(Tls.fromPemFiles(chain, key));
                TestTlsClient open = TestTlsClient.connect(client, server)) {
            assertThat(open.roundTrip("before")).isEqualTo("before");
            assertThat(TestTls.subject(open.serverCertificate())).isEqualTo(subject(1));

            install(2);
            assertThat(seenByANewClient(server)).as("nothing changes before the reload").isEqualTo(subject(1));
            server.reloadTls();

            // The same client context, which offers to resume its old session: the new material must win.
            assertThat(seenByANewClient(server)).isEqualTo(subject(2));
            assertThat(open.roundTrip("after")).isEqualTo("after");
            assertThat(TestTls.subject(open.serverCertificate())).isEqualTo(subject(1));
            try (OpensslClient openssl = OpensslClient.connect(server, dir, "-brief",
                    "-CAfile", pki.rootCertificate().toString(), "-verify_return_error")) {
                openssl.awaitOutput("Peer certificate: CN = leaf-gen2");
                assertThat(openssl.finish()).as(openssl.describe()).isZero();
            }
        }
    }

    @Test
    void reloadingWithAnotherConfigurationSwapsItWhole() throws Exception {
        Tls before = Tls.fromPemFiles(chain, key);
        Tls after = Tls.builder().certificatePem(Files.readString(generations[3][1]), Files.readString(generations[3][0]), null)
                .applicationProtocols("h2").build();
        try (Server server = TestTls.startIntroducing(before);
                TestTlsClient open = TestTlsClient.connect(client, server, p -> p.setApplicationProtocols(new String[] {"h2"}))) {
            assertThat(open.readLine()).contains(" alpn=- ");

            server.reloadTls(after);

            try (TestTlsClient fresh = TestTlsClient.connect(client, server, p -> p.setApplicationProtocols(new String[] {"h2"}))) {
                assertThat(fresh.readLine()).contains(" alpn=h2 ");
                assertThat(TestTls.subject(fresh.serverCertificate())).isEqualTo(subject(3));
            }
            assertThat(open.roundTrip("unchanged")).isEqualTo("unchanged");
            assertThat(open.socket().getApplicationProtocol()).isEmpty();
        }
    }

    @Test
    void aKeyThatDoesNotMatchIsRefusedAndTheOldPairServes() throws Exception {
        try (Server server = TestTls.startEcho(Tls.fromPemFiles(chain, key))) {
            replace(key, generations[2][0]); // a renewal caught halfway: new key, old certificate

            assertThatThrownBy(server::reloadTls).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key.toString()).hasMessageContaining("does not match");

            assertThat(seenByANewClient(server)).isEqualTo(subject(1));
        }
    }

    @Test
    void aBrokenOrMissingFileIsRefusedAndTheOldPairServes() throws Exception {
        try (Server server = TestTls.startEcho(Tls.fromPemFiles(chain, key))) {
            Files.writeString(chain, "this is not a certificate\n");
            assertThatThrownBy(server::reloadTls).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(chain.toString());
            assertThat(seenByANewClient(server)).isEqualTo(subject(1));

            Files.delete(chain);
            assertThatThrownBy(server::reloadTls).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(chain.toString()).hasMessageContaining("does not exist");
            assertThat(seenByANewClient(server)).isEqualTo(subject(1));
        }
    }

    @Test
    void watchingTheFilesPicksUpARenewalAndSurvivesAHalfWrittenOne() throws Exception {
        Tls watched = Tls.builder().certificate(chain, key).reloadWhenFilesChange(Duration.ofMillis(100)).build();
        try (RecordingLog log = RecordingLog.of("dev.glisten");
                Server server = TestTls.startEcho(watched);
                TestTlsClient open = TestTlsClient.connect(client, server)) {
            assertThat(TestTls.subject(open.serverCertificate())).isEqualTo(subject(1));

            install(2);
            awaitNewClientsSee(server, subject(2));

            // Half a renewal: the key is new, the certificate is not yet. The old pair keeps serving.
            replace(key, generations[3][0]);
            TestSupport.eventually("a warning about the unusable files", () -> warnings(log) > 0);
            assertThat(seenByANewClient(server)).isEqualTo(subject(2));

            replace(chain, generations[3][1]);
            awaitNewClientsSee(server, subject(3));

            assertThat(open.roundTrip("the first connection")).isEqualTo("the first connection");
            assertThat(TestTls.subject(open.serverCertificate())).isEqualTo(subject(1));
        }
    }

    private static long warnings(RecordingLog log) {
        try {
            return log.entries().stream()
                    .filter(entry -> entry.level().equals("WARNING") && entry.message().contains("cannot be loaded"))
                    .count();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void watchingFollowsASymbolicLinkSwap() throws Exception {
        // How Kubernetes mounts secrets (and certbot keeps live/): stable names that link through a
        // directory link, swapped atomically to a new directory on renewal.
        Path first = Files.createDirectory(live.resolve("v1"));
        Path second = Files.createDirectory(live.resolve("v2"));
        Files.copy(generations[1][1], first.resolve("chain.pem"));
        Files.copy(generations[1][0], first.resolve("key.pem"));
        Files.copy(generations[2][1], second.resolve("chain.pem"));
        Files.copy(generations[2][0], second.resolve("key.pem"));
        Path data = Files.createSymbolicLink(live.resolve("data"), first.getFileName());
        Path linkedChain = Files.createSymbolicLink(live.resolve("tls.crt"), Path.of("data", "chain.pem"));
        Path linkedKey = Files.createSymbolicLink(live.resolve("tls.key"), Path.of("data", "key.pem"));
        Tls watched = Tls.builder().certificate(linkedChain, linkedKey).reloadWhenFilesChange(Duration.ofMillis(100)).build();
        try (Server server = TestTls.startEcho(watched)) {
            assertThat(seenByANewClient(server)).isEqualTo(subject(1));

            Path swap = Files.createSymbolicLink(live.resolve("data.next"), second.getFileName());
            Files.move(swap, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            awaitNewClientsSee(server, subject(2));
        }
    }
}
