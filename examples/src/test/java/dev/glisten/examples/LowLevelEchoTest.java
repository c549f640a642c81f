package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.glisten.DrainReport;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LowLevelEchoTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    private LowLevelEcho echo;

    @BeforeEach
    void start() throws Exception {
        echo = LowLevelEcho.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        echo.close();
    }

    @Test
    void servesSeveralClientsOneAfterAnother() throws Exception {
        for (int i = 1; i <= 3; i++) {
            try (TestClient client = TestClient.connect(echo.address())) {
                String greeting = "client " + i;
                client.send(greeting);
                assertThat(client.receive(greeting.length())).isEqualTo(greeting.getBytes());
            }
        }
    }

    @Test
    @SuppressWarnings("try") // the first client leaves in the middle, the second stays
    void aWaitingClientIsServedOnceThePreviousOneLeaves() throws Exception {
        try (TestClient first = TestClient.connect(echo.address());
             TestClient second = TestClient.connect(echo.address())) {
            first.send("a");
            assertThat(first.receive(1)).isEqualTo("a".getBytes());
            second.send("b");
            second.assertReceivesNothingWithin(QUIET);

            first.close();

            assertThat(second.receive(1)).isEqualTo("b".getBytes());
        }
    }

    @Test
    void shutdownCutsOffTheClientBeingServedAndReportsItForced() throws Exception {
        try (TestClient client = TestClient.connect(echo.address())) {
            client.send("x");
            assertThat(client.receive(1)).isEqualTo("x".getBytes());

            DrainReport report = assertTimeoutPreemptively(TestClient.TIMEOUT, echo::shutdown);

            assertThat(report.graceful()).isZero();
            assertThat(report.forced()).isEqualTo(1);
            client.assertClosedByServer();
        }
        assertThat(echo.shutdown().forced()).as("a second shutdown, with nobody left").isZero();
    }

    @Test
    void shutdownWithNoClientForcesNone() {
        assertThat(echo.shutdown()).satisfies(report -> {
            assertThat(report.graceful()).isZero();
            assertThat(report.forced()).isZero();
        });
    }

    @Test
    void closeDisconnectsTheClientBeingServedAndFreesThePort() throws Exception {
        int port = echo.address().getPort();
        try (TestClient client = TestClient.connect(port)) {
            client.send("x");
            assertThat(client.receive(1)).isEqualTo("x".getBytes());

            assertTimeoutPreemptively(TestClient.TIMEOUT, echo::close);

            client.assertClosedByServer();
        }
        assertThatThrownBy(() -> TestClient.connect(port)).isInstanceOf(ConnectException.class);
    }
}
