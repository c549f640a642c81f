package dev.glisten.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proves that the keys read actually work: a real TLS handshake between a JDK server built from
 * {@link KeyMaterial} and a JDK client that trusts only the test root CA.
 */
class SslContextsTest {

    @TempDir
    static Path dir;
    static TestPki pki;
    static SSLContext client;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        client = SslContexts.create(null, TrustAnchors.trustManagers(TrustAnchors.read(pki.rootCertificate())));
    }

    private static SSLContext server(KeyKind kind) {
        KeyMaterial material = KeyMaterial.fromPemFiles(pki.chain(kind), pki.key(kind), kind.passwordChars());
        return SslContexts.create(material.keyManagers(), null);
    }

    private static void assertPresentsItsChain(TlsHandshake.Outcome outcome, KeyKind kind) {
        List<X509Certificate> chain = CertificateChains.read(PemSource.file("certificate file", pki.chain(kind)));
        assertThat(outcome.serverChain()).containsExactlyElementsOf(chain);
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void completesATls13HandshakeWithEveryKeyFormat(KeyKind kind) throws Exception {
        TlsHandshake.Outcome outcome = TlsHandshake.run(server(kind), client, "TLSv1.3", false).succeeded();

        assertThat(outcome.protocol()).isEqualTo("TLSv1.3");
        assertPresentsItsChain(outcome, kind);
    }

    @ParameterizedTest
    @EnumSource(value = KeyKind.class, names = {"RSA_PKCS1", "RSA_PKCS8", "RSA_ENCRYPTED_PKCS8", "EC_P256_SEC1_WITH_PARAMETERS", "EC_P384_SEC1"})
    void completesATls12HandshakeWithRsaAndEcKeys(KeyKind kind) throws Exception {
        TlsHandshake.Outcome outcome = TlsHandshake.run(server(kind), client, "TLSv1.2", false).succeeded();

        assertThat(outcome.protocol()).isEqualTo("TLSv1.2");
        assertPresentsItsChain(outcome, kind);
    }

    @Test
    void servesASelfSignedCertificateToAClientThatTrustsIt() throws Exception {
        Path key = pki.key(KeyKind.ED25519);
        Path certificate = pki.selfSigned(key, "self-signed");
        SSLContext server = SslContexts.create(KeyMaterial.fromPemFiles(certificate, key, null).keyManagers(), null);
        SSLContext trusting = SslContexts.create(null, TrustAnchors.trustManagers(TrustAnchors.read(certificate)));

        assertThat(TlsHandshake.run(server, trusting, "TLSv1.3", false).succeeded().protocol()).isEqualTo("TLSv1.3");
    }

    @Test
    void serverFromPkcs12Handshakes() throws Exception {
        Path p12 = dir.resolve("server.p12");
        pki.openssl("pkcs12", "-export", "-in", pki.chain(KeyKind.EC_P384_SEC1).toString(),
                "-inkey", pki.key(KeyKind.EC_P384_SEC1).toString(), "-passout", "pass:p12-password", "-out", p12.toString());
        SSLContext server = SslContexts.create(KeyMaterial.fromPkcs12(p12, "p12-password".toCharArray()).keyManagers(), null);

        TlsHandshake.Outcome outcome = TlsHandshake.run(server, client, "TLSv1.3", false).succeeded();

        assertPresentsItsChain(outcome, KeyKind.EC_P384_SEC1);
    }

    @Test
    void requiresAClientCertificateIssuedByTheCasOfTheCaFile() throws Exception {
        SSLContext server = SslContexts.create(
                KeyMaterial.fromPemFiles(pki.chain(KeyKind.RSA_PKCS8), pki.key(KeyKind.RSA_PKCS8), null).keyManagers(),
                TrustAnchors.trustManagers(TrustAnchors.read(pki.rootCertificate())));
        KeyMaterial clientIdentity = KeyMaterial.fromPemFiles(pki.chain(KeyKind.ED25519), pki.key(KeyKind.ED25519), null);
        SSLContext clientWithCertificate = SslContexts.create(clientIdentity.keyManagers(),
                TrustAnchors.trustManagers(TrustAnchors.read(pki.rootCertificate())));

        for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
            TlsHandshake.Outcome outcome = TlsHandshake.run(server, clientWithCertificate, protocol, true).succeeded();
            assertThat(outcome.clientChain()).containsExactlyElementsOf(clientIdentity.chain());
        }
    }

    @Test
    void refusesAClientWithoutCertificateOrWithOneFromAnotherCa() throws Exception {
        // The server trusts only an unrelated self-signed CA: the client's chain leads to the test root instead.
        Path otherCa = pki.selfSigned(pki.key(KeyKind.EC_P521_PKCS8), "other-ca");
        SSLContext server = SslContexts.create(
                KeyMaterial.fromPemFiles(pki.chain(KeyKind.RSA_PKCS8), pki.key(KeyKind.RSA_PKCS8), null).keyManagers(),
                TrustAnchors.trustManagers(TrustAnchors.read(otherCa)));
        SSLContext clientWithCertificate = SslContexts.create(
                KeyMaterial.fromPemFiles(pki.chain(KeyKind.ED25519), pki.key(KeyKind.ED25519), null).keyManagers(),
                TrustAnchors.trustManagers(TrustAnchors.read(pki.rootCertificate())));

        TlsHandshake.Outcome anonymous = TlsHandshake.run(server, client, "TLSv1.3", true);
        TlsHandshake.Outcome untrusted = TlsHandshake.run(server, clientWithCertificate, "TLSv1.3", true);

        assertThat(anonymous.serverFailure()).isInstanceOf(SSLHandshakeException.class);
        assertThat(anonymous.clientFailure()).isNotNull();
        assertThat(untrusted.serverFailure()).isInstanceOf(SSLHandshakeException.class);
        assertThat(untrusted.clientFailure()).isNotNull();
    }
}
