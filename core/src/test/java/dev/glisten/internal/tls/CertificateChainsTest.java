package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateChainsTest {

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    private static List<X509Certificate> read(String pem) {
        return CertificateChains.read(PemSource.inMemory("certificate chain", pem));
    }

    @Test
    void keepsTheOrderOfTheFileLeafFirst() throws Exception {
        Path chain = pki.concat("three.pem", pki.chain(KeyKind.ED25519), pki.rootCertificate());

        List<X509Certificate> certificates = CertificateChains.read(PemSource.file("certificate file", chain));

        assertThat(certificates).extracting(c -> c.getSubjectX500Principal().getName())
                .containsExactly("CN=leaf-ed25519", "CN=glisten test intermediate CA", "CN=glisten test root CA");
        // Each is issued by the next: the order TLS sends.
        certificates.get(0).verify(certificates.get(1).getPublicKey());
        certificates.get(1).verify(certificates.get(2).getPublicKey());
    }

    @Test
    void readsTheOlderLabelsOfRfc7468AndTextFromOpensslX509Text() throws Exception {
        String pem = Files.readString(pki.rootCertificate());
        Path described = dir.resolve("described.pem");
        pki.openssl("x509", "-in", pki.rootCertificate().toString(), "-text", "-out", described.toString());

        assertThat(read(pem.replace("CERTIFICATE", "X509 CERTIFICATE"))).isEqualTo(read(pem));
        assertThat(read(Files.readString(described))).isEqualTo(read(pem));
    }

    @Test
    void rejectsABlockThatIsNoCertificate() {
        String pem = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";

        assertThatThrownBy(() -> read(pem))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("in-memory PEM certificate chain: the CERTIFICATE block that begins on line 1 "
                        + "is not a valid X.509 certificate")
                .hasMessageContaining("openssl x509 -noout -text");
    }
}
