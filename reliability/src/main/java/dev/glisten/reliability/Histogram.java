package dev.glisten.reliability;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Latencies in microseconds, recorded from many threads into buckets of bounded relative error:
 * exact below 128 µs, then 64 buckets per power of two (under 1.6 % wide), as HdrHistogram does
 * with two significant digits. A run of ten minutes records millions of values in 20 KB.
 */
final class Histogram {

    private static final int EXACT = 128;
    private static final int SUB_BUCKET_BITS = 6;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    /** Powers of two from 2^7 µs to 2^42 µs (about 50 days): more than any bounded run can see. */
    private static final int POWERS = 36;

    private final AtomicLongArray counts = new AtomicLongArray(EXACT + POWERS * SUB_BUCKETS);
    private final LongAccumulator max = new LongAccumulator(Math::max, 0);

    void record(Duration latency) {
        recordMicros(latency.toNanos() / 1000);
    }

    void recordNanos(long nanos) {
        recordMicros(nanos / 1000);
    }

    void recordMicros(long micros) {
        long value = Math.max(0, micros);
        counts.incrementAndGet(index(value));
        max.accumulate(value);
    }

    static int index(long micros) {
        if (micros < EXACT) {
            return (int) micros;
        }
        int power = 63 - Long.numberOfLeadingZeros(micros);
        int sub = (int) (micros >>> (power - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
        return Math.min(EXACT + (power - 7) * SUB_BUCKETS + sub, EXACT + POWERS * SUB_BUCKETS - 1);
    }

    /** The largest value a bucket holds, so a percentile is never understated. */
    static long upperBound(int index) {
        if (index < EXACT) {
            return index;
        }
        int power = 7 + (index - EXACT) / SUB_BUCKETS;
        int sub = (index - EXACT) % SUB_BUCKETS;
        long width = 1L << (power - SUB_BUCKET_BITS);
        return (1L << power) + (sub + 1) * width - 1;
    }

    long count() {
        long total = 0;
        for (int i = 0; i < counts.length(); i++) {
            total += counts.get(i);
        }
        return total;
    }

    /**
     * The value at or below which {@code fraction} of the values lie, in microseconds; 0 if none.
     *
     * @param fraction such as 0.99
     */
    long percentileMicros(double fraction) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(fraction * total));
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.min(upperBound(i), max.get());
            }
        }
        return max.get();
    }

    long maxMicros() {
        return max.get();
    }

    /** Adds another histogram's values to this one's. */
    void add(Histogram other) {
        for (int i = 0; i < counts.length(); i++) {
            long n = other.counts.get(i);
            if (n != 0) {
                counts.addAndGet(i, n);
            }
        }
        max.accumulate(other.max.get());
    }
}
