package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.glisten.DrainReport;
import dev.glisten.testkit.TestClient;
import java.net.ConnectException;
import java.net.InetSocketAddress;
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
                assertThat(client.readExactly(greeting.length())).isEqualTo(greeting.getBytes());
            }
        }
    }

    @Test
    @SuppressWarnings("try") // the first client leaves in the middle, the second stays
    void aWaitingClientIsServedOnceThePreviousOneLeaves() throws Exception {
        try (TestClient first = TestClient.connect(echo.address());
             TestClient second = TestClient.connect(echo.address())) {
            first.send("a");
            assertThat(first.readExactly(1)).isEqualTo("a".getBytes());
            second.send("b");
            second.assertNothingArrivesWithin(QUIET);

            first.close();

            assertThat(second.readExactly(1)).isEqualTo("b".getBytes());
        }
    }

    @Test
    void shutdownCutsOffTheClientBeingServedAndReportsItForced() throws Exception {
        try (TestClient client = TestClient.connect(echo.address())) {
            client.send("x");
            assertThat(client.readExactly(1)).isEqualTo("x".getBytes());

            DrainReport report = assertTimeoutPreemptively(TestClient.DEFAULT_READ_TIMEOUT, echo::shutdown);

            assertThat(report.graceful()).isZero();
            assertThat(report.forced()).isEqualTo(1);
            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
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
        InetSocketAddress address = echo.address();
        try (TestClient client = TestClient.connect(address)) {
            client.send("x");
            assertThat(client.readExactly(1)).isEqualTo("x".getBytes());

            assertTimeoutPreemptively(TestClient.DEFAULT_READ_TIMEOUT, echo::close);

            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
        }
        assertThatThrownBy(() -> TestClient.connect(address)).isInstanceOf(ConnectException.class);
    }
}
