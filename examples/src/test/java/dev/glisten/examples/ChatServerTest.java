package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.DrainReport;
import dev.glisten.Server;
import dev.glisten.Tls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatServerTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    private Server server;
    private TestClient alice;
    private TestClient bob;
    private TestClient carol;

    @BeforeEach
    void startWithThreeClients() throws Exception {
        server = ChatServer.start("127.0.0.1", 0);
        alice = join();
        bob = join();
        carol = join();
    }

    @AfterEach
    void stop() throws Exception {
        for (TestClient client : new TestClient[] {alice, bob, carol}) {
            if (client != null) {
                client.close();
            }
        }
        server.stop();
    }

    @Test
    void aLineReachesEveryOtherClientButNotItsSender() throws Exception {
        alice.send("hello, room\n");

        assertThat(bob.receiveLine()).isEqualTo("hello, room\n");
        assertThat(carol.receiveLine()).isEqualTo("hello, room\n");
        alice.assertReceivesNothingWithin(QUIET);
    }

    @Test
    void aPartialLineIsHeldUntilItsNewlineArrives() throws Exception {
        alice.send("hel");
        bob.assertReceivesNothingWithin(QUIET);

        alice.send("lo\n");

        assertThat(bob.receiveLine()).isEqualTo("hello\n");
        assertThat(carol.receiveLine()).isEqualTo("hello\n");
    }

    @Test
    void severalLinesInOnePacketArriveAsSeveralLines() throws Exception {
        bob.send("one\ntwo\nthr");

        assertThat(alice.receiveLine()).isEqualTo("one\n");
        assertThat(alice.receiveLine()).isEqualTo("two\n");
        alice.assertReceivesNothingWithin(QUIET);
    }

    @Test
    void aCharacterSplitAcrossPacketsArrivesWhole() throws Exception {
        byte[] line = "café\n".getBytes(UTF_8);
        int insideTheE = line.length - 2;
        carol.send(Arrays.copyOfRange(line, 0, insideTheE));
        bob.assertReceivesNothingWithin(QUIET);

        carol.send(Arrays.copyOfRange(line, insideTheE, line.length));

        assertThat(bob.receiveLine()).isEqualTo("café\n");
    }

    @Test
    void aClientThatLeavesIsRemovedAndTheOthersCarryOn() throws Exception {
        carol.close();
        carol = null;
        awaitConnectionCount(2);

        alice.send("is carol gone?\n");
        assertThat(bob.receiveLine()).isEqualTo("is carol gone?\n");
        bob.send("yes\n");
        assertThat(alice.receiveLine()).isEqualTo("yes\n");

        // A newcomer is told about the two who are left, not about carol.
        try (TestClient dave = TestClient.connect(server.address())) {
            assertThat(dave.receiveLine()).isEqualTo("welcome: 2 others here\n");
        }
    }

    @Test
    void aLineLongerThan64KiBClosesOnlyItsSendersConnection() throws Exception {
        alice.send(new byte[64 * 1024 + 1]);

        alice.assertClosedByServer();
        bob.send("still talking\n");
        assertThat(carol.receiveLine()).isEqualTo("still talking\n");
    }

    @Test
    void aGracefulShutdownSaysGoodbyeToEveryClientAndEndsItsConnection() throws Exception {
        alice.send("last line before the shutdown\n");
        assertThat(bob.receiveLine()).isEqualTo("last line before the shutdown\n");
        assertThat(carol.receiveLine()).isEqualTo("last line before the shutdown\n");

        DrainReport report = server.shutdown(Duration.ofSeconds(5));

        assertThat(report.graceful()).isEqualTo(3);
        assertThat(report.forced()).isZero();
        assertThat(report.took()).isLessThan(Duration.ofSeconds(5));
        for (TestClient client : new TestClient[] {alice, bob, carol}) {
            assertThat(client.receiveLine()).isEqualTo("server shutting down, bye\n");
            client.assertClosedByServer();
        }
    }

    @Test
    void overTlsTheGreetingNamesTheProtocolAndLinesStillFlow(@TempDir Path directory) throws Exception {
        TestCertificate certificate = TestCertificate.generate(directory, "chat");
        try (Server tls = ChatServer.builder().tls(Tls.fromPemFiles(certificate.certificate(), certificate.key()))
                .bind("127.0.0.1").start(0);
                TestClient dave = TestClient.connectTls(tls.port(), certificate)) {
            assertThat(dave.receiveLine()).isEqualTo("welcome: 0 others here, over TLSv1.3\n");
            try (TestClient erin = TestClient.connectTls(tls.port(), certificate)) {
                assertThat(erin.receiveLine()).isEqualTo("welcome: 1 others here, over TLSv1.3\n");

                erin.send("private, in a way\n");

                assertThat(dave.receiveLine()).isEqualTo("private, in a way\n");
            }
        }
    }

    /** Connects and reads the greeting, after which the client is sure to receive every line. */
    private TestClient join() throws Exception {
        TestClient client = TestClient.connect(server.address());
        assertThat(client.receiveLine()).startsWith("welcome: ");
        return client;
    }

    private void awaitConnectionCount(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TestClient.TIMEOUT.toNanos();
        while (server.connectionCount() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.connectionCount()).isEqualTo(expected);
    }
}
