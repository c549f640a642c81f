package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.DrainReport;
import dev.glisten.Server;
import dev.glisten.Tls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EchoServerTest {

    private Server server;

    @BeforeEach
    void start() throws Exception {
        server = EchoServer.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void reportsTheAddressItIsBoundTo() {
        assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(server.port()).isPositive();
    }

    @Test
    void sendsEveryByteBackToEachOfSeveralClients() throws Exception {
        int chunkSize = 4096;
        int chunks = 16;
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                clients.add(TestClient.connect(server.address()));
            }
            // Chunk by chunk, so no client's unread echo can fill the socket buffers and stall the test.
            for (int chunk = 0; chunk < chunks; chunk++) {
                for (int client = 0; client < clients.size(); client++) {
                    clients.get(client).send(pattern(client, chunk, chunkSize));
                }
                for (int client = 0; client < clients.size(); client++) {
                    assertThat(clients.get(client).receive(chunkSize))
                            .as("chunk %d echoed to client %d", chunk, client)
                            .isEqualTo(pattern(client, chunk, chunkSize));
                }
            }
        } finally {
            for (TestClient client : clients) {
                client.close();
            }
        }
    }

    @Test
    void aClientLeavingDoesNotDisturbAnother() throws Exception {
        try (TestClient staying = TestClient.connect(server.address())) {
            try (TestClient leaving = TestClient.connect(server.address())) {
                leaving.send("bye");
                assertThat(leaving.receive(3)).isEqualTo("bye".getBytes());
            }
            staying.send("still here");
            assertThat(staying.receive(10)).isEqualTo("still here".getBytes());
        }
    }

    @Test
    void aGracefulShutdownClosesEveryConnectionAtTheNoticeOnceItsBytesAreBack() throws Exception {
        try (TestClient first = TestClient.connect(server.address());
                TestClient second = TestClient.connect(server.address())) {
            first.send("last words");
            assertThat(first.receive(10)).isEqualTo("last words".getBytes());
            second.send("x");
            assertThat(second.receive(1)).isEqualTo("x".getBytes());

            DrainReport report = server.shutdown(Duration.ofSeconds(5));

            // Ended by their loops, not by the timeout: nothing to finish, and no goodbye to send.
            assertThat(report.graceful()).isEqualTo(2);
            assertThat(report.forced()).isZero();
            assertThat(report.took()).isLessThan(Duration.ofSeconds(5));
            first.assertClosedByServer();
            second.assertClosedByServer();
        }
    }

    @Test
    void theSameHandlerEchoesOverTls(@TempDir Path directory) throws Exception {
        TestCertificate certificate = TestCertificate.generate(directory, "echo");
        try (Server tls = EchoServer.builder().tls(Tls.fromPemFiles(certificate.certificate(), certificate.key()))
                .bind("127.0.0.1").start(0);
                TestClient client = TestClient.connectTls(tls.port(), certificate)) {
            byte[] message = pattern(0, 0, 20_000); // more than one 16 KiB TLS record

            client.send(message);

            assertThat(client.receive(message.length)).isEqualTo(message);
            assertThat(client.tlsProtocol()).isEqualTo("TLSv1.3");
        }
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
