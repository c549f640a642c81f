package dev.glisten.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.ClientTls;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/**
 * The engines a {@link RealClientTls} makes: client mode, the name to verify, SNI only for host
 * names, endpoint identification unless disabled, the ALPN offer and the protocols.
 */
class RealClientTlsTest {

    private static RealClientTls tls(ClientTls.Builder builder) {
        return (RealClientTls) builder.build();
    }

    private static List<String> sni(SSLEngine engine) {
        List<SNIServerName> names = engine.getSSLParameters().getServerNames();
        return names == null ? List.of() : names.stream().map(name -> ((SNIHostName) name).getAsciiName()).toList();
    }

    @Test
    void aHostNameIsSentAsSniAndVerified() {
        SSLEngine engine = RealClientTls.defaults().newEngine("db.example.com", 5432);
        SSLParameters parameters = engine.getSSLParameters();

        assertThat(engine.getUseClientMode()).isTrue();
        assertThat(sni(engine)).containsExactly("db.example.com");
        assertThat(engine.getPeerHost()).isEqualTo("db.example.com");
        assertThat(engine.getPeerPort()).isEqualTo(5432);
        assertThat(parameters.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        assertThat(parameters.getProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(parameters.getApplicationProtocols()).isEmpty();
    }

    @Test
    void aNameWithoutADotIsSentToo() {
        // The JDK's own default would send no SNI for it.
        assertThat(sni(RealClientTls.defaults().newEngine("localhost", 443))).containsExactly("localhost");
    }

    @Test
    void anAddressIsVerifiedButNeverSentAsSni() {
        for (String address : List.of("127.0.0.1", "::1", "[::1]", "fe80::1%eth0", "10.1")) {
            SSLEngine engine = RealClientTls.defaults().newEngine(address, 443);

            assertThat(sni(engine)).as(address).isEmpty();
            assertThat(engine.getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        }
        assertThat(RealClientTls.defaults().newEngine("[::1]", 443).getPeerHost()).isEqualTo("::1");
    }

    @Test
    void aNameSniCannotCarryIsStillVerified() {
        SSLEngine engine = RealClientTls.defaults().newEngine("my_host.internal", 443);

        assertThat(sni(engine)).isEmpty();
        assertThat(engine.getPeerHost()).isEqualTo("my_host.internal");
    }

    @Test
    void theRootsDotIsLeftOut() {
        SSLEngine engine = RealClientTls.defaults().newEngine("example.com.", 443);

        assertThat(sni(engine)).containsExactly("example.com");
        assertThat(engine.getPeerHost()).isEqualTo("example.com");
    }

    @Test
    void theServerNameOptionReplacesTheHost() {
        SSLEngine byName = tls(ClientTls.builder().serverName("db.internal")).newEngine("10.0.0.7", 5432);
        SSLEngine byAddress = tls(ClientTls.builder().serverName("10.0.0.7")).newEngine("db.internal", 5432);

        assertThat(sni(byName)).containsExactly("db.internal");
        assertThat(byName.getPeerHost()).isEqualTo("db.internal");
        assertThat(sni(byAddress)).isEmpty();
        assertThat(byAddress.getPeerHost()).isEqualTo("10.0.0.7");
    }

    @Test
    void hostnameVerificationIsOffOnlyWhenDisabled() {
        SSLEngine engine = tls(ClientTls.builder().disableHostnameVerification()).newEngine("localhost", 443);

        assertThat(engine.getSSLParameters().getEndpointIdentificationAlgorithm()).isNull();
        assertThat(sni(engine)).as("SNI does not depend on verification").containsExactly("localhost");
    }

    @Test
    void alpnAndProtocolsAreOffered() {
        SSLEngine engine = tls(ClientTls.builder().applicationProtocols("h2", "http/1.1").protocols("TLSv1.3")
                .cipherSuites("TLS_AES_256_GCM_SHA384")).newEngine("localhost", 443);
        SSLParameters parameters = engine.getSSLParameters();

        assertThat(parameters.getApplicationProtocols()).containsExactly("h2", "http/1.1");
        assertThat(parameters.getProtocols()).containsExactly("TLSv1.3");
        assertThat(parameters.getCipherSuites()).containsExactly("TLS_AES_256_GCM_SHA384");
    }

    @Test
    void addressesAreToldFromNamesByTheirForm() {
        for (String address : List.of("127.0.0.1", "10.1", "::", "::1", "2001:db8::8:800:200c:417a",
                "::ffff:192.0.2.1", "fe80::1%eth0")) {
            assertThat(RealClientTls.isIpLiteral(address)).as(address).isTrue();
        }
        for (String name : List.of("localhost", "db.internal", "1.example", "example.com:443", "")) {
            assertThat(RealClientTls.isIpLiteral(name)).as(name).isFalse();
        }
    }
}
