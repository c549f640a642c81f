package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustAnchorsTest {

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    @Test
    void readsEveryCertificateOfACaFileInOrder() {
        Path bundle = pki.concat("bundle.pem", pki.rootCertificate(), pki.intermediateCertificate());

        List<X509Certificate> anchors = TrustAnchors.read(bundle);

        assertThat(anchors).extracting(c -> c.getSubjectX500Principal().getName())
                .containsExactly("CN=glisten test root CA", "CN=glisten test intermediate CA");
    }

    @Test
    void readsOpensslTrustedCertificatesAndExplanatoryText() throws Exception {
        Path trusted = dir.resolve("trusted.pem");
        pki.openssl("x509", "-in", pki.rootCertificate().toString(), "-trustout", "-addtrust", "clientAuth",
                "-subject", "-issuer", "-out", trusted.toString());
        assertThat(Files.readString(trusted)).contains("-----BEGIN TRUSTED CERTIFICATE-----");

        assertThat(TrustAnchors.read(trusted)).isEqualTo(TrustAnchors.read(pki.rootCertificate()));
    }

    @Test
    void trustManagersAcceptChainsToAnAnchorOnly() throws Exception {
        X509TrustManager manager = (X509TrustManager) TrustAnchors.trustManagers(TrustAnchors.read(pki.rootCertificate()))[0];
        X509Certificate[] chain = CertificateChains.read(PemSource.file("certificate file", pki.chain(KeyKind.EC_P384_SEC1)))
                .toArray(X509Certificate[]::new);
        X509TrustManager other = (X509TrustManager) TrustAnchors.trustManagers(
                TrustAnchors.read(pki.selfSigned(pki.key(KeyKind.ED25519), "unrelated-ca")))[0];

        manager.checkClientTrusted(chain, "EC");
        assertThat(manager.getAcceptedIssuers()).containsExactlyElementsOf(TrustAnchors.read(pki.rootCertificate()));
        assertThatThrownBy(() -> other.checkClientTrusted(chain, "EC")).isInstanceOf(CertificateException.class);
    }

    @Test
    void readsCaCertificatesInMemory() throws Exception {
        assertThat(TrustAnchors.read(Files.readString(pki.rootCertificate()))).hasSize(1);
    }

    @Test
    void aCaFileWithoutCertificateSaysSo() {
        assertThatThrownBy(() -> TrustAnchors.read(pki.key(KeyKind.ED25519)))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("CA file " + pki.key(KeyKind.ED25519) + ": has no certificate (found PRIVATE KEY)");
        assertThatThrownBy(() -> TrustAnchors.read(dir.resolve("nope.pem")))
                .hasMessageStartingWith("CA file " + dir.resolve("nope.pem") + ": does not exist");
    }
}
