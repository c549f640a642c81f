package dev.glisten.internal.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded, time-bounded fuzzing of every framing through the connection's {@link Inbound}, by
 * {@link InboundFuzz} (whose oracle throws on the first mishandled stream, naming its seed): valid
 * streams give exactly their frames; garbage and damaged streams give frames, a wait for more, or
 * the documented close. A new seed every run; the reliability suite runs a million streams.
 */
@Timeout(120)
class InboundFuzzTest {

    private static final Duration BUDGET = Duration.ofSeconds(8);

    @Test
    void validStreamsSplitAnywhereGiveTheFramesTheyWereMadeOf() {
        InboundFuzz.Tally tally = InboundFuzz.validStreams(System.nanoTime(), 20_000, BUDGET);

        assertThat(tally.streams()).isGreaterThan(100);
        assertThat(tally.tooLarge() + tally.malformed() + tally.waiting()).isZero();
    }

    @Test
    void garbageGivesOnlyFramesAWaitOrTheDocumentedClose() {
        InboundFuzz.Tally tally = InboundFuzz.garbage(System.nanoTime(), 50_000, BUDGET);

        assertThat(tally.streams()).isGreaterThan(100);
        assertThat(tally.tooLarge() + tally.malformed()).as("some garbage was rejected").isPositive();
    }

    @Test
    void damagedStreamsGiveOnlyFramesAWaitOrTheDocumentedClose() {
        InboundFuzz.Tally tally = InboundFuzz.mutated(System.nanoTime(), 20_000, BUDGET);

        assertThat(tally.streams()).isGreaterThan(100);
        assertThat(tally.frames()).as("damage leaves most frames whole").isPositive();
        assertThat(tally.tooLarge() + tally.malformed()).as("and makes some streams invalid").isPositive();
    }
}
