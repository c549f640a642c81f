package dev.glisten.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CI smoke test of {@code wake-up-cost}: it measures something and names a malformed flag. */
class WakeUpCostTest {

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void measuresWakeUpsOfParkedVirtualThreads() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        // Two warm-up rounds and one measured, a second each.
        double median = WakeUpCost.run(List.of("--threads", "10", "--rounds", "1"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        assertThat(median).isPositive().isFinite();
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .containsPattern("round 1: [0-9,]+ wake-ups, [0-9.]+ ns each")
                .contains("wake-up-cost: 10 threads,");
    }

    @Test
    void rejectsAMalformedFlagByName() {
        assertThatThrownBy(() -> WakeUpCost.run(List.of("--threads", "0"), System.out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--threads").hasMessageContaining("'0'");
        assertThatThrownBy(() -> WakeUpCost.run(List.of("--carriers", "2"), System.out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--carriers");
    }
}
