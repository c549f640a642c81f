package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeyMaterialTest {

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void readsTheChainLeafFirstAndTheKeyThatMatchesIt(KeyKind kind) {
        KeyMaterial material = KeyMaterial.fromPemFiles(pki.chain(kind), pki.key(kind), kind.passwordChars());

        assertThat(material.chain()).hasSize(2);
        assertThat(material.leaf().getSubjectX500Principal().getName()).isEqualTo("CN=leaf-" + kind.name().toLowerCase());
        assertThat(material.chain().get(1).getSubjectX500Principal().getName()).isEqualTo("CN=glisten test intermediate CA");
        assertThat(material.key().getAlgorithm()).isEqualTo(kind.algorithm);
        assertThat(KeyPairs.match(material.leaf().getPublicKey(), material.key())).isTrue();
        assertThat(material.toString()).contains("leaf-" + kind.name().toLowerCase()).doesNotContain("PRIVATE");
    }

    @Test
    void readsInMemoryPem() throws Exception {
        KeyMaterial material = KeyMaterial.fromPem(Files.readString(pki.chain(KeyKind.ED448)),
                Files.readString(pki.key(KeyKind.ED448)), null);

        assertThat(material.leaf().getPublicKey().getAlgorithm()).isEqualTo("EdDSA");
    }

    @Test
    void keyStoreAndKeyManagersHoldTheOneIdentity() throws Exception {
        KeyMaterial material = KeyMaterial.fromPemFiles(pki.chain(KeyKind.RSA_PSS), pki.key(KeyKind.RSA_PSS), null);

        KeyStore store = material.keyStore("pw".toCharArray());
        assertThat(store.getKey("server", "pw".toCharArray())).isEqualTo(material.key());
        assertThat(store.getCertificateChain("server")).containsExactlyElementsOf(material.chain());

        KeyManager[] managers = material.keyManagers();
        assertThat(managers).hasSize(1);
        X509KeyManager manager = (X509KeyManager) managers[0];
        String alias = manager.getServerAliases("RSASSA-PSS", null)[0];
        assertThat(manager.getCertificateChain(alias)).containsExactlyElementsOf(material.chain());
        assertThat(manager.getPrivateKey(alias)).isEqualTo(material.key());
    }

    @Test
    void rejectsAnRsaKeyWithAnotherRsaCertificate() {
        Path[] other = pki.otherKeyAndChain(KeyKind.RSA_PKCS8, "other-rsa");

        assertMismatch(pki.key(KeyKind.RSA_PKCS1), other[1], "RSA");
    }

    @Test
    void rejectsAnEcKeyWithAnRsaCertificate() {
        assertMismatch(pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS), pki.chain(KeyKind.RSA_PKCS8), "EC");
    }

    @Test
    void rejectsAnEcKeyWithAnotherCertificateOnTheSameCurve() {
        Path[] other = pki.otherKeyAndChain(KeyKind.EC_P384_SEC1, "other-ec");

        assertMismatch(pki.key(KeyKind.EC_P384_SEC1), other[1], "EC");
    }

    @Test
    void rejectsAnEd25519KeyWithAnotherEd25519OrAnEd448Certificate() {
        Path[] other = pki.otherKeyAndChain(KeyKind.ED25519, "other-ed25519");

        assertMismatch(pki.key(KeyKind.ED25519), other[1], "EdDSA");
        assertMismatch(pki.key(KeyKind.ED25519), pki.chain(KeyKind.ED448), "EdDSA");
    }

    private static void assertMismatch(Path key, Path certificate, String algorithm) {
        assertThatThrownBy(() -> KeyMaterial.fromPemFiles(certificate, key, null))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("key file " + key + ": the " + algorithm + " key does not match the certificate")
                .hasMessageContaining("of certificate file " + certificate)
                .hasMessageContaining("openssl x509 -noout -pubkey");
    }

    @Test
    void saysToPutTheLeafFirstWhenTheKeyMatchesALaterCertificate() {
        Path leaf = pki.issue(pki.key(KeyKind.EC_P521_PKCS8), null, "leaf-p521-again");
        Path reversed = pki.concat("reversed.pem", pki.intermediateCertificate(), leaf);

        assertThatThrownBy(() -> KeyMaterial.fromPemFiles(reversed, pki.key(KeyKind.EC_P521_PKCS8), null))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("certificate file " + reversed + ": the key of key file ")
                .hasMessageContaining("belongs to certificate 2 of the chain")
                .hasMessageContaining("Put the server's own certificate first");
    }

    @Test
    void readsPkcs12FromOpensslDefaultsAndLegacyAlgorithms() {
        KeyKind kind = KeyKind.RSA_PKCS1;
        Path modern = dir.resolve("modern.p12");
        Path legacy = dir.resolve("legacy.p12");
        pki.openssl("pkcs12", "-export", "-in", pki.chain(kind).toString(), "-inkey", pki.key(kind).toString(),
                "-name", "my server", "-passout", "pass:p12", "-out", modern.toString());
        // What openssl 1.1 and keytool of JDK 8 wrote: 3DES keys and certificates, SHA-1 MAC.
        pki.openssl("pkcs12", "-export", "-in", pki.chain(kind).toString(), "-inkey", pki.key(kind).toString(),
                "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1",
                "-passout", "pass:p12", "-out", legacy.toString());
        X509Certificate leaf = KeyMaterial.fromPemFiles(pki.chain(kind), pki.key(kind), null).leaf();

        for (Path p12 : new Path[] {modern, legacy}) {
            KeyMaterial material = KeyMaterial.fromPkcs12(p12, "p12".toCharArray());
            assertThat(material.leaf()).isEqualTo(leaf);
            assertThat(material.chain()).hasSize(2);
            assertThat(material.key().getAlgorithm()).isEqualTo("RSA");
        }
    }

    @Test
    void pkcs12ErrorsNameTheFile() throws Exception {
        KeyKind kind = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;
        Path p12 = dir.resolve("errors.p12");
        pki.openssl("pkcs12", "-export", "-in", pki.chain(kind).toString(), "-inkey", pki.key(kind).toString(),
                "-passout", "pass:right", "-out", p12.toString());
        Path certificatesOnly = dir.resolve("certificates-only.p12");
        pki.openssl("pkcs12", "-export", "-nokeys", "-in", pki.chain(kind).toString(),
                "-passout", "pass:right", "-out", certificatesOnly.toString());
        Path garbage = Files.write(dir.resolve("garbage.p12"), new byte[] {0x30, 0x03, 0x02, 0x01, 0x07, 0x00});

        assertThatThrownBy(() -> KeyMaterial.fromPkcs12(p12, "wrong".toCharArray()))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("PKCS#12 file " + p12 + ": the password is wrong. Give the keystore's password");
        assertThatThrownBy(() -> KeyMaterial.fromPkcs12(p12, null))
                .hasMessageStartingWith("PKCS#12 file " + p12 + ": the password is wrong (none was given)");
        assertThatThrownBy(() -> KeyMaterial.fromPkcs12(certificatesOnly, "right".toCharArray()))
                .hasMessageStartingWith("PKCS#12 file " + certificatesOnly + ": has no private key (only certificates)")
                .hasMessageContaining("openssl pkcs12 -export");
        assertThatThrownBy(() -> KeyMaterial.fromPkcs12(garbage, "right".toCharArray()))
                .hasMessageStartingWith("PKCS#12 file " + garbage + ": is not a PKCS#12 keystore")
                .hasMessageContaining("openssl pkcs12 -export");
        assertThatThrownBy(() -> KeyMaterial.fromPkcs12(pki.chain(kind), "right".toCharArray()))
                .hasMessageStartingWith("PKCS#12 file " + pki.chain(kind) + ": is PEM text, not a PKCS#12 keystore")
                .hasMessageContaining("PEM certificate file and key file");
        assertThatThrownBy(() -> KeyMaterial.fromPkcs12(dir.resolve("missing.p12"), "right".toCharArray()))
                .hasMessageStartingWith("PKCS#12 file " + dir.resolve("missing.p12") + ": does not exist");
    }
}
