package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.CloseReason;
import dev.glisten.DrainReport;
import dev.glisten.Tls;
import dev.glisten.testkit.RunningServer;
import dev.glisten.testkit.RunningServerExtension;
import dev.glisten.testkit.TestClient;
import dev.glisten.testing.TestConnection;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ChatServerTest {

    /** How long a line that must not arrive is waited for; also the pause that splits two writes. */
    private static final Duration QUIET = Duration.ofMillis(100);

    /**
     * The protocol, with one {@link TestConnection} per member sharing one room: a line one member
     * sends reaches the others as a user message, queued until {@link #deliverBroadcasts()}, as a
     * server's connections would take it from their mailboxes. No socket and no waiting, so a line
     * that must not arrive is simply absent.
     */
    @Nested
    class Protocol {

        private final ChatServer room = new ChatServer();
        private final List<TestConnection<Void, String>> members = new ArrayList<>();
        private final TestConnection<Void, String> alice = join();
        private final TestConnection<Void, String> bob = join();
        private final TestConnection<Void, String> carol = join();

        private TestConnection<Void, String> join() {
            TestConnection<Void, String> member = TestConnection.of(room::join, room::handle).onClose(room::leave)
                    .start();
            members.add(member);
            return member;
        }

        /** Lets every member handle the lines broadcast to it so far. */
        private void deliverBroadcasts() {
            members.forEach(TestConnection::runPending);
        }

        @Test
        void greetsEachNewcomerWithTheNumberOfOthers() {
            assertThat(alice.sentText()).isEqualTo("welcome: 0 others here\n");
            assertThat(bob.sentText()).isEqualTo("welcome: 1 others here\n");
            assertThat(carol.sentText()).isEqualTo("welcome: 2 others here\n");
        }

        @Test
        void aLineReachesEveryOtherMemberButNotItsSender() {
            alice.receive("hello, room\n");
            deliverBroadcasts();

            assertThat(bob.sentText()).endsWith("here\nhello, room\n");
            assertThat(carol.sentText()).endsWith("here\nhello, room\n");
            assertThat(alice.sentText()).isEqualTo("welcome: 0 others here\n");
        }

        @Test
        void eachLineIsItsOwnMessageToTheOthers() {
            // Under the server's line framing every packet is one line, whatever the writes were.
            bob.receive("one\n").receive("two\n");
            deliverBroadcasts();

            assertThat(alice.writes()).extracting(bytes -> new String(bytes, UTF_8))
                    .containsExactly("welcome: 0 others here\n", "one\n", "two\n");
        }

        @Test
        void aMemberWhoLeavesGetsNoMoreLinesAndIsNotCounted() {
            carol.peerClosed();

            alice.receive("is carol gone?\n");
            deliverBroadcasts();

            assertThat(bob.sentText()).endsWith("\nis carol gone?\n");
            assertThat(carol.sentText()).isEqualTo("welcome: 2 others here\n");
            assertThat(join().sentText()).isEqualTo("welcome: 2 others here\n");
        }

        @Test
        void aShutdownNoticeGetsAGoodbyeAfterTheLineAlreadyOnItsWay() {
            alice.receive("last line before the shutdown\n");

            bob.shutdown(Duration.ofSeconds(5));

            assertThat(bob.sentText())
                    .isEqualTo("welcome: 1 others here\nlast line before the shutdown\nserver shutting down, bye\n");
            assertThat(bob.closeReason()).contains(new CloseReason.Stopped());
        }

        @Test
        void overTlsTheGreetingNamesTheProtocol() {
            TestConnection<Void, String> dave = TestConnection.of(room::join, room::handle).onClose(room::leave)
                    .tls(null, List.of()).start();

            assertThat(dave.sentText()).isEqualTo("welcome: 3 others here, over TLSv1.3\n");
        }
    }

    /**
     * The same server on loopback: lines across real connections as the server frames them, slow
     * consumers, TLS, and a graceful shutdown.
     */
    @Nested
    class OverSockets {

        @RegisterExtension
        final RunningServerExtension servers = new RunningServerExtension();

        /** Connects and reads the greeting, after which the client is sure to receive every line. */
        private TestClient join(RunningServer running) throws Exception {
            TestClient client = running.connect();
            assertThat(client.readLine()).startsWith("welcome: ");
            return client;
        }

        @Test
        void aLineReachesEveryOtherClient() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);
            TestClient carol = join(running);

            alice.send("hello, room\n");

            // That alice gets no copy, Protocol shows without waiting for a quiet period.
            assertThat(bob.readLine()).isEqualTo("hello, room");
            assertThat(carol.readLine()).isEqualTo("hello, room");
        }

        @Test
        void aClientThatLeavesIsRemovedAndTheOthersCarryOn() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);
            TestClient carol = join(running);

            carol.close();
            awaitConnectionCount(running, 2);

            alice.send("is carol gone?\n");
            assertThat(bob.readLine()).isEqualTo("is carol gone?");
            assertThat(running.connect().readLine()).isEqualTo("welcome: 2 others here");
        }

        @Test
        void aLineSplitAcrossWritesArrivesWholeAndOnlyOnceComplete() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);

            alice.send("hel");
            bob.assertNothingArrivesWithin(QUIET);
            alice.send("lo\n");

            assertThat(bob.readLine()).isEqualTo("hello");
        }

        @Test
        void severalLinesInOneWriteArriveAsSeveralLinesAndTheRestWaits() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);

            bob.send("one\ntwo\nthr");

            assertThat(alice.readLine()).isEqualTo("one");
            assertThat(alice.readLine()).isEqualTo("two");
            alice.assertNothingArrivesWithin(QUIET);
            bob.send("ee\n");
            assertThat(alice.readLine()).isEqualTo("three");
        }

        @Test
        void aCharacterSplitAcrossWritesArrivesWhole() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);
            byte[] line = "café\n".getBytes(UTF_8);
            int insideTheE = line.length - 2;

            sendInTwoReads(alice, Arrays.copyOfRange(line, 0, insideTheE),
                    Arrays.copyOfRange(line, insideTheE, line.length));

            assertThat(bob.readLine()).isEqualTo("café");
        }

        /** Two writes far enough apart that the server reads them separately. */
        private void sendInTwoReads(TestClient sender, byte[] first, byte[] second) throws Exception {
            sender.send(first);
            Thread.sleep(QUIET.toMillis());
            sender.send(second);
        }

        @Test
        void aLineOf64KiBIsRelayedButALongerOneClosesOnlyItsSendersConnection() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);
            TestClient carol = join(running);
            byte[] longest = new byte[64 * 1024 + 1];
            Arrays.fill(longest, (byte) 'x');
            longest[longest.length - 1] = '\n';

            alice.send(longest);
            assertThat(bob.readLine()).hasSize(64 * 1024);
            assertThat(carol.readLine()).hasSize(64 * 1024);
            longest[longest.length - 1] = 'x';
            alice.send(longest);

            alice.awaitClosed();
            awaitConnectionCount(running, 2);
            assertThat(running.server().stats().closed(CloseReason.FrameTooLarge.class)).isEqualTo(1);
            bob.send("still talking\n");
            assertThat(carol.readLine()).isEqualTo("still talking");
        }

        @Test
        void aMemberThatNeverReadsIsDisconnectedWhileTheOthersKeepTalking() throws Exception {
            // A small mailbox, so that a few hundred lines fill the non-reader's socket buffers and then its mailbox.
            RunningServer running = servers.start(ChatServer.builder().mailboxCapacity(16));
            TestClient alice = join(running);
            TestClient bob = join(running);
            try (Socket nonReader = new Socket()) {
                nonReader.setReceiveBufferSize(4096);
                nonReader.connect(running.address(), 5000);
                awaitConnectionCount(running, 3);
                // Long lines, so that few round trips fill the kernel's buffers towards the non-reader.
                byte[] line = new byte[16 * 1024];
                Arrays.fill(line, (byte) 'x');
                line[line.length - 1] = '\n';

                // Each line is read by bob before the next is sent: the talkers keep up, the non-reader cannot.
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                int sent = 0;
                while (running.server().stats().mailboxOverflows() == 0 && sent < 10_000
                        && System.nanoTime() < deadline) {
                    alice.send(line);
                    assertThat(bob.readExactly(line.length)).isEqualTo(line);
                    sent++;
                }

                awaitConnectionCount(running, 2);
                assertThat(running.server().stats().closed(CloseReason.MailboxOverflowed.class)).isEqualTo(1);
                assertThat(running.server().stats().mailboxOverflows()).isEqualTo(1);
                bob.send("still talking\n");
                assertThat(alice.readLine()).isEqualTo("still talking");
                assertThat(running.connect().readLine()).isEqualTo("welcome: 2 others here");
            }
        }

        @Test
        void aGracefulShutdownSaysGoodbyeToEveryClientAndEndsItsConnection() throws Exception {
            RunningServer running = servers.start(ChatServer.builder());
            TestClient alice = join(running);
            TestClient bob = join(running);
            TestClient carol = join(running);
            alice.send("last line before the shutdown\n");
            assertThat(bob.readLine()).isEqualTo("last line before the shutdown");
            assertThat(carol.readLine()).isEqualTo("last line before the shutdown");

            DrainReport report = running.server().shutdown(Duration.ofSeconds(5));

            assertThat(report.graceful()).isEqualTo(3);
            assertThat(report.forced()).isZero();
            assertThat(report.took()).isLessThan(Duration.ofSeconds(5));
            for (TestClient client : List.of(alice, bob, carol)) {
                assertThat(client.readLine()).isEqualTo("server shutting down, bye");
                assertThat(client.awaitClosed()).isZero();
            }
        }

        @Test
        void overTlsTheGreetingNamesTheProtocolAndLinesStillFlow(@TempDir Path directory) throws Exception {
            TestCertificate certificate = TestCertificate.generate(directory, "chat");
            RunningServer running = servers.start(
                    ChatServer.builder().tls(Tls.fromPemFiles(certificate.certificate(), certificate.key())));
            TestClient dave = running.connectTls(certificate.clientContext(), "localhost");
            assertThat(dave.readLine()).isEqualTo("welcome: 0 others here, over TLSv1.3");
            TestClient erin = running.connectTls(certificate.clientContext(), "localhost");
            assertThat(erin.readLine()).isEqualTo("welcome: 1 others here, over TLSv1.3");

            erin.send("private, in a way\n");

            assertThat(dave.readLine()).isEqualTo("private, in a way");
        }

        private void awaitConnectionCount(RunningServer running, int expected) throws InterruptedException {
            long deadline = System.nanoTime() + TestClient.DEFAULT_READ_TIMEOUT.toNanos();
            while (running.server().connectionCount() != expected && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(running.server().connectionCount()).isEqualTo(expected);
        }
    }
}
