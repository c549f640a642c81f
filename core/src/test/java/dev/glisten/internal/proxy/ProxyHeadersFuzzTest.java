package dev.glisten.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Feeds the parser random bytes and mutations of valid headers, at every prefix length, through
 * {@link ProxyHeaderFuzz} (whose oracle throws on the first mishandled input): a few seconds here,
 * a million headers in the reliability suite.
 */
class ProxyHeadersFuzzTest {

    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final int HEADERS = 20_000;
    private static final Duration BUDGET = Duration.ofSeconds(60);

    @Test
    void noInputMakesTheParserThrowAnythingElse() {
        ProxyHeaderFuzz.Tally tally = ProxyHeaderFuzz.run(SEED, HEADERS, BUDGET);

        assertThat(tally.headers()).as("inputs within the budget").isPositive();
        assertThat(tally.parsed()).as("mutations left some headers valid").isPositive();
        assertThat(tally.rejected()).as("and made many invalid").isPositive();
        assertThat(tally.parsed() + tally.rejected() + tally.incomplete() + tally.absent()).isEqualTo(tally.parses());
    }
}
