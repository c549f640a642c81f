package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secure defaults (TLS 1.3 and 1.2 only, the JDK's strong suites) and the options that narrow
 * them: protocol versions and cipher suites, with the server's order deciding. Old clients are
 * played by {@code openssl s_client -tls1_1} at security level 0, so that openssl really offers
 * TLS 1.1 and the refusal is the server's.
 */
class TlsProtocolsTest {

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

    private static Tls.Builder tls() {
        return Tls.builder().certificate(pki.chain(KIND), pki.key(KIND));
    }

    private static Server startRecording(Tls tls, RecordingOnClose<Void, Void> closes) throws IOException {
        return Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose(closes).bind("127.0.0.1").tls(tls).start(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1", "-tls1_1"})
    void anOldProtocolIsRefusedByDefault(String oldVersion) throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        try (Server server = startRecording(tls().build(), closes);
                OpensslClient openssl = OpensslClient.connect(server, dir, oldVersion, "-cipher", "DEFAULT@SECLEVEL=0",
                        "-brief")) {
            assertThat(openssl.awaitExit()).as(openssl.describe()).isNotZero();

            assertThat(openssl.stderr()).doesNotContain("CONNECTION ESTABLISHED");
            // The refusal is the server's: it saw the ClientHello and refused its version.
            CloseReason reason = closes.next().reason();
            assertThat(reason).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            assertThat(((CloseReason.TlsHandshakeFailed) reason).error()).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("protocol");
            assertThat(server.stats().tlsHandshakeFailures()).isEqualTo(1);
        }
    }

    // RFC 8446 section 6.2: the refusal is an alert, not an unexpected end of file.
    @Test
    void anOldProtocolIsRefusedWithTheProtocolVersionAlert() throws Exception {
        try (Server server = TestTls.startEcho(tls().build());
                OpensslClient openssl = OpensslClient.connect(server, dir, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
                        "-brief")) {
            assertThat(openssl.awaitExit()).as(openssl.describe()).isNotZero();

            assertThat(openssl.stderr()).as(openssl.describe()).contains("alert protocol version");
        }
    }

    @Test
    void opensslTalksTls12And13ByDefault() throws Exception {
        try (Server server = TestTls.startEcho(tls().build())) {
            for (String version : new String[] {"1_2", "1_3"}) {
                try (OpensslClient openssl = OpensslClient.connect(server, dir, "-tls" + version, "-brief",
                        "-CAfile", pki.rootCertificate().toString(), "-verify_return_error")) {
                    openssl.send("over " + version + "\n");
                    openssl.awaitStdout("over " + version + "\n");
                    assertThat(openssl.finish()).as(openssl.describe()).isZero();
                    assertThat(openssl.stderr()).contains("Protocol version: TLSv" + version.replace('_', '.'));
                }
            }
            assertThat(server.stats().tlsHandshakes()).isEqualTo(2);
        }
    }

    @Test
    void protocolsNarrowTheVersionsAccepted() throws Exception {
        try (Server only13 = TestTls.startEcho(tls().protocols("TLSv1.3").build());
                Server only12 = TestTls.startEcho(tls().protocols("TLSv1.2").build())) {
            assertThat(TestTlsClient.refused(client, only13, p -> p.setProtocols(new String[] {"TLSv1.2"})))
                    .isInstanceOf(SSLHandshakeException.class);
            assertThat(only13.stats().tlsHandshakeFailures()).isEqualTo(1);
            try (OpensslClient openssl = OpensslClient.connect(only13, dir, "-tls1_2", "-brief")) {
                assertThat(openssl.awaitExit()).as(openssl.describe()).isNotZero();
            }
            TestSupport.eventually("openssl's refusal counted", () -> only13.stats().tlsHandshakeFailures() == 2);

            try (TestTlsClient peer = TestTlsClient.connect(client, only12)) {
                assertThat(peer.session().getProtocol()).as("a client offering 1.3 and 1.2").isEqualTo("TLSv1.2");
                assertThat(peer.roundTrip("twelve")).isEqualTo("twelve");
            }
        }
    }

    @Test
    void cipherSuitesNarrowTheSuitesAcceptedAndTheServersOrderWins() throws Exception {
        Tls tls = tls().cipherSuites("TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384").build();
        try (Server server = TestTls.startEcho(tls)) {
            try (TestTlsClient peer = TestTlsClient.connect(client, server, p -> p.setCipherSuites(
                    new String[] {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"}))) {
                assertThat(peer.session().getCipherSuite()).isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
            }
            assertThat(TestTlsClient.refused(client, server, p -> p.setCipherSuites(new String[] {"TLS_AES_128_GCM_SHA256"})))
                    .isInstanceOf(SSLHandshakeException.class);
            try (OpensslClient openssl = OpensslClient.connect(server, dir, "-ciphersuites", "TLS_AES_128_GCM_SHA256",
                    "-brief")) {
                assertThat(openssl.awaitExit()).as(openssl.describe()).isNotZero();
            }
        }
    }

    @Test
    void tls12CipherSuitesAreNamedAsTheJdkNamesThem() throws Exception {
        Tls tls = tls().protocols("TLSv1.2").cipherSuites("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256").build();
        try (Server server = TestTls.startEcho(tls);
                OpensslClient openssl = OpensslClient.connect(server, dir, "-brief",
                        "-CAfile", pki.rootCertificate().toString(), "-verify_return_error")) {
            openssl.send("chacha\n");
            openssl.awaitStdout("chacha\n");
            assertThat(openssl.finish()).as(openssl.describe()).isZero();

            assertThat(openssl.stderr()).contains("Protocol version: TLSv1.2")
                    .contains("Ciphersuite: ECDHE-ECDSA-CHACHA20-POLY1305");
        }
    }
}
