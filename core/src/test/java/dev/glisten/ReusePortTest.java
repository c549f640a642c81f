package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Several listen sockets on one port ({@code SO_REUSEPORT}): served, suspended, resumed and stopped as one. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReusePortTest {

    private static Server startEcho(int listenSockets) throws IOException {
        return Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .bind("127.0.0.1").listenSockets(listenSockets).acceptors(8).start(0);
    }

    private static void serveClients(Server server, int count) throws IOException {
        // A few open at once, so that connections are accepted while others are being served.
        List<TestClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                TestClient client = TestClient.connect(server);
                open.add(client);
                assertThat(client.roundTrip("client " + i)).isEqualTo("client " + i);
                if (open.size() == 8) {
                    open.remove(0).close();
                }
            }
        } finally {
            for (TestClient client : open) {
                client.close();
            }
        }
    }

    @Test
    void fourListenSocketsOnOnePortServeManyClients() throws Exception {
        try (Server server = startEcho(4)) {
            assertThat(server.port()).isPositive();
            serveClients(server, 200);
            TestSupport.eventually("every connection counted", () -> server.stats().acceptedConnections() == 200);
        }
    }

    @Test
    void fewerAcceptorsThanListenSocketsIsRefused() {
        assertThatThrownBy(() -> Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .bind("127.0.0.1").listenSockets(4).acceptors(3).start(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("acceptors (3)").hasMessageContaining("listenSockets (4)");
        assertThatThrownBy(() -> Server.<Void, Void>builder(connection -> null, TestSupport.echo()).listenSockets(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listenSockets");
    }

    @Test
    void suspendClosesEveryListenSocketAndResumeReopensThemOnTheSamePort() throws Exception {
        try (Server server = startEcho(4)) {
            int port = server.port();
            TestClient kept = TestClient.connect(server);
            try {
                // Accepted, not just queued in a backlog that suspending discards.
                assertThat(kept.roundTrip("accepted")).isEqualTo("accepted");
                server.suspend();
                // Any of the four still open would accept this (its hash picks one of them).
                for (int i = 0; i < 20; i++) {
                    assertThatThrownBy(() -> TestClient.connect(server).close())
                            .as("a new client while suspended").isInstanceOf(ConnectException.class);
                }
                assertThat(kept.roundTrip("still served")).isEqualTo("still served");
                server.resume();
                assertThat(server.port()).isEqualTo(port);
                serveClients(server, 40);
            } finally {
                kept.close();
            }
        }
    }

    /** Starts a server with four listen sockets, serves clients, stops it; returns its port. */
    private static int runAndStop() throws Exception {
        Server server = startEcho(4);
        int port = server.port();
        try {
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    TestClient client = TestClient.connect(server);
                    clients.add(client);
                    assertThat(client.roundTrip("idle " + i)).isEqualTo("idle " + i);
                }
                assertThat(TestSupport.glistenThreadNames())
                        .filteredOn(name -> name.startsWith("glisten-" + port + "-acceptor-")).hasSize(8);
                server.stop();
            } finally {
                for (TestClient client : clients) {
                    client.close();
                }
            }
        } finally {
            server.stop();
        }
        return port;
    }

    @Test
    void stopReleasesEveryListenSocketThreadAndDescriptor() throws Exception {
        int port = TestSupport.assertStopReleasesEverything(ReusePortTest::runAndStop);
        assertThatThrownBy(() -> TestClient.connect(new java.net.InetSocketAddress("127.0.0.1", port)).close())
                .isInstanceOf(ConnectException.class);
    }
}
