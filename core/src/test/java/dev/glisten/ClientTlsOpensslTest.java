package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * glisten's client TLS against {@code openssl s_server}, a TLS server glisten shares no code
 * with: the chain and name are verified, ALPN is settled, data flows both ways, a client
 * certificate is presented when asked for (and its absence is explained), and the client's
 * close_notify is a real TLS close that openssl answers with its own.
 */
class ClientTlsOpensslTest {

    private static final KeyKind KIND = KeyKind.EC_P384_SEC1;

    @TempDir
    static Path dir;
    static TestPki pki;
    static Path leafChain;
    static Path key;
    static ClientTls trusting;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        leafChain = pki.chain(KIND);
        key = pki.key(KIND);
        trusting = ClientTls.builder().trustedCertificates(pki.rootCertificate()).build();
    }

    /** s_server arguments for the test PKI's server certificate, sending the intermediate too. */
    private static String[] serving(String... more) {
        List<String> args = new ArrayList<>(List.of("-cert", leafChain.toString(), "-key", key.toString(),
                "-cert_chain", pki.intermediateCertificate().toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void opensslIsVerifiedDataFlowsAndTheClientsCloseNotifyIsAnswered(String protocol) throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).protocols(protocol)
                .applicationProtocols("http/1.1").build();
        try (OpensslServer openssl = OpensslServer.start(dir, serving("-alpn", "h2,http/1.1"));
                TlsChannelClient client = TlsChannelClient.connect(tls, "localhost", openssl.port())) {
            NegotiatedTls negotiated = client.handshake();
            assertThat(negotiated.protocol()).isEqualTo(protocol);
            assertThat(negotiated.applicationProtocol()).contains("http/1.1");
            assertThat(negotiated.peerCertificates()).hasSize(2);
            assertThat(TestTls.subject(negotiated.peerCertificates().get(0))).isEqualTo("CN=leaf-ec_p384_sec1");

            client.send("from glisten\n");
            openssl.awaitStdout("from glisten\n");
            openssl.send("from openssl\n");
            client.readUntil("from openssl\n");

            client.shutdownOutput();
            // "DONE" is what s_server prints for a close_notify; an end without one is an "ERROR".
            openssl.awaitStdout("DONE");
            assertThat(client.readToEnd()).isEqualTo("from openssl\n");
            assertThat(openssl.output()).as(openssl.describe()).doesNotContain("ERROR");
        }
    }

    @Test
    void aNameOpensslsCertificateDoesNotCarryIsRefusedNamingBoth() throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).serverName("db.internal").build();
        try (OpensslServer openssl = OpensslServer.start(dir, serving());
                TlsChannelClient client = TlsChannelClient.connect(tls, "127.0.0.1", openssl.port())) {
            SSLException refused = catchThrowableOfType(SSLException.class, client::handshake);

            assertThat(refused).hasMessage("the server's certificate does not match the name db.internal "
                    + "(its names: IP:127.0.0.1, DNS:localhost)");
        }
    }

    @Test
    void aClientCertificateIsPresentedWhenOpensslAsksForOne() throws Exception {
        Path[] carol = pki.otherKeyAndChain(KeyKind.ED25519, "client-carol");
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).certificate(carol[1], carol[0])
                .build();
        try (OpensslServer openssl = OpensslServer.start(dir, serving("-Verify", "2", "-CAfile",
                        pki.rootCertificate().toString(), "-verify_return_error"));
                TlsChannelClient client = TlsChannelClient.connect(tls, "localhost", openssl.port())) {
            client.handshake();
            client.send("signed, carol\n");
            openssl.awaitStdout("signed, carol\n");

            assertThat(openssl.output()).contains("CN = leaf-client-carol").contains("verify return:1")
                    .doesNotContain("verify error");
        }
    }

    @Test
    void withoutACertificateOpensslsRefusalIsExplained() throws Exception {
        try (OpensslServer openssl = OpensslServer.start(dir, serving("-Verify", "2", "-CAfile",
                        pki.rootCertificate().toString(), "-verify_return_error"));
                TlsChannelClient client = TlsChannelClient.connect(trusting, "localhost", openssl.port())) {
            SSLException refused = catchThrowableOfType(SSLException.class, () -> {
                client.handshake();
                client.readToEnd();
            });

            assertThat(refused).hasMessage("the server requires a client certificate; give one with "
                    + "ClientTls.Builder.certificate");
        }
    }
}
