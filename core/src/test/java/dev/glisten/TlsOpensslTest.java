package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code openssl s_client}, a TLS implementation glisten shares no code with, against a glisten
 * server: it verifies the whole chain to the root, for every kind of server key; bulk data flows;
 * and both orderly ends (the client's close_notify, the server's) are real TLS closes.
 * (ALPN, SNI, client certificates, old protocols and STARTTLS with openssl are in their own
 * classes.)
 */
class TlsOpensslTest {

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    private static Tls tls(KeyKind kind) {
        return Tls.builder().certificate(pki.chain(kind), pki.key(kind), kind.passwordChars()).build();
    }

    /** s_client arguments that make it verify the server's chain and address, and print a summary on stderr. */
    private static String[] verifying(String... more) {
        String[] base = {"-brief", "-CAfile", pki.rootCertificate().toString(), "-verify_return_error",
                "-verify_ip", "127.0.0.1"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @ParameterizedTest
    @EnumSource(value = KeyKind.class, names = {"RSA_PKCS1", "RSA_PSS", "EC_P384_SEC1", "EC_P521_PKCS8", "ED25519",
        "ED448", "RSA_ENCRYPTED_PKCS8"})
    void opensslVerifiesTheChainAndEchoes(KeyKind kind) throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                        .onClose(closes).bind("127.0.0.1").tls(tls(kind)).start(0);
                OpensslClient openssl = OpensslClient.connect(server, dir, verifying())) {
            openssl.send("hello openssl\n");
            openssl.awaitStdout("hello openssl\n");

            assertThat(openssl.finish()).as(openssl.describe()).isZero();
            assertThat(openssl.stderr()).contains("Protocol version: TLSv1.3")
                    .contains("Peer certificate: CN = leaf-" + kind.name().toLowerCase())
                    .contains("Verification: OK");
            // The end of standard input makes openssl send close_notify: an orderly end.
            assertThat(closes.next().reason()).isInstanceOf(CloseReason.PeerClosed.class);
        }
    }

    @Test
    void bulkDataFlowsBothWays() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int line = 0; text.length() < 512 * 1024; line++) {
            text.append("line ").append(line).append(' ').append("abcdefghijklmnopqrstuvwxyz".repeat(3)).append('\n');
        }
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P384_SEC1));
                OpensslClient openssl = OpensslClient.connect(server, dir, verifying())) {
            openssl.send(text.toString());
            openssl.awaitStdout(text.substring(text.length() - 200));

            assertThat(openssl.stdout()).isEqualTo(text.toString());
            assertThat(openssl.finish()).as(openssl.describe()).isZero();
        }
    }

    @Test
    void opensslKeyUpdatesAreAnsweredAndTheEchoGoesOn() throws Exception {
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P384_SEC1));
                OpensslClient openssl = OpensslClient.connectWithCommands(server, dir, verifying())) {
            openssl.send("before\n");
            openssl.awaitStdout("before\n");
            // "K": a KeyUpdate that requests the server's own (RFC 8446 section 4.6.3).
            openssl.send("K\n");
            openssl.awaitOutput("KEYUPDATE");
            openssl.send("after\n");
            openssl.awaitStdout("before\nafter\n");

            assertThat(openssl.finish()).as(openssl.describe()).isZero();
        }
    }

    @Test
    void opensslRenegotiatesTls12AndTheEchoGoesOn() throws Exception {
        try (Server server = TestTls.startEcho(tls(KeyKind.EC_P384_SEC1));
                OpensslClient openssl = OpensslClient.connectWithCommands(server, dir, verifying("-tls1_2"))) {
            openssl.send("before\n");
            openssl.awaitStdout("before\n");
            openssl.send("R\n");
            openssl.awaitOutput("RENEGOTIATING");
            openssl.send("after\n");
            openssl.awaitStdout("before\nafter\n");

            assertThat(openssl.finish()).as(openssl.describe()).isZero();
            assertThat(openssl.stderr()).doesNotContain("error");
        }
    }

    @Test
    void aServerThatStopsSendsCloseNotify() throws Exception {
        Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                    if (message instanceof Message.Packet<Void> packet) {
                        String text = packet.text(StandardCharsets.UTF_8);
                        connection.send(("bye: " + text).getBytes(StandardCharsets.UTF_8));
                        return Next.stop();
                    }
                    return Next.continueWith(state);
                })
                .bind("127.0.0.1").tls(tls(KeyKind.EC_P384_SEC1)).start(0);
        // -ign_eof: openssl leaves only when the server ends the connection.
        try (server; OpensslClient openssl = OpensslClient.connect(server, dir, verifying("-ign_eof"))) {
            openssl.send("goodbye\n");

            assertThat(openssl.awaitExit()).as(openssl.describe()).isZero();
            assertThat(openssl.stdout()).isEqualTo("bye: goodbye\n");
            // A close without close_notify would be a truncation to openssl: "unexpected eof while reading".
            assertThat(openssl.stderr()).doesNotContain("unexpected eof").doesNotContain("error");
        }
    }

    @Test
    void stoppingTheServerEndsTlsConnectionsWithCloseNotify() throws Exception {
        RecordingOnClose<Void, Void> closes = new RecordingOnClose<>();
        Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose(closes).bind("127.0.0.1").tls(tls(KeyKind.EC_P384_SEC1)).start(0);
        try (server; OpensslClient openssl = OpensslClient.connect(server, dir, verifying("-ign_eof"))) {
            openssl.send("before the stop\n");
            openssl.awaitStdout("before the stop\n");

            server.stop();

            assertThat(openssl.awaitExit()).as(openssl.describe()).isZero();
            assertThat(openssl.stderr()).doesNotContain("unexpected eof").doesNotContain("error");
            assertThat(closes.next().reason()).isInstanceOf(CloseReason.ServerStopped.class);
        }
    }

    @Test
    void manyOpensslClientsOneAfterAnother() throws IOException, InterruptedException {
        try (Server server = TestTls.startEcho(tls(KeyKind.ED25519))) {
            for (int i = 0; i < 5; i++) {
                try (OpensslClient openssl = OpensslClient.connect(server, dir, verifying("-tls1_" + (2 + i % 2)))) {
                    openssl.send("client " + i + "\n");
                    openssl.awaitStdout("client " + i + "\n");
                    assertThat(openssl.finish()).as(openssl.describe()).isZero();
                }
            }
            assertThat(server.stats().tlsHandshakes()).isEqualTo(5);
            TestSupport.eventually("every connection closed", () -> server.connectionCount() == 0);
        }
    }
}
