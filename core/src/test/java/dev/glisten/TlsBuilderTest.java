package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Tls.Builder} fails fast, at build time, with a message that names the option or the
 * file at fault: a server never starts with TLS material that would fail at the first handshake.
 */
class TlsBuilderTest {

    private static final KeyKind KIND = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;

    @TempDir
    static Path dir;
    static TestPki pki;
    static Path chain;
    static Path key;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        chain = pki.chain(KIND);
        key = pki.key(KIND);
    }

    private static Tls.Builder valid() {
        return Tls.builder().certificate(chain, key);
    }

    @Test
    void badMaterialThrowsAPublicTypeACallerCanCatchByName() throws IOException {
        Path notPem = Files.writeString(dir.resolve("not-pem.txt"), "hello");
        assertThatThrownBy(() -> Tls.fromPemFiles(notPem, key))
                .isExactlyInstanceOf(TlsConfigException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(notPem.toString());
        // Exported, so code outside the module can name it in a catch clause.
        Module module = TlsConfigException.class.getModule();
        assertThat(!module.isNamed() || module.isExported(TlsConfigException.class.getPackageName())).isTrue();
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("no-such-chain.pem");

        assertThatThrownBy(() -> Tls.fromPemFiles(missing, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Tls.fromPemFiles(chain, dir.resolve("no-such-key.pem")))
                .hasMessageContaining("no-such-key.pem").hasMessageContaining("does not exist");
    }

    @Test
    void aFileThatIsNotPemIsNamed() throws IOException {
        Path der = dir.resolve("chain.der");
        pki.openssl("x509", "-in", chain.toString(), "-outform", "DER", "-out", der.toString());

        assertThatThrownBy(() -> Tls.fromPemFiles(der, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(der.toString()).hasMessageContaining("PEM");
        Path text = Files.writeString(dir.resolve("notes.txt"), "just some notes\n");
        assertThatThrownBy(() -> Tls.fromPemFiles(chain, text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text.toString());
    }

    @Test
    void aKeyThatDoesNotMatchItsCertificateIsNamed() {
        Path otherKey = pki.newKey(KIND, "stranger");

        assertThatThrownBy(() -> Tls.fromPemFiles(chain, otherKey)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(otherKey.toString()).hasMessageContaining(chain.toString())
                .hasMessageContaining("does not match");
    }

    @Test
    void anEncryptedKeyNeedsItsPassword() {
        KeyKind encrypted = KeyKind.EC_ENCRYPTED_GENPKEY;

        assertThatThrownBy(() -> Tls.fromPemFiles(pki.chain(encrypted), pki.key(encrypted)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(pki.key(encrypted).toString()).hasMessageContaining("password");
        assertThatThrownBy(() -> Tls.builder().certificate(pki.chain(encrypted), pki.key(encrypted),
                "wrong password".toCharArray()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(pki.key(encrypted).toString()).hasMessageContaining("password");
    }

    @Test
    void aPkcs12KeystoreWithTheWrongPasswordIsNamed() {
        Path keystore = TestTls.pkcs12(pki, chain, key, null, "right", "builder.p12");

        assertThatThrownBy(() -> Tls.builder().pkcs12(keystore, "wrong".toCharArray()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(keystore.toString());
    }

    @Test
    void clientAuthWithoutTrustedCertificatesNamesBoth() {
        for (Tls.ClientAuth mode : new Tls.ClientAuth[] {Tls.ClientAuth.REQUIRED, Tls.ClientAuth.OPTIONAL}) {
            assertThatThrownBy(() -> valid().clientAuth(mode).build()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("clientAuth").hasMessageContaining("trustedCertificates");
        }
        assertThat(valid().clientAuth(Tls.ClientAuth.REQUIRED).trustedCertificates(pki.rootCertificate()).build())
                .isNotNull();
    }

    @Test
    void aMissingTrustedCertificatesFileIsNamed() {
        Path missing = dir.resolve("no-such-ca.pem");

        assertThatThrownBy(() -> valid().clientAuth(Tls.ClientAuth.REQUIRED).trustedCertificates(missing).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void anUnknownProtocolOrCipherSuiteIsNamed() {
        assertThatThrownBy(() -> valid().protocols("TLSv1.4").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("protocols").hasMessageContaining("TLSv1.4");
        assertThatThrownBy(() -> valid().protocols("TLSv1.3", "tls1.2").build())
                .hasMessageContaining("protocols").hasMessageContaining("tls1.2");
        assertThatThrownBy(() -> valid().protocols()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("protocols");
        assertThatThrownBy(() -> valid().cipherSuites("TLS_FANCY_NEW_SUITE").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cipherSuites").hasMessageContaining("TLS_FANCY_NEW_SUITE");
        assertThatThrownBy(() -> valid().cipherSuites()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cipherSuites");
    }

    /*
     * TLSv1.1 is a name the JDK knows but its jdk.tls.disabledAlgorithms turns off: a server built
     * with it would refuse every client, so build() refuses it, naming the option.
     */
    @Test
    void aProtocolTheJdkHasDisabledIsRefusedAtBuildTime() {
        assertThatThrownBy(() -> valid().protocols("TLSv1.1").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("protocols").hasMessageContaining("TLSv1.1");
    }

    @Test
    void otherOptionsAreCheckedWhenSet() {
        assertThatThrownBy(() -> valid().handshakeTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("handshakeTimeout");
        assertThatThrownBy(() -> valid().handshakeTimeout(Duration.ofSeconds(-1))).hasMessageContaining("handshakeTimeout");
        assertThatThrownBy(() -> valid().reloadWhenFilesChange(Duration.ofMillis(50)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reloadWhenFilesChange");
        assertThatThrownBy(() -> valid().applicationProtocols("h2", "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("applicationProtocols");
        assertThatThrownBy(() -> valid().applicationProtocols("h2", "h2")).hasMessageContaining("applicationProtocols");
        assertThatThrownBy(() -> valid().applicationProtocols("x".repeat(256))).hasMessageContaining("applicationProtocols");
        assertThatThrownBy(() -> valid().certificate("not a host!", chain, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("serverName");
    }

    /*
     * Certificates for server names without a default one get the message about the default, not
     * the generic "no certificate".
     */
    @Test
    void aBuilderWithoutOrWithContradictoryCertificatesSaysSo() throws Exception {
        assertThatThrownBy(() -> Tls.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no certificate");
        assertThatThrownBy(() -> valid().sslContext(javax.net.ssl.SSLContext.getDefault()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sslContext");
        assertThatThrownBy(() -> Tls.builder().certificate("a.test", chain, key).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("default certificate");
    }

    @Test
    void aTlsRemembersItsFilesAndTimeout() {
        Tls tls = valid().clientAuth(Tls.ClientAuth.OPTIONAL).trustedCertificates(pki.rootCertificate())
                .handshakeTimeout(Duration.ofSeconds(3)).build();

        assertThat(tls.files()).containsExactly(chain, key, pki.rootCertificate());
        assertThat(tls.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void pemTextInMemoryThatIsNotPemSaysWhichPart() {
        assertThatThrownBy(() -> Tls.builder().certificatePem("not a chain", "not a key", null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in-memory");
    }

    @Test
    void reloadingAPlainServerIsRefused() throws Exception {
        try (Server plain = TestSupport.startEcho()) {
            assertThatThrownBy(plain::reloadTls).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> plain.reloadTls(valid().build())).isInstanceOf(IllegalStateException.class);
        }
    }
}
