package dev.glisten;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Client} over TLS through the public API, against a glisten TLS server: {@code connect}
 * returns once the handshake is done, {@link Client#tls()} has the server's verified chain, a
 * certificate that does not match ends the connection with {@link CloseReason.TlsHandshakeFailed}
 * (onClose with no state, nothing sent), and half-close works over TLS 1.3.
 */
class ClientTlsConnectTest {

    private static final Duration WAIT = TestSupport.WAIT;

    @TempDir
    static Path dir;
    static TestPki pki;
    static Tls serverTls;
    static ClientTls trusting;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        KeyKind kind = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;
        serverTls = Tls.builder().certificate(pki.chain(kind), pki.key(kind)).build();
        trusting = ClientTls.builder().trustedCertificates(pki.rootCertificate()).build();
    }

    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final List<String> closes = new CopyOnWriteArrayList<>();

    private Client.Builder<String, String> client() {
        return Client.<String, String>builder(connection -> "initialized", (state, message, connection) -> {
            switch (message) {
                case Message.Packet<String> packet -> received.add(packet.text(UTF_8));
                case Message.User<String> say -> connection.send(say.message().getBytes(UTF_8));
                case Message.EndOfInput<String> end -> received.add("<end>");
                case Message.ShuttingDown<String> notice -> { }
            }
            return Next.continueWith(state);
        }).onClose((state, reason, connection) -> closes.add(state + " " + reason.getClass().getSimpleName()));
    }

    @Test
    void connectReturnsAfterTheHandshakeWithTheServersVerifiedChain() throws Exception {
        try (Server server = TestTls.startEcho(serverTls);
                Client<String> client = client().tls(trusting).connect("localhost", server.port())) {
            NegotiatedTls tls = client.tls().orElseThrow();
            assertThat(tls.protocol()).isEqualTo("TLSv1.3");
            assertThat(tls.serverName()).contains("localhost");
            assertThat(tls.peerCertificates()).isNotEmpty();
            assertThat(tls.peerCertificates().get(0).getSubjectX500Principal().getName()).contains("CN=leaf-");
            assertThat(client.connection().tls()).contains(tls);
            client.send("over TLS");
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("over TLS");
        }
    }

    @Test
    void aNameThatDoesNotMatchEndsTheConnectionSayingWhatDidNotMatch() throws Exception {
        ClientTls elsewhere = ClientTls.builder().trustedCertificates(pki.rootCertificate())
                .serverName("db.internal").build();
        try (Server server = TestTls.startEcho(serverTls)) {
            Client<String> client = client().tls(elsewhere).connect("127.0.0.1", server.port());
            CloseReason reason = client.awaitClose(WAIT).orElseThrow();
            assertThat(reason).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            Throwable cause = ((CloseReason.TlsHandshakeFailed) reason).error();
            assertThat(cause).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("does not match the name db.internal")
                    .hasMessageContaining("DNS:localhost");
            assertThat(client.tls()).isEmpty();
            assertThat(client.send("never")).isFalse();
            assertThat(closes).containsExactly("null TlsHandshakeFailed");
            assertThat(received).isEmpty();
        }
    }

    @Test
    void theDefaultTrustStoreRefusesATestCa() throws Exception {
        try (Server server = TestTls.startEcho(serverTls)) {
            Client<String> client = client().tls(ClientTls.defaults()).connect("localhost", server.port());
            CloseReason reason = client.awaitClose(WAIT).orElseThrow();
            assertThat(((CloseReason.TlsHandshakeFailed) reason).error()).hasMessageContaining("not trusted");
        }
    }

    @Test
    void aServerThatRequiresAClientCertificateEndsTheConnectionAsAFailedHandshake() throws Exception {
        Tls requiring = Tls.builder().certificate(pki.chain(KeyKind.EC_P256_SEC1_WITH_PARAMETERS),
                pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS)).clientAuth(Tls.ClientAuth.REQUIRED)
                .trustedCertificates(pki.rootCertificate()).build();
        try (Server server = TestTls.startEcho(requiring)) {
            // TLS 1.3: the client's handshake ends before the server judges it; the refusal comes
            // with the first records, and still ends the connection as a failed handshake.
            Client<String> client = client().tls(trusting).connect("localhost", server.port());
            CloseReason reason = client.awaitClose(WAIT).orElseThrow();
            assertThat(reason).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            assertThat(((CloseReason.TlsHandshakeFailed) reason).error())
                    .hasMessageContaining("the server requires a client certificate");
        }
    }

    @Test
    void halfCloseOverTls13SendsCloseNotifyAndTheAnswerStillArrives() throws Exception {
        try (Server server = Server.<StringBuilder, Void>builder(connection -> new StringBuilder(),
                        (request, message, connection) -> {
                            if (message instanceof Message.Packet<Void> packet) {
                                request.append(packet.text(UTF_8));
                            } else if (message instanceof Message.EndOfInput<Void>) {
                                connection.send(("answer to " + request).getBytes(UTF_8));
                                connection.shutdownOutput();
                            }
                            return Next.continueWith(request);
                        }).tls(serverTls).allowHalfClose(true).bind("127.0.0.1").start(0);
                Client<String> client = client().tls(trusting).allowHalfClose(true).connect("localhost", server.port())) {
            client.connection().send("the request".getBytes(UTF_8));
            client.connection().shutdownOutput();
            StringBuilder answer = new StringBuilder();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!answer.toString().equals("answer to the request") && System.nanoTime() < deadline) {
                String piece = received.poll(100, TimeUnit.MILLISECONDS);
                if (piece != null) {
                    answer.append(piece);
                }
            }
            assertThat(answer.toString()).isEqualTo("answer to the request");
            assertThat(client.awaitClose(WAIT)).contains(new CloseReason.PeerClosed());
        }
    }
}
