package dev.glisten.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HistogramTest {

    @Test
    void percentilesAreExactBelow128MicrosAndWithinTwoPercentAbove() {
        Histogram histogram = new Histogram();
        for (int micros = 1; micros <= 100; micros++) {
            histogram.recordMicros(micros);
        }
        assertThat(histogram.count()).isEqualTo(100);
        assertThat(histogram.percentileMicros(0.5)).isEqualTo(50);
        assertThat(histogram.percentileMicros(0.99)).isEqualTo(99);
        assertThat(histogram.maxMicros()).isEqualTo(100);

        Histogram large = new Histogram();
        large.recordMicros(123_456);
        assertThat(large.percentileMicros(0.99)).as("never understated, at most the largest value")
                .isEqualTo(123_456);
        large.recordMicros(1_000_000);
        assertThat(large.percentileMicros(0.5)).isBetween(123_456L, 125_500L);
    }

    @Test
    void everyValueFallsInABucketWhoseUpperBoundHoldsIt() {
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            long micros = random.nextLong(1L << 40);
            int index = Histogram.index(micros);
            assertThat(Histogram.upperBound(index)).isGreaterThanOrEqualTo(micros)
                    .isLessThanOrEqualTo(micros + micros / 64 + 1);
            if (index > 0) {
                assertThat(Histogram.upperBound(index - 1)).isLessThan(micros);
            }
        }
    }

    @Test
    void addingMergesCountsAndMaximum() {
        Histogram one = new Histogram();
        Histogram other = new Histogram();
        one.recordMicros(10);
        other.recordMicros(5_000);
        other.recordMicros(20);

        one.add(other);

        assertThat(one.count()).isEqualTo(3);
        assertThat(one.maxMicros()).isEqualTo(5_000);
        assertThat(one.percentileMicros(0.5)).isEqualTo(20);
    }

    @Test
    void anEmptyHistogramSaysZero() {
        assertThat(new Histogram().percentileMicros(0.99)).isZero();
    }
}
