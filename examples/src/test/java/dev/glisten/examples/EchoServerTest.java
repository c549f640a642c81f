package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.CloseReason;
import dev.glisten.DrainReport;
import dev.glisten.Framing;
import dev.glisten.Server;
import dev.glisten.Tls;
import dev.glisten.testkit.RunningServer;
import dev.glisten.testkit.RunningServerExtension;
import dev.glisten.testkit.TestClient;
import dev.glisten.testing.TestConnection;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EchoServerTest {

    /** How long bytes that must not come are waited for; also the pause that splits two writes. */
    private static final Duration QUIET = Duration.ofMillis(100);

    /** The protocol, run by {@link TestConnection} on the test's thread: no socket, no waiting. */
    @Nested
    class Protocol {

        private final TestConnection<Void, Void> connection = TestConnection.of(EchoServer::init, EchoServer::handle)
                .start();

        @Test
        void sendsEachPacketBackAsItCame() {
            connection.receive("hello").receive(pattern(0, 0, 20_000));

            // 20,000 bytes take two reads of the default 16 KiB read buffer, as on a server.
            byte[] large = pattern(0, 0, 20_000);
            assertThat(connection.writes()).containsExactly("hello".getBytes(UTF_8),
                    java.util.Arrays.copyOfRange(large, 0, 16_384), java.util.Arrays.copyOfRange(large, 16_384, 20_000));
            assertThat(connection.isOpen()).isTrue();
        }

        @Test
        void ignoresUserMessages() {
            connection.deliver(null);

            assertThat(connection.sent()).isEmpty();
            assertThat(connection.isOpen()).isTrue();
        }

        @Test
        void closesAtAShutdownNoticeWithoutAGoodbyeOnceEveryByteIsBack() {
            connection.receive("last words").shutdown(Duration.ofSeconds(5));

            assertThat(connection.sentText()).isEqualTo("last words");
            assertThat(connection.closeReason()).contains(new CloseReason.Stopped());
        }

        @Test
        void endsWhenThePeerCloses() {
            connection.receive("bye").peerClosed();

            assertThat(connection.sentText()).isEqualTo("bye");
            assertThat(connection.closeReason()).contains(new CloseReason.PeerClosed());
        }
    }

    /** The same server on loopback: what only real sockets show (buffers, several clients, TLS, draining). */
    @Nested
    class OverSockets {

        @RegisterExtension
        final RunningServerExtension servers = new RunningServerExtension();

        @Test
        void startListensOnTheAddressItIsGiven() throws Exception {
            try (Server server = EchoServer.start("127.0.0.1", 0)) {
                assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
                assertThat(server.port()).isPositive();
            }
        }

        @Test
        void sendsEveryByteBackToEachOfSeveralClients() throws Exception {
            RunningServer running = servers.start(EchoServer.builder());
            int chunkSize = 4096;
            int chunks = 16;
            List<TestClient> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(running.connect());
            }
            // Chunk by chunk, so no client's unread echo can fill the socket buffers and stall the test.
            for (int chunk = 0; chunk < chunks; chunk++) {
                for (int client = 0; client < clients.size(); client++) {
                    clients.get(client).send(pattern(client, chunk, chunkSize));
                }
                for (int client = 0; client < clients.size(); client++) {
                    assertThat(clients.get(client).readExactly(chunkSize))
                            .as("chunk %d echoed to client %d", chunk, client)
                            .isEqualTo(pattern(client, chunk, chunkSize));
                }
            }
        }

        @Test
        void aClientLeavingDoesNotDisturbAnother() throws Exception {
            RunningServer running = servers.start(EchoServer.builder());
            TestClient staying = running.connect();
            try (TestClient leaving = running.connect()) {
                assertThat(leaving.send("bye").readText(3)).isEqualTo("bye");
            }
            assertThat(staying.send("still here").readText(10)).isEqualTo("still here");
        }

        @Test
        void aGracefulShutdownClosesEveryConnectionAtTheNoticeOnceItsBytesAreBack() throws Exception {
            RunningServer running = servers.start(EchoServer.builder());
            TestClient first = running.connect();
            TestClient second = running.connect();
            assertThat(first.send("last words").readText(10)).isEqualTo("last words");
            assertThat(second.send("x").readText(1)).isEqualTo("x");

            DrainReport report = running.server().shutdown(Duration.ofSeconds(5));

            // Ended by their loops, not by the timeout: nothing to finish, and no goodbye to send.
            assertThat(report.graceful()).isEqualTo(2);
            assertThat(report.forced()).isZero();
            assertThat(report.took()).isLessThan(Duration.ofSeconds(5));
            assertThat(first.awaitClosed()).isZero();
            assertThat(second.awaitClosed()).isZero();
        }

        @Test
        void underLineFramingOnlyWholeLinesComeBackHoweverTheyWereWritten() throws Exception {
            RunningServer running = servers.start(EchoServer.builder(Framing.lines()));
            TestClient client = running.connect();

            client.send("hel");
            client.assertNothingArrivesWithin(QUIET);
            client.send("lo\nwor");
            assertThat(client.readText(6)).isEqualTo("hello\n");
            client.assertNothingArrivesWithin(QUIET);
            client.send("ld\n\nand more\n");

            assertThat(client.readText(16)).isEqualTo("world\n\nand more\n");
        }

        @Test
        void underLengthPrefixedFramingEachFrameComesBackWithItsHeader() throws Exception {
            RunningServer running = servers.start(EchoServer.builder(Framing.lengthPrefixed(2)));
            TestClient client = running.connect();
            byte[] large = pattern(0, 0, 20_000); // more than one read of the server's
            byte[] frames = concat(frame2(large), frame2(new byte[0]), frame2("end".getBytes(UTF_8)));

            client.send(Arrays.copyOfRange(frames, 0, 1));
            client.assertNothingArrivesWithin(QUIET);
            client.send(Arrays.copyOfRange(frames, 1, frames.length));

            assertThat(client.readExactly(frames.length)).isEqualTo(frames);
        }

        @Test
        void theStartOfAFrameIsNeverEchoed() throws Exception {
            RunningServer running = servers.start(EchoServer.builder(Framing.lengthPrefixed(4)));
            TestClient client = running.connect();
            byte[] whole = frame4("whole".getBytes(UTF_8));
            byte[] unfinished = frame4("unfinished".getBytes(UTF_8));

            client.send(concat(whole, Arrays.copyOf(unfinished, unfinished.length - 1)));
            assertThat(client.readExactly(whole.length)).isEqualTo(whole);
            client.shutdownOutput();

            assertThat(client.awaitClosed()).as("bytes of the unfinished frame").isZero();
        }

        @Test
        void aFrameOverTheMaximumClosesItsConnectionAndNoOther() throws Exception {
            RunningServer running = servers.start(EchoServer.builder(Framing.lengthPrefixed(4)).maxFrameSize(100));
            TestClient bystander = running.connect();
            TestClient offender = running.connect();

            // Only the header: the server refuses what it declares without waiting for it.
            offender.send(new byte[] {0, 0, 0, 97});

            assertThat(offender.awaitClosed()).isZero();
            // The server counts the close once its loop has ended, just after the client sees it.
            long deadline = System.nanoTime() + TestClient.DEFAULT_READ_TIMEOUT.toNanos();
            while (running.server().connectionCount() != 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            byte[] frame = frame4(new byte[96]);
            assertThat(bystander.send(frame).readExactly(frame.length)).isEqualTo(frame);
            assertThat(running.server().stats().closed(CloseReason.FrameTooLarge.class)).isEqualTo(1);
        }

        @Test
        void theSameHandlerEchoesOverTls(@TempDir Path directory) throws Exception {
            TestCertificate certificate = TestCertificate.generate(directory, "echo");
            RunningServer running = servers.start(
                    EchoServer.builder().tls(Tls.fromPemFiles(certificate.certificate(), certificate.key())));
            TestClient client = running.connectTls(certificate.clientContext(), "localhost");
            byte[] message = pattern(0, 0, 20_000); // more than one 16 KiB TLS record

            client.send(message);

            assertThat(client.readExactly(message.length)).isEqualTo(message);
            assertThat(client.tlsSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    private static byte[] frame2(byte[] payload) {
        return concat(new byte[] {(byte) (payload.length >>> 8), (byte) payload.length}, payload);
    }

    private static byte[] frame4(byte[] payload) {
        return concat(ByteBuffer.allocate(4).putInt(payload.length).array(), payload);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            joined.writeBytes(part);
        }
        return joined.toByteArray();
    }

    /** Every byte value, in an order that differs per client and chunk. */
    private static byte[] pattern(int client, int chunk, int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + client * 7 + chunk);
        }
        return bytes;
    }
}
