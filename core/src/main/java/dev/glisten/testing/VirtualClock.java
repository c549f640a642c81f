package dev.glisten.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/** A {@link Clock} in UTC that reads a {@link TestConnection}'s virtual time: it moves only when the test advances it. */
final class VirtualClock extends Clock {

    private final Instant epoch;
    private final LongSupplier nanos;

    /**
     * @param epoch the instant at virtual time 0
     * @param nanos the virtual time, in nanoseconds since {@code epoch}
     */
    VirtualClock(Instant epoch, LongSupplier nanos) {
        this.epoch = epoch;
        this.nanos = nanos;
    }

    @Override
    public ZoneOffset getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return Clock.fixed(instant(), zone);
    }

    @Override
    public Instant instant() {
        return epoch.plusNanos(nanos.getAsLong());
    }
}
