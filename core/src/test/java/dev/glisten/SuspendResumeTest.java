package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server#suspend()} refuses new clients at once while open connections keep working;
 * {@link Server#resume()} accepts again on the same port, as often as it is asked, without leaving
 * acceptor threads behind.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SuspendResumeTest {

    private static void assertRefused(Server server) {
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(TestSupport.loopback4(server), 5_000);
            }
        }).as("a new client while suspended").isInstanceOf(ConnectException.class);
    }

    private static long acceptorThreads(Server server) throws Exception {
        String prefix = "glisten-" + server.port() + "-acceptor-";
        return TestSupport.glistenThreadNames().stream().filter(name -> name.startsWith(prefix)).count();
    }

    @Test
    void suspendRefusesNewClientsAndResumeAcceptsThemAgainOnTheSamePort() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .acceptors(3).onClose(onClose).bind("127.0.0.1").start(0)) {
            int port = server.port();
            try (TestClient before = TestClient.connect(server)) {
                assertThat(before.roundTrip("before")).isEqualTo("before");
                for (int round = 0; round < 3; round++) {
                    // The previous round's client closed its end; the server may not have seen it yet.
                    TestSupport.eventually("only the first client is left", () -> server.connectionCount() == 1);
                    server.suspend();
                    assertThat(server.isSuspended()).isTrue();
                    assertThat(server.isRunning()).as("a suspended server is running").isTrue();
                    server.suspend(); // a second suspend changes nothing
                    assertRefused(server);
                    assertThat(before.roundTrip("while suspended " + round)).isEqualTo("while suspended " + round);
                    assertThat(server.connectionCount()).isEqualTo(1);
                    assertThat(acceptorThreads(server)).as("acceptors while suspended").isZero();

                    server.resume();
                    assertThat(server.isSuspended()).isFalse();
                    server.resume(); // a second resume changes nothing
                    assertThat(server.port()).isEqualTo(port);
                    try (TestClient after = TestClient.connect(server)) {
                        assertThat(after.roundTrip("after " + round)).isEqualTo("after " + round);
                    }
                    assertThat(before.roundTrip("still " + round)).isEqualTo("still " + round);
                    assertThat(acceptorThreads(server)).as("acceptors after resuming").isEqualTo(3);
                }
            }
            List<RecordingOnClose.Closed<Void, Void>> closed = onClose.next(4);
            assertThat(closed).allSatisfy(each -> assertThat(each.reason()).isEqualTo(new CloseReason.PeerClosed()));
            onClose.assertNoMoreCalls();
            assertThat(server.stats().acceptedConnections()).as("refused clients were never accepted").isEqualTo(4);
        }
    }

    @Test
    void suspendAndResumeRefuseOnceTheServerIsStopping() throws Exception {
        Server server = TestSupport.startEcho();
        server.suspend();
        server.stop();
        TestSupport.assertTerminatesWithin(server, Duration.ofSeconds(5));
        assertThatThrownBy(server::resume).isInstanceOf(IllegalStateException.class).hasMessageContaining("stopping");
        assertThatThrownBy(server::suspend).isInstanceOf(IllegalStateException.class).hasMessageContaining("stopping");
    }

    @Test
    void aGracefulShutdownOfASuspendedServerStillDrainsItsConnections() throws Exception {
        Server server = TestSupport.startEcho();
        try (TestClient client = TestClient.connect(server)) {
            assertThat(client.roundTrip("hello")).isEqualTo("hello");
            server.suspend();
            DrainReport report = server.shutdown(Duration.ofMillis(300));
            // The echo loop ignores the notice, so it is forced at the timeout.
            assertThat(report.forced()).isEqualTo(1);
            assertThat(report.graceful()).isZero();
            client.assertClosedByServer();
        }
        assertRefused(server);
    }
}
