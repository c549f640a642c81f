package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * glisten's client TLS ({@link ClientTls}, run by the client side of the connection's TLS channel)
 * against a glisten {@link Server} with {@link Tls}: the server's chain is verified to the trusted
 * CAs and its name to the host (or {@link ClientTls.Builder#serverName}); a refusal says what did
 * not match; SNI, ALPN and client certificates reach the server, which says what it saw in its
 * first line ({@link TestTls#introduction}).
 */
class ClientTlsHandshakeTest {

    private static final KeyKind KIND = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;
    private static final String NAMES = "(its names: IP:127.0.0.1, DNS:localhost)";

    @TempDir
    static Path dir;
    static TestPki pki;
    static Path chain;
    static Path key;
    static Tls serverTls;
    static ClientTls trusting;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        chain = pki.chain(KIND);
        key = pki.key(KIND);
        serverTls = Tls.builder().certificate(chain, key).build();
        trusting = ClientTls.builder().trustedCertificates(pki.rootCertificate()).build();
    }

    private static TlsChannelClient connect(ClientTls tls, String host, Server server) throws IOException {
        return TlsChannelClient.connect(tls, host, server.port());
    }

    /** The handshake's failure, which must be a refusal; its cause is the JDK's own. */
    private static SSLHandshakeException refusal(ClientTls tls, String host, Server server) throws Exception {
        try (TlsChannelClient client = connect(tls, host, server)) {
            SSLHandshakeException refused = catchThrowableOfType(SSLHandshakeException.class, client::handshake);
            assertThat(refused).as("the handshake should fail").isNotNull();
            assertThat(refused.getCause()).isInstanceOf(SSLHandshakeException.class);
            return refused;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aServerWhoseChainLeadsToATrustedCaAndNamesTheHostIsAccepted(String protocol) throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).protocols(protocol).build();
        try (Server server = TestTls.startIntroducing(serverTls);
                TlsChannelClient client = connect(tls, "localhost", server)) {
            NegotiatedTls negotiated = client.handshake();

            assertThat(negotiated.protocol()).isEqualTo(protocol);
            assertThat(negotiated.serverName()).contains("localhost");
            assertThat(negotiated.applicationProtocol()).isEmpty();
            assertThat(negotiated.peerCertificates()).as("the server's chain")
                    .containsExactlyElementsOf(TestTls.certificates(chain));
            assertThat(client.readUntil("\n")).isEqualTo("protocol=" + protocol + " sni=localhost alpn=- peer=-\n");
            client.send("ping\n");
            client.readUntil("ping\n");
        }
    }

    @Test
    void anAddressIsVerifiedAgainstTheCertificatesAddressesAndSentWithoutServerName() throws Exception {
        try (Server server = TestTls.startIntroducing(serverTls);
                TlsChannelClient client = connect(trusting, "127.0.0.1", server)) {
            assertThat(client.handshake().serverName()).isEmpty();
            assertThat(client.readUntil("\n")).contains(" sni=- ");
        }
    }

    @Test
    void caCertificatesMayComeFromMemory() throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificatesPem(Files.readString(pki.rootCertificate())).build();
        try (Server server = TestTls.startEcho(serverTls); TlsChannelClient client = connect(tls, "localhost", server)) {
            client.handshake();
            client.send("from memory\n");
            client.readUntil("from memory\n");
        }
    }

    @Test
    void theJdkDefaultCasRefuseASelfSignedServer() throws Exception {
        Path selfSigned = pki.selfSigned(key, "self-signed-server");
        try (Server server = TestTls.startEcho(Tls.builder().certificate(selfSigned, key).build())) {
            assertThat(refusal(ClientTls.defaults(), "localhost", server)).hasMessage("the server's certificate chain "
                    + "is not trusted: \"CN=self-signed-server\" is self-signed and is not among the trusted CAs "
                    + "(the JDK's default CAs)");
        }
    }

    @Test
    void aChainFromAnotherCaIsRefusedNamingItsIssuer() throws Exception {
        TestPki other = new TestPki(dir.resolve("other"), "other test");
        Path[] files = other.otherKeyAndChain(KIND, "stranger");
        try (Server server = TestTls.startEcho(Tls.builder().certificate(files[1], files[0]).build())) {
            assertThat(refusal(trusting, "localhost", server)).hasMessage("the server's certificate chain is not "
                    + "trusted: its issuer \"CN=other test root CA\" is not among the trusted CAs (the CA file "
                    + pki.rootCertificate() + ")");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aNameTheCertificateDoesNotCarryIsRefusedNamingBoth(String protocol) throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).protocols(protocol).build();
        try (Server server = TestTls.startEcho(serverTls)) {
            assertThat(refusal(tls, "localhost2", server))
                    .hasMessage("the server's certificate does not match the name localhost2 " + NAMES)
                    .cause().hasMessageContaining("localhost2");
        }
    }

    @Test
    void theServerNameOptionIsWhatIsVerifiedWhateverTheHost() throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).serverName("db.internal").build();
        ClientTls byAddress = ClientTls.builder().trustedCertificates(pki.rootCertificate()).serverName("127.0.0.2").build();
        try (Server server = TestTls.startEcho(serverTls)) {
            // Connecting to a name the certificate has does not help: the name asked for must match.
            assertThat(refusal(tls, "localhost", server))
                    .hasMessage("the server's certificate does not match the name db.internal " + NAMES);
            assertThat(refusal(byAddress, "127.0.0.1", server))
                    .hasMessage("the server's certificate does not match the address 127.0.0.2 " + NAMES);
        }
    }

    @Test
    void withHostnameVerificationDisabledAnyNameIsAcceptedButNotAnyChain() throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).serverName("db.internal")
                .disableHostnameVerification().build();
        try (Server server = TestTls.startIntroducing(serverTls); TlsChannelClient client = connect(tls, "localhost", server)) {
            assertThat(client.handshake().serverName()).contains("db.internal");
            assertThat(client.readUntil("\n")).contains(" sni=db.internal ");
        }
        Path selfSigned = pki.selfSigned(key, "unverified-name");
        ClientTls unverified = ClientTls.builder().disableHostnameVerification().build();
        try (Server server = TestTls.startEcho(Tls.builder().certificate(selfSigned, key).build())) {
            assertThat(refusal(unverified, "localhost", server)).hasMessageStartingWith(
                    "the server's certificate chain is not trusted: \"CN=unverified-name\" is self-signed");
        }
    }

    @Test
    void anExpiredCertificateIsRefusedSayingWhen() throws Exception {
        Path keystore = ExpiredCertificates.keystore(pki, "leaf-expired");
        try (Server server = TestTls.startEcho(Tls.builder().pkcs12(keystore, ExpiredCertificates.PASSWORD).build())) {
            assertThat(refusal(trusting, "localhost", server)).message()
                    .startsWith("the server's certificate chain is out of date: \"CN=leaf-expired\" expired at ")
                    .endsWith("Z");
        }
    }

    @Test
    void alpnOffersTheProtocolsAndTheServerPicks() throws Exception {
        Tls withAlpn = Tls.builder().certificate(chain, key).applicationProtocols("h2", "http/1.1").build();
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate())
                .applicationProtocols("spdy/3", "http/1.1").build();
        try (Server server = TestTls.startIntroducing(withAlpn); TlsChannelClient client = connect(tls, "localhost", server)) {
            assertThat(client.handshake().applicationProtocol()).contains("http/1.1");
            assertThat(client.readUntil("\n")).contains(" alpn=http/1.1 ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aClientCertificateIsPresentedToAServerThatRequiresOne(String protocol) throws Exception {
        Path[] alice = pki.otherKeyAndChain(KIND, "client-alice-" + protocol.replace('.', '_'));
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).certificate(alice[1], alice[0])
                .protocols(protocol).build();
        try (Server server = TestTls.startIntroducing(requiringClientCertificates());
                TlsChannelClient client = connect(tls, "localhost", server)) {
            client.handshake();
            assertThat(client.readUntil("\n")).endsWith(" peer=CN=leaf-client-alice-" + protocol.replace('.', '_') + "\n");
        }
    }

    @Test
    void aClientCertificateMayComeFromMemory() throws Exception {
        Path[] bob = pki.otherKeyAndChain(KIND, "client-bob");
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate())
                .certificatePem(Files.readString(bob[1]), Files.readString(bob[0]), null).build();
        try (Server server = TestTls.startIntroducing(requiringClientCertificates());
                TlsChannelClient client = connect(tls, "localhost", server)) {
            client.handshake();
            assertThat(client.readUntil("\n")).endsWith(" peer=CN=leaf-client-bob\n");
        }
    }

    /**
     * TLS 1.3's client finishes its handshake before the server judges its certificate, so the
     * server's certificate_required alert arrives at the first read; TLS 1.2's server refuses
     * within the handshake, with a handshake_failure alert that does not say why.
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void withoutACertificateAServerThatRequiresOneRefuses(String protocol) throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate()).protocols(protocol).build();
        try (Server server = TestTls.startIntroducing(requiringClientCertificates());
                TlsChannelClient client = connect(tls, "localhost", server)) {
            SSLException refused = catchThrowableOfType(SSLException.class, () -> {
                client.handshake();
                client.readToEnd();
            });

            assertThat(refused).as("the connection should fail").isNotNull();
            if (protocol.equals("TLSv1.3")) {
                assertThat(refused).hasMessage("the server requires a client certificate; give one with "
                        + "ClientTls.Builder.certificate").cause().hasMessageContaining("certificate_required");
            } else {
                assertThat(refused).hasMessageContaining("Received fatal alert: handshake_failure");
            }
        }
    }

    /** The JDK presents no certificate issued by a CA other than those the server names. */
    @Test
    void aClientCertificateFromACaTheServerDoesNotTrustIsNotSentAndThatIsSaid() throws Exception {
        TestPki other = new TestPki(dir.resolve("other-clients"), "other clients");
        Path[] mallory = other.otherKeyAndChain(KIND, "client-mallory");
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate())
                .certificate(mallory[1], mallory[0]).build();
        try (Server server = TestTls.startIntroducing(requiringClientCertificates());
                TlsChannelClient client = connect(tls, "localhost", server)) {
            SSLException refused = catchThrowableOfType(SSLException.class, () -> {
                client.handshake();
                client.readToEnd();
            });

            assertThat(refused).hasMessage("the server requires a client certificate and refused to go on without "
                    + "one (was the configured one not issued by a CA it asked for?)");
        }
    }

    private static Tls requiringClientCertificates() {
        return Tls.builder().certificate(chain, key).clientAuth(Tls.ClientAuth.REQUIRED)
                .trustedCertificates(pki.rootCertificate()).build();
    }

    @Test
    void aServerThatNeverAnswersEndsTheHandshakeAtItsTimeout() throws Exception {
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.rootCertificate())
                .handshakeTimeout(Duration.ofMillis(300)).build();
        try (ServerSocketChannel silent = ServerSocketChannel.open()) {
            // The kernel completes the connection from the backlog; nobody ever accepts or answers.
            silent.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = ((InetSocketAddress) silent.getLocalAddress()).getPort();
            try (TlsChannelClient client = TlsChannelClient.connect(tls, "localhost", port)) {
                long start = System.nanoTime();
                assertThatThrownBy(client::handshake).isInstanceOf(SocketTimeoutException.class)
                        .hasMessage("the TLS handshake did not complete within PT0.3S");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 5_000L);
            }
        }
    }
}
