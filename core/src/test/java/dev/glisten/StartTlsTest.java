package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS ({@link Connection#startTls}): a plain connection that upgrades itself in the middle of
 * its conversation, keeping its state. The server speaks just enough SMTP (RFC 3207) for
 * {@code openssl s_client -starttls smtp}: it greets {@code 220 ready}, answers EHLO with
 * {@code 250-x} / {@code 250 STARTTLS}, answers STARTTLS with {@code 220 go ahead} and upgrades,
 * then echoes. Driven by openssl and by the JDK's client layered over the plain socket.
 */
class StartTlsTest {

    private static final KeyKind KIND = KeyKind.EC_P384_SEC1;

    @TempDir
    static Path dir;
    static TestPki pki;
    static SSLContext client;
    static Tls tls;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
        client = TestTls.clientTrusting(pki.rootCertificate());
        tls = Tls.fromPemFiles(pki.chain(KIND), pki.key(KIND));
    }

    /** The conversation so far: plain-text bytes not yet a whole line, and the commands seen. */
    static final class Smtp {
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        int commands;
        boolean secured;
    }

    /** An SMTP-like server; what its upgrades settled goes to {@code upgrades}. */
    private static Server start(BlockingQueue<NegotiatedTls> upgrades, RecordingOnClose<Smtp, Void> closes)
            throws IOException {
        return Server.<Smtp, Void>builder(connection -> {
                    connection.send("220 ready\r\n".getBytes(StandardCharsets.US_ASCII));
                    return new Smtp();
                }, (smtp, message, connection) -> {
                    if (!(message instanceof Message.Packet<Void> packet)) {
                        return Next.continueWith(smtp);
                    }
                    if (smtp.secured) {
                        connection.send(packet.bytes());
                        return Next.continueWith(smtp);
                    }
                    smtp.partial.write(packet.bytes());
                    for (String line; (line = nextLine(smtp.partial)) != null; ) {
                        smtp.commands++;
                        String command = line.toUpperCase();
                        if (command.startsWith("EHLO") || command.startsWith("HELO")) {
                            connection.send("250-x\r\n250 STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
                        } else if (command.equals("STARTTLS")) {
                            connection.send("220 go ahead\r\n".getBytes(StandardCharsets.US_ASCII));
                            // RFC 3207 section 4.2: whatever followed the command in plain text is discarded.
                            smtp.partial.reset();
                            upgrades.add(connection.startTls(tls));
                            smtp.secured = true;
                            return Next.continueWith(smtp);
                        } else {
                            connection.send("500 unknown\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                    return Next.continueWith(smtp);
                })
                .onClose(closes).bind("127.0.0.1").start(0);
    }

    /** Takes the first CRLF- or LF-terminated line out of {@code partial}, or returns null. */
    private static String nextLine(ByteArrayOutputStream partial) {
        String text = partial.toString(StandardCharsets.US_ASCII);
        int end = text.indexOf('\n');
        if (end < 0) {
            return null;
        }
        partial.reset();
        partial.writeBytes(text.substring(end + 1).getBytes(StandardCharsets.US_ASCII));
        return text.substring(0, end).strip();
    }

    /** Reads one CRLF-terminated line from a plain stream, byte by byte, so nothing after it is consumed. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int next; (next = in.read()) != '\n'; ) {
            assertThat(next).as("end of stream after \"" + line + "\"").isNotNegative();
            assertThat(line.length()).isLessThan(1_000);
            line.append((char) next);
        }
        return line.toString().strip();
    }

    /** The plain part of the conversation, up to the server's go-ahead. */
    private static void negotiateUpgrade(Socket plain) throws IOException {
        InputStream in = plain.getInputStream();
        assertThat(readLine(in)).isEqualTo("220 ready");
        plain.getOutputStream().write("EHLO test.client\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readLine(in)).isEqualTo("250-x");
        assertThat(readLine(in)).isEqualTo("250 STARTTLS");
        plain.getOutputStream().write("STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readLine(in)).isEqualTo("220 go ahead");
    }

    // openssl sends the line right after its Finished, often in the same segment.
    @Test
    void opensslUpgradesWithStarttlsSmtpAndEchoes() throws Exception {
        BlockingQueue<NegotiatedTls> upgrades = new LinkedBlockingQueue<>();
        RecordingOnClose<Smtp, Void> closes = new RecordingOnClose<>();
        try (Server server = start(upgrades, closes);
                OpensslClient openssl = OpensslClient.connect(server, dir, "-starttls", "smtp", "-brief",
                        "-CAfile", pki.rootCertificate().toString(), "-verify_return_error")) {
            openssl.send("hello after STARTTLS\n");
            openssl.awaitStdout("hello after STARTTLS\n", Duration.ofSeconds(5));
            assertThat(upgrades.poll(10, TimeUnit.SECONDS).protocol()).isEqualTo("TLSv1.3");

            assertThat(openssl.finish()).as(openssl.describe()).isZero();
            RecordingOnClose.Closed<Smtp, Void> closed = closes.next();
            assertThat(closed.reason()).isInstanceOf(CloseReason.PeerClosed.class);
            assertThat(closed.state().secured).isTrue();
            assertThat(closed.state().commands).as("EHLO and STARTTLS, kept in the state across the upgrade").isEqualTo(2);
            assertThat(closed.connection().tls()).isPresent();
            assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
        }
    }

    // The first write may join the client's Finished in one segment.
    @Test
    void theJdkClientLayersTlsOverThePlainSocket() throws Exception {
        BlockingQueue<NegotiatedTls> upgrades = new LinkedBlockingQueue<>();
        try (Server server = start(upgrades, new RecordingOnClose<>()); Socket plain = TestTlsClient.plain(server)) {
            negotiateUpgrade(plain);

            try (TestTlsClient secured = TestTlsClient.over(client, plain, p -> { })) {
                secured.socket().setSoTimeout(5_000);
                for (int i = 0; i < 5; i++) {
                    assertThat(secured.roundTrip("secured " + i)).isEqualTo("secured " + i);
                }
                NegotiatedTls negotiated = upgrades.poll(10, TimeUnit.SECONDS);
                assertThat(negotiated.protocol()).isEqualTo(secured.session().getProtocol());
                assertThat(negotiated.serverName()).contains(TestTlsClient.HOST);
                assertThat(secured.serverCertificate()).isEqualTo(TestTls.leaf(pki.chain(KIND)));
            }
        }
    }

    /*
     * After a STARTTLS upgrade the handshake may leave the client's first record buffered, which no
     * socket readiness will announce: the loop must read it at once.
     */
    @Test
    void aRecordThatArrivesWithTheClientsFinishedIsDeliveredAtOnce() throws Exception {
        BlockingQueue<NegotiatedTls> upgrades = new LinkedBlockingQueue<>();
        try (Server server = start(upgrades, new RecordingOnClose<>()); Socket plain = TestTlsClient.plain(server)) {
            negotiateUpgrade(plain);
            plain.setSoTimeout(3_000); // the bug's symptom is a silence: do not wait the full 10 s for it

            EngineClient secured = EngineClient.handshakeAndSendInOneWrite(client, plain, "sent with the Finished");

            assertThat(new String(secured.read("sent with the Finished".length()), StandardCharsets.UTF_8))
                    .isEqualTo("sent with the Finished");
        }
    }

    @Test
    void aServerMayUpgradeFromOnInit() throws Exception {
        Server server = Server.<Void, Void>builder(connection -> {
            connection.startTls(tls); // implicit TLS, decided per connection
            return null;
        }, TestSupport.echo()).bind("127.0.0.1").start(0);
        try (server; TestTlsClient peer = TestTlsClient.over(client, TestTlsClient.plain(server), p -> { })) {
            assertThat(peer.roundTrip("upgraded in onInit")).isEqualTo("upgraded in onInit");
        }
    }

    @Test
    void startTlsIsRefusedOnATlsConnectionAndFromAnotherThread() throws Exception {
        AtomicReference<Throwable> again = new AtomicReference<>();
        AtomicReference<Throwable> fromElsewhere = new AtomicReference<>();
        Server server = Server.<Void, Void>builder(connection -> {
                    Thread other = Thread.ofVirtual().start(() -> {
                        try {
                            connection.startTls(tls);
                        } catch (Throwable e) {
                            fromElsewhere.set(e);
                        }
                    });
                    other.join();
                    connection.startTls(tls);
                    try {
                        connection.startTls(tls);
                    } catch (Throwable e) {
                        again.set(e);
                    }
                    return null;
                }, TestSupport.echo()).bind("127.0.0.1").start(0);
        try (server; TestTlsClient peer = TestTlsClient.over(client, TestTlsClient.plain(server), p -> { })) {
            assertThat(peer.roundTrip("still fine")).isEqualTo("still fine");
            assertThat(fromElsewhere.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("own thread");
            assertThat(again.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("already speaks TLS");
            assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
        }
    }

    @Test
    void aFailedUpgradeClosesTheConnectionWithItsStateAndIsCounted() throws Exception {
        RecordingOnClose<Smtp, Void> closes = new RecordingOnClose<>();
        try (Server server = start(new LinkedBlockingQueue<>(), closes); Socket plain = TestTlsClient.plain(server)) {
            negotiateUpgrade(plain);

            plain.getOutputStream().write("this is not a ClientHello\r\n".getBytes(StandardCharsets.US_ASCII));

            RecordingOnClose.Closed<Smtp, Void> closed = closes.next();
            assertThat(closed.reason()).isInstanceOf(CloseReason.TlsHandshakeFailed.class);
            assertThat(closed.state()).as("the state when the upgrade began").isNotNull();
            assertThat(closed.state().commands).isEqualTo(2);
            assertThat(closed.state().secured).isFalse();
            assertThat(server.stats().tlsHandshakeFailures()).isEqualTo(1);
            byte[] last = TestTlsClient.readUntilClosed(plain);
            assertThat(last.length == 0 || last[0] == 21).as("nothing, or a TLS alert record, before the close").isTrue();
        }
    }
}
