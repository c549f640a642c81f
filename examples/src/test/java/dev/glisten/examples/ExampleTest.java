package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.DrainReport;
import dev.glisten.Server;
import dev.glisten.examples.CommandLine.Run;
import dev.glisten.testkit.TestClient;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ExampleTest {

    private static final Duration DRAIN = Duration.ofSeconds(5);

    @ParameterizedTest
    @EnumSource(value = Example.class, names = "PROXY", mode = EnumSource.Mode.EXCLUDE)
    void shutsDownReportingHowItsConnectionEnded(Example example) throws Exception {
        Example.Running running = example.start(new Run(example, 0, "127.0.0.1"));
        try (TestClient client = MainIT.talkTo(example.command(), ((java.net.InetSocketAddress) running.address()).getPort())) {
            DrainReport report = running.shutdown().apply(DRAIN);

            // echo, chat and http end the connection at the notice; lowlevel cuts its client off.
            assertThat(report.forced()).isEqualTo(example.builtOnServer() ? 0 : 1);
            assertThat(report.took()).isLessThan(DRAIN);
            if (example == Example.CHAT) {
                assertThat(client.readLine()).isEqualTo("server shutting down, bye");
            }
            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
        } finally {
            running.shutdown().apply(Duration.ZERO);
        }
    }

    @Test
    void theProxyRelaysUntilTheDrainTimeoutThenClosesBothSides() throws Exception {
        Server echo = EchoServer.builder().bind("127.0.0.1").start(0);
        Duration drain = Duration.ofMillis(500);
        Run run = new Run(Example.PROXY, 0, "127.0.0.1", Optional.empty(), OptionalInt.empty(), Optional.empty(), drain,
                Optional.empty(), OptionalInt.empty(), false, PacketMode.RAW, OptionalInt.empty(),
                Optional.of(TcpProxy.Upstream.of("127.0.0.1", echo.port())));
        Example.Running running = Example.PROXY.start(run);
        try (TestClient client = MainIT.talkTo("proxy", ((java.net.InetSocketAddress) running.address()).getPort())) {
            DrainReport report = running.shutdown().apply(drain);

            // A proxy cannot tell where an exchange ends: the connection relays on until the drain timeout.
            assertThat(report.forced()).isEqualTo(1);
            assertThat(report.took()).isBetween(drain, drain.plusSeconds(2));
            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
            TcpProxyTest.awaitNoConnections(echo);
        } finally {
            running.shutdown().apply(Duration.ZERO);
            echo.stop();
        }
    }

    @Test
    void theLowLevelExampleRefusesServerOptions() {
        Run withLimit = new Run(Example.LOWLEVEL, 0, "127.0.0.1", Optional.empty(), OptionalInt.of(2),
                Optional.empty(), Duration.ZERO);

        assertThatThrownBy(() -> Example.LOWLEVEL.start(withLimit))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lowlevel");
    }
}
