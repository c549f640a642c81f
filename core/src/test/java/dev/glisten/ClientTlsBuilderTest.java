package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClientTls.Builder} fails fast: a setter refuses a bad value naming the option, and
 * {@link ClientTls.Builder#build()} reads every file, naming the one at fault and the fix.
 */
class ClientTlsBuilderTest {

    private static final KeyKind KIND = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    @Test
    void theDefaultsAreTheJdkCasTls13And12AndATenSecondHandshake() {
        ClientTls defaults = ClientTls.defaults();

        assertThat(defaults).isSameAs(ClientTls.defaults());
        assertThat(defaults.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.toString()).isEqualTo("ClientTls[trusting the JDK's default CAs, TLSv1.3/TLSv1.2]");
        assertThat(ClientTls.builder().build().toString()).isEqualTo(defaults.toString());
    }

    @Test
    void settersNameTheOptionTheyRefuse() {
        ClientTls.Builder builder = ClientTls.builder();

        assertThatThrownBy(() -> builder.applicationProtocols("h2", "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("applicationProtocols: ");
        assertThatThrownBy(() -> builder.applicationProtocols("h2", "h2")).hasMessageStartingWith("applicationProtocols: ");
        assertThatThrownBy(builder::protocols).hasMessageStartingWith("protocols: ");
        assertThatThrownBy(builder::cipherSuites).hasMessageStartingWith("cipherSuites: ");
        assertThatThrownBy(() -> builder.handshakeTimeout(Duration.ZERO)).hasMessageStartingWith("handshakeTimeout ");
        assertThatThrownBy(() -> builder.handshakeTimeout(Duration.ofDays(2))).hasMessageStartingWith("handshakeTimeout ");
        assertThatThrownBy(() -> builder.serverName("db internal")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("serverName: \"db internal\" is neither a DNS host name nor an IP address");
        assertThatThrownBy(() -> builder.serverName("db_internal.example")).hasMessageStartingWith("serverName: ");
        assertThatThrownBy(() -> builder.serverName(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("serverName");
        assertThatThrownBy(() -> builder.trustedCertificates(null)).hasMessage("trustedCertificates");
    }

    @Test
    void serverNamesMayBeHostNamesOrAddresses() {
        for (String name : new String[] {"db.internal", "localhost", "example.com.", "10.0.0.7", "::1", "[::1]",
            "bücher.example"}) {
            assertThat(ClientTls.builder().serverName(name).build().toString()).contains("server name " + name);
        }
    }

    @Test
    void handshakeTimeoutIsKept() {
        assertThat(ClientTls.builder().handshakeTimeout(Duration.ofMillis(1500)).build().handshakeTimeout())
                .isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void aMissingCaFileIsNamedAtBuild() {
        Path missing = dir.resolve("no-such-ca.pem");
        ClientTls.Builder builder = ClientTls.builder().trustedCertificates(missing);

        assertThatThrownBy(builder::build).isExactlyInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("CA file " + missing + ": does not exist. Check the path");
    }

    @Test
    void aCaFileWithoutCertificatesIsNamedAtBuild() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage-ca.pem"), "this is not PEM\n");
        Path keyOnly = pki.key(KIND);

        assertThatThrownBy(() -> ClientTls.builder().trustedCertificates(garbage).build())
                .isExactlyInstanceOf(TlsConfigException.class).hasMessageStartingWith("CA file " + garbage + ": ");
        assertThatThrownBy(() -> ClientTls.builder().trustedCertificates(keyOnly).build())
                .isExactlyInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("CA file " + keyOnly + ": has no certificate");
        assertThatThrownBy(() -> ClientTls.builder().trustedCertificatesPem("").build())
                .isExactlyInstanceOf(TlsConfigException.class).hasMessageStartingWith("in-memory PEM CA certificates: ");
    }

    @Test
    void aClientCertificateThatDoesNotMatchItsKeyIsNamedAtBuild() {
        Path chain = pki.chain(KIND);
        Path stranger = pki.newKey(KIND, "client-stranger");

        assertThatThrownBy(() -> ClientTls.builder().certificate(chain, stranger).build())
                .isExactlyInstanceOf(TlsConfigException.class)
                .hasMessageContaining(stranger.toString()).hasMessageContaining(chain.toString());
        assertThatThrownBy(() -> ClientTls.builder().certificate(dir.resolve("no-chain.pem"), stranger).build())
                .hasMessageContaining("no-chain.pem: does not exist");
    }

    @Test
    void unknownAndDisabledProtocolsAreRefusedAtBuild() {
        assertThatThrownBy(() -> ClientTls.builder().protocols("TLSv9").build())
                .isExactlyInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("clientTls protocols: \"TLSv9\" is not supported by this JDK. Supported: ");
        assertThatThrownBy(() -> ClientTls.builder().protocols("TLSv1").build())
                .isExactlyInstanceOf(TlsConfigException.class)
                .hasMessageContaining("\"TLSv1\" is disabled in this JDK").hasMessageContaining("no server could be reached");
        assertThatThrownBy(() -> ClientTls.builder().cipherSuites("TLS_NO_SUCH_SUITE").build())
                .hasMessageStartingWith("clientTls cipherSuites: \"TLS_NO_SUCH_SUITE\" is not supported");
    }

    @Test
    void anSslContextReplacesTrustAndCertificateOptions() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);

        assertThatThrownBy(() -> ClientTls.builder().sslContext(context).trustedCertificates(pki.rootCertificate()).build())
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("clientTls: sslContext replaces trustedCertificates and certificate; "
                        + "configure those in the SSLContext, or drop sslContext");
        assertThatThrownBy(() -> ClientTls.builder().certificate(pki.chain(KIND), pki.key(KIND)).sslContext(context).build())
                .hasMessageStartingWith("clientTls: sslContext replaces");
        assertThat(ClientTls.builder().sslContext(context).disableHostnameVerification().build().toString())
                .isEqualTo("ClientTls[sslContext TLS, host names NOT verified, TLSv1.3/TLSv1.2]");
    }
}
