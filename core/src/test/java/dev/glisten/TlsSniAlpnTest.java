package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One server answering for several names with a certificate each (SNI, RFC 6066), and speaking
 * the application protocols it is configured with (ALPN, RFC 7301), against the JDK's client and
 * {@code openssl s_client}. The server's {@link OnInit} tells each client what it saw
 * ({@link TestTls#introduction}), so every check covers both sides.
 */
class TlsSniAlpnTest {

    private static final String DEFAULT = "default";

    @TempDir
    static Path dir;
    static TestPki pki;
    static SSLContext client;
    static Server server;

    @BeforeAll
    static void start() throws IOException {
        pki = new TestPki(dir);
        client = TestTls.clientTrusting(pki.rootCertificate());
        // Each name has a key of another type: the choice of certificate is not the choice of key type.
        Path aKey = pki.newKey(KeyKind.RSA_PKCS8, "a");
        Path wildcardKey = pki.newKey(KeyKind.ED25519, "wildcard");
        Path exactKey = pki.newKey(KeyKind.EC_P384_SEC1, "exact");
        Tls tls = Tls.builder()
                .certificate(pki.chain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS), pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS))
                .certificate("a.test", pki.chainFor(aKey, null, "a.test", "a.test"), aKey)
                .certificate("*.b.test", pki.chainFor(wildcardKey, null, "wildcard.b.test", "*.b.test"), wildcardKey)
                .certificate("x.b.test", pki.chainFor(exactKey, null, "x.b.test", "x.b.test"), exactKey)
                .applicationProtocols("h2", "http/1.1")
                .build();
        server = TestTls.startIntroducing(tls);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static String subjectFor(String expected) {
        return expected.equals(DEFAULT) ? TestTls.subject(TestTls.leaf(pki.chain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS)))
                : "CN=" + expected;
    }

    @ParameterizedTest(name = "{0} gets {1}")
    @CsvSource({
        "a.test,        a.test",
        "A.Test,        a.test",
        "y.b.test,      wildcard.b.test",
        "x.b.test,      x.b.test",
        "deep.y.b.test, " + DEFAULT,
        "b.test,        " + DEFAULT,
        "unknown.test,  " + DEFAULT,
    })
    void presentsTheCertificateForTheNameTheClientAsksFor(String requested, String expected) throws Exception {
        // A new client each time: the JDK's client resumes a session by host and port, and when it
        // resumes it sends the session's server name instead of the one it is told to.
        SSLContext fresh = TestTls.clientTrusting(pki.rootCertificate());
        try (TestTlsClient peer = TestTlsClient.connect(fresh, server,
                p -> p.setServerNames(List.of(new SNIHostName(requested))))) {
            String seen = peer.readLine();

            assertThat(TestTls.subject(peer.serverCertificate())).isEqualTo(subjectFor(expected));
            assertThat(seen).containsIgnoringCase(" sni=" + requested + " ");
            assertThat(peer.roundTrip("still echoing")).isEqualTo("still echoing");
        }
    }

    @Test
    void aClientThatSendsNoNameGetsTheDefaultCertificate() throws Exception {
        try (TestTlsClient peer = TestTlsClient.connect(client, server, p -> p.setServerNames(List.of()))) {
            assertThat(peer.readLine()).contains(" sni=- ");
            assertThat(TestTls.subject(peer.serverCertificate())).isEqualTo(subjectFor(DEFAULT));
        }
    }

    @Test
    void opensslGetsTheNamedCertificateAndVerifiesItsHostName() throws Exception {
        try (OpensslClient openssl = OpensslClient.connect(server, dir, "-servername", "y.b.test",
                "-verify_hostname", "y.b.test", "-CAfile", pki.rootCertificate().toString(), "-verify_return_error",
                "-brief")) {
            openssl.awaitStdout("sni=y.b.test");
            openssl.send("over the wildcard\n");
            openssl.awaitStdout("over the wildcard\n");

            assertThat(openssl.stderr()).contains("Peer certificate: CN = wildcard.b.test");
            assertThat(openssl.finish()).as(openssl.describe()).isZero();
        }
    }

    /*
     * RFC 6066 section 3: a server must not resume a session under another server name. The JDK
     * checks this only for names an SNI matcher accepted, so the server installs one.
     */
    @ParameterizedTest(name = "over TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void aSessionIsNotResumedUnderAnotherName(String version) throws Exception {
        Path session = dir.resolve("default-session-" + version + ".pem");
        String tlsVersion = "-tls" + version.replace('.', '_');
        assertThat(talk(tlsVersion, "-servername", "unknown.test", "-sess_out", session.toString()))
                .contains("New, TLSv1." + version.charAt(2));
        assertThat(talk(tlsVersion, "-servername", "unknown.test", "-sess_in", session.toString()))
                .as("the control: a session is resumed under its own name").contains("Reused, TLSv1.");

        // RFC 6066 section 3: a server must not resume a session for another name.
        String other = talk(tlsVersion, "-servername", "a.test", "-sess_in", session.toString());
        assertThat(other).contains("New, TLSv1.").contains("subject=CN = a.test").contains("sni=a.test");
    }

    /*
     * A session whose certificate was chosen by server name resumes: the engine (and its session
     * cache) is picked from the ClientHello's name before the handshake starts.
     */
    @ParameterizedTest(name = "over TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void aSessionForANamedCertificateIsResumed(String version) throws Exception {
        Path session = dir.resolve("named-session-" + version + ".pem");
        String tlsVersion = "-tls" + version.replace('.', '_');
        assertThat(talk(tlsVersion, "-servername", "a.test", "-sess_out", session.toString()))
                .contains("New, TLSv1." + version.charAt(2));

        String again = talk(tlsVersion, "-servername", "a.test", "-sess_in", session.toString());

        assertThat(again).contains("Reused, TLSv1.").contains("sni=a.test");
    }

    /** One openssl conversation: the introduction, an echo, an orderly end; returns what it printed. */
    private static String talk(String... args) throws Exception {
        try (OpensslClient openssl = OpensslClient.connect(server, dir, args)) {
            openssl.awaitStdout("sni=");
            openssl.send("echo me\n");
            openssl.awaitStdout("echo me\n");
            assertThat(openssl.finish()).as(openssl.describe()).isZero();
            return openssl.stdout();
        }
    }

    @ParameterizedTest(name = "offered {0} gets {1}")
    @CsvSource({
        "'http/1.1,h2', h2",
        "'h2',          h2",
        "'http/1.1',    http/1.1",
        "'spdy/3,http/1.1', http/1.1",
    })
    void choosesTheServersPreferredProtocolAmongThoseOffered(String offered, String chosen) throws Exception {
        try (TestTlsClient peer = TestTlsClient.connect(client, server,
                p -> p.setApplicationProtocols(offered.split(",")))) {
            assertThat(peer.readLine()).contains(" alpn=" + chosen + " ");
            assertThat(peer.socket().getApplicationProtocol()).isEqualTo(chosen);
        }
    }

    @Test
    void aClientThatOffersNoProtocolIsServedWithout() throws Exception {
        try (TestTlsClient peer = TestTlsClient.connect(client, server)) {
            assertThat(peer.readLine()).contains(" alpn=- ");
            assertThat(peer.socket().getApplicationProtocol()).isEmpty();
        }
    }

    /*
     * RFC 7301 section 3.2: a server that supports none of the client's protocols answers with the
     * fatal no_application_protocol alert; the failed handshake's alert reaches the client.
     */
    @Test
    void aClientThatOffersOnlyUnknownProtocolsIsRefusedWithTheAlert() throws Exception {
        long failures = server.stats().tlsHandshakeFailures();

        IOException refusal = TestTlsClient.refused(client, server, p -> p.setApplicationProtocols(new String[] {"spdy/3"}));

        assertThat(refusal).isInstanceOf(SSLHandshakeException.class);
        // RFC 7301 section 3.2, and Tls.Builder.applicationProtocols: the no_application_protocol alert.
        assertThat(refusal).hasMessageContaining("no_application_protocol");
        TestSupport.eventually("the failure counted", () -> server.stats().tlsHandshakeFailures() == failures + 1);
    }

    @Test
    void aServerWithoutProtocolsIgnoresTheClientsOffer() throws Exception {
        Tls plainTls = Tls.fromPemFiles(pki.chain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS), pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS));
        try (Server noAlpn = TestTls.startIntroducing(plainTls);
                TestTlsClient peer = TestTlsClient.connect(client, noAlpn, p -> p.setApplicationProtocols(new String[] {"h2"}))) {
            assertThat(peer.readLine()).contains(" alpn=- ");
            assertThat(peer.socket().getApplicationProtocol()).isEmpty();
        }
    }

    @Test
    void opensslNegotiatesAlpn() throws Exception {
        try (OpensslClient openssl = OpensslClient.connect(server, dir, "-alpn", "http/1.1,h2",
                "-CAfile", pki.rootCertificate().toString(), "-verify_return_error")) {
            openssl.awaitStdout("alpn=h2");

            assertThat(openssl.stdout()).contains("ALPN protocol: h2");
            assertThat(openssl.finish()).as(openssl.describe()).isZero();
        }
    }

    // openssl must read the alert, not an unexpected end of file.
    @Test
    void opensslOfferingOnlyUnknownProtocolsIsRefusedWithTheAlert() throws Exception {
        try (OpensslClient openssl = OpensslClient.connect(server, dir, "-alpn", "spdy/3",
                "-CAfile", pki.rootCertificate().toString())) {
            assertThat(openssl.finish()).as(openssl.describe()).isNotZero();

            assertThat(openssl.stdout()).doesNotContain("alpn=");
            assertThat(openssl.stderr()).as(openssl.describe()).contains("no application protocol");
        }
    }
}
