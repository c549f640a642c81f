package dev.glisten.reliability;

import java.time.Duration;

/**
 * How long and how much each part of a run goes: {@link #QUICK} (about 80 seconds, for CI) or
 * {@link #FULL} (about eight minutes, for the published figures). The shape of the load is the same in
 * both (the clients and abusers per server, their pace: {@link #legitimateClients},
 * {@link Target#concurrency}); only durations and counts differ, so a quick run checks the same
 * bounds on fewer samples.
 *
 * @param name {@code quick} or {@code full}
 * @param warmUp legitimate load before the baseline is taken, so the baseline has the JIT's code,
 *     the loaded classes and the pooled buffers a serving server has
 * @param clean legitimate load alone: the reference latencies
 * @param soak the same legitimate load with every abuser at once
 * @param fdCycles how many times the low-descriptor-limit server is flooded and released
 * @param stopFor how long SIGSTOP holds the server
 * @param termAfter how long the SIGTERM scenario's load runs before the signal
 * @param fuzzHeaders PROXY headers to fuzz, within {@code fuzzBudget}
 * @param fuzzStreams framed streams to fuzz (valid, garbage and damaged together), within {@code fuzzBudget}
 * @param fuzzBudget the time bound of each of the PROXY and framing fuzzers
 * @param httpFuzz how long random bytes go into the HTTP example
 * @param p99Ratio the most the soak may multiply the legitimate clients' 99th percentile by: the
 *     goal, 2, in the full run; in the quick run 5, a coarse bound that still catches abusers
 *     holding others up (that costs seconds, not milliseconds), since its phases of seconds run on
 *     JVMs still compiling, with the two cores near saturation (87 % busy in a clean phase right
 *     after the build), where the ratio of two p99s is mostly noise (1.0x to 2.2x seen)
 */
record Plan(String name, Duration warmUp, Duration clean, Duration soak, int fdCycles, Duration stopFor,
        Duration termAfter, long fuzzHeaders, long fuzzStreams, Duration fuzzBudget, Duration httpFuzz,
        double p99Ratio) {

    static final Plan QUICK = new Plan("quick", Duration.ofSeconds(6), Duration.ofSeconds(8), Duration.ofSeconds(20),
            2, Duration.ofSeconds(2), Duration.ofSeconds(3), 1_000_000, 1_000_000, Duration.ofSeconds(3),
            Duration.ofSeconds(4), 5.0);

    static final Plan FULL = new Plan("full", Duration.ofSeconds(10), Duration.ofSeconds(90), Duration.ofSeconds(270),
            5, Duration.ofSeconds(5), Duration.ofSeconds(10), 1_000_000, 1_000_000, Duration.ofSeconds(90),
            Duration.ofSeconds(45), 2.0);

    /**
     * The largest random part of a chat line (Base64 makes it a third longer): long enough that
     * members that never read are disconnected within the quick soak (on loopback some 3 MB of
     * kernel buffers fill first, then the mailbox's 1024 lines; the room talks about 200 lines and
     * 800 KB a second).
     */
    static final int CHAT_LINE_BYTES = 6000;

    /** The legitimate clients per server, the same in both plans. */
    static int legitimateClients(Target target) {
        return switch (target.wire()) {
            case ECHO -> target.security() == Target.Security.PLAIN ? 4 : 2;
            case FRAMED -> 2;
            case HTTP -> 3;
            case CHAT -> 4;
        };
    }
}
