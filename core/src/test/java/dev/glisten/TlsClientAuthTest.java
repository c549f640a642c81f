package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mutual TLS: a server that asks for client certificates accepts a client whose certificate chains
 * to its trusted CA, shows that certificate to {@link OnInit}, and refuses a client without one
 * (when required) or with one from a CA it does not trust, before {@code onInit} runs. Against the
 * JDK's client and {@code openssl s_client -cert/-key}.
 */
class TlsClientAuthTest {

    private static final String ALICE = "CN=leaf-client-alice";
    private static final char[] STORE_PASSWORD = "client secret".toCharArray();

    @TempDir
    static Path dir;
    static TestPki pki;
    static Path serverChain;
    static Path serverKey;
    static Path aliceKey;
    static Path aliceChain;
    static Path malloryKey;
    static Path malloryChain;
    static SSLContext alice;
    static SSLContext mallory;
    static SSLContext anonymous;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        serverChain = pki.chain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS);
        serverKey = pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS);
        Path[] aliceFiles = pki.otherKeyAndChain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS, "client-alice");
        aliceKey = aliceFiles[0];
        aliceChain = aliceFiles[1];
        // Another CA altogether, with names of its own: the server trusts nothing it issued.
        TestPki untrusted = new TestPki(dir.resolve("untrusted"), "untrusted test");
        Path[] malloryFiles = untrusted.otherKeyAndChain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS, "client-mallory");
        malloryKey = malloryFiles[0];
        malloryChain = malloryFiles[1];
        alice = TestTls.clientPresenting(pki.rootCertificate(),
                TestTls.pkcs12(pki, aliceChain, aliceKey, null, new String(STORE_PASSWORD), "alice.p12"), STORE_PASSWORD);
        mallory = TestTls.clientPresenting(pki.rootCertificate(),
                TestTls.pkcs12(untrusted, malloryChain, malloryKey, null, new String(STORE_PASSWORD), "mallory.p12"),
                STORE_PASSWORD);
        anonymous = TestTls.clientTrusting(pki.rootCertificate());
    }

    /** A server that introduces itself (see {@link TestTls#introduction}), counts onInit calls and records closes. */
    private static final class Fixture implements AutoCloseable {
        final AtomicInteger inits = new AtomicInteger();
        final BlockingQueue<NegotiatedTls> negotiated = new LinkedBlockingQueue<>();
        final RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        final Server server;

        Fixture(Tls.ClientAuth mode) throws IOException {
            this(Tls.builder().certificate(serverChain, serverKey).clientAuth(mode)
                    .trustedCertificates(pki.rootCertificate()).build());
        }

        Fixture(Tls tls) throws IOException {
            server = Server.<Void, Void>builder(connection -> {
                        inits.incrementAndGet();
                        NegotiatedTls seen = connection.tls().orElseThrow();
                        negotiated.add(seen);
                        connection.send((TestTls.introduction(seen) + "\n").getBytes(StandardCharsets.UTF_8));
                        return null;
                    }, TestSupport.echo())
                    .onClose(closes).bind("127.0.0.1").tls(tls).start(0);
        }

        /** Asserts the last connection was refused in its handshake: onInit never ran, the failure counted. */
        void assertRefusedInHandshake(String why) throws InterruptedException {
            RecordingOnClose.Closed<Void, Void> closed = closes.next();
            assertThat(closed.reason()).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            assertThat(((CloseReason.TlsHandshakeFailed) closed.reason()).error())
                    .isInstanceOf(SSLHandshakeException.class).hasMessageContaining(why);
            assertThat(closed.state()).isNull();
            assertThat(inits.get()).as("onInit calls").isZero();
            assertThat(server.stats().tlsHandshakeFailures()).isEqualTo(1);
            assertThat(server.stats().tlsHandshakes()).isZero();
        }

        @Override
        public void close() {
            server.stop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void requiredAcceptsATrustedClientAndOnInitSeesItsCertificate(String protocol) throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED);
                TestTlsClient peer = TestTlsClient.connect(alice, fixture.server,
                        p -> p.setProtocols(new String[] {protocol}))) {
            assertThat(peer.readLine()).isEqualTo("protocol=" + protocol + " sni=localhost alpn=- peer=" + ALICE);
            assertThat(peer.roundTrip("mutual")).isEqualTo("mutual");

            List<X509Certificate> chain = fixture.negotiated.poll(10, TimeUnit.SECONDS).peerCertificates();
            assertThat(chain).containsExactlyElementsOf(TestTls.certificates(aliceChain));
        }
    }

    @Test
    void requiredRefusesAClientWithoutACertificate() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED)) {
            TestTlsClient.refused(anonymous, fixture.server, p -> { });

            fixture.assertRefusedInHandshake("Empty client certificate chain");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void requiredRefusesAClientWhoseCertificateNoTrustedCaIssued(String protocol) throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED)) {
            TestTlsClient.refused(mallory, fixture.server, p -> p.setProtocols(new String[] {protocol}));

            fixture.assertRefusedInHandshake("PKIX path");
        }
    }

    @Test
    void optionalAcceptsAClientWithoutACertificate() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.OPTIONAL);
                TestTlsClient peer = TestTlsClient.connect(anonymous, fixture.server)) {
            assertThat(peer.readLine()).endsWith(" peer=-");
            assertThat(peer.roundTrip("anonymous")).isEqualTo("anonymous");
        }
    }

    @Test
    void optionalAcceptsAndShowsATrustedCertificate() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.OPTIONAL);
                TestTlsClient peer = TestTlsClient.connect(alice, fixture.server)) {
            assertThat(peer.readLine()).endsWith(" peer=" + ALICE);
        }
    }

    @Test
    void optionalRefusesAnUntrustedCertificate() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.OPTIONAL)) {
            TestTlsClient.refused(mallory, fixture.server, p -> { });

            fixture.assertRefusedInHandshake("PKIX path");
        }
    }

    @Test
    void withoutClientAuthAClientCertificateIsNotAskedFor() throws Exception {
        try (Fixture fixture = new Fixture(Tls.builder().certificate(serverChain, serverKey).build());
                TestTlsClient peer = TestTlsClient.connect(alice, fixture.server)) {
            assertThat(peer.readLine()).endsWith(" peer=-");
            assertThat(peer.session().getLocalCertificates()).as("what the client sent").isNull();
        }
    }

    @Test
    void trustedCertificatesMayComeFromMemory() throws Exception {
        Tls tls = Tls.builder().certificate(serverChain, serverKey).clientAuth(Tls.ClientAuth.REQUIRED)
                .trustedCertificatesPem(Files.readString(pki.rootCertificate())).build();
        try (Fixture fixture = new Fixture(tls); TestTlsClient peer = TestTlsClient.connect(alice, fixture.server)) {
            assertThat(peer.readLine()).endsWith(" peer=" + ALICE);
        }
        try (Fixture fixture = new Fixture(tls)) {
            TestTlsClient.refused(mallory, fixture.server, p -> { });
            fixture.assertRefusedInHandshake("PKIX path");
        }
    }

    @Test
    void opensslPresentingATrustedCertificateIsAccepted() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED);
                OpensslClient openssl = OpensslClient.connect(fixture.server, dir, "-quiet",
                        "-cert", aliceChain.toString(), "-cert_chain", pki.intermediateCertificate().toString(),
                        "-key", aliceKey.toString(), "-CAfile", pki.rootCertificate().toString(), "-verify_return_error")) {
            openssl.awaitStdout(" peer=" + ALICE + "\n");
            openssl.send("from openssl\n");
            openssl.awaitStdout("from openssl\n");
        }
    }

    @Test
    void opensslWithoutACertificateIsRefused() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED);
                OpensslClient openssl = OpensslClient.connect(fixture.server, dir, "-quiet",
                        "-CAfile", pki.rootCertificate().toString())) {
            openssl.send("let me in\n");
            openssl.awaitExit();

            assertThat(openssl.stdout()).doesNotContain("peer=");
            fixture.assertRefusedInHandshake("Empty client certificate chain");
        }
    }

    // openssl must read the certificate_required alert, not an unexpected end of file.
    @Test
    void opensslWithoutACertificateIsToldWhy() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED);
                OpensslClient openssl = OpensslClient.connect(fixture.server, dir, "-quiet",
                        "-CAfile", pki.rootCertificate().toString())) {
            openssl.send("let me in\n");
            openssl.awaitExit();

            assertThat(openssl.stderr()).as(openssl.describe()).contains("alert certificate required");
        }
    }

    @Test
    void opensslPresentingAnUntrustedCertificateIsRefused() throws Exception {
        try (Fixture fixture = new Fixture(Tls.ClientAuth.REQUIRED);
                OpensslClient openssl = OpensslClient.connect(fixture.server, dir, "-quiet",
                        "-cert", malloryChain.toString(), "-key", malloryKey.toString(),
                        "-CAfile", pki.rootCertificate().toString())) {
            openssl.send("let me in\n");
            openssl.awaitExit();

            assertThat(openssl.stdout()).doesNotContain("peer=");
            fixture.assertRefusedInHandshake("PKIX path");
        }
    }
}
