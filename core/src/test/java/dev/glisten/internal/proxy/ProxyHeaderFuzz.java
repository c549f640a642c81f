package dev.glisten.internal.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol.Version;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Seeded fuzzing of the PROXY protocol parser, shared by {@link ProxyHeadersFuzzTest} (a few
 * seconds in every build) and the reliability suite ({@code reliability/}, a million headers): random
 * bytes and mutations of valid v1 and v2 headers, each parsed under every accepted version at a
 * random prefix length and at its full length.
 *
 * <p>The oracle: the only exception allowed out is {@link ProtocolException} with a message; a
 * parsed header never claims more bytes than it was given, nor fewer than the shortest header; an
 * incomplete one never asks for fewer bytes than it has, nor more than the longest v2 header.
 * Anything else throws {@link AssertionError} naming the seed and the input in hexadecimal.
 */
public final class ProxyHeaderFuzz {

    /** The shortest header, {@code PROXY UNKNOWN\r\n}, is 15 bytes; v2's fixed part is 16. */
    private static final int SHORTEST_HEADER = 15;
    private static final int LONGEST_V2 = ProxyHeaders.V2_FIXED_LENGTH + 65_535;

    private ProxyHeaderFuzz() { }

    /**
     * What one run found: every input ended in exactly one of the four documented outcomes.
     *
     * @param headers inputs generated (a quarter random bytes, the rest mutated valid headers)
     * @param parses parser calls: each input under each {@link Version}, at two lengths
     * @param parsed calls that returned a header
     * @param rejected calls that threw {@link ProtocolException}, the documented rejection
     * @param incomplete calls that asked for more bytes
     * @param absent calls that found no header (only where no header is required to start the stream)
     * @param took how long the run took
     */
    public record Tally(long headers, long parses, long parsed, long rejected, long incomplete, long absent,
            Duration took) { }

    /**
     * Runs until {@code headers} inputs were parsed or {@code budget} is spent, whichever is first.
     *
     * @param seed the run's seed: the same seed gives the same inputs
     * @param headers how many inputs at most
     * @param budget how long at most
     * @return the counts of each outcome
     * @throws AssertionError on the first input the parser mishandles
     */
    public static Tally run(long seed, long headers, Duration budget) {
        Random random = new Random(seed);
        List<byte[]> seeds = seeds();
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        long made = 0;
        long parses = 0;
        long parsed = 0;
        long rejected = 0;
        long incomplete = 0;
        long absent = 0;
        for (; made < headers && System.nanoTime() - deadline < 0; made++) {
            byte[] input = made % 4 == 0 ? randomBytes(random) : mutate(seeds.get(random.nextInt(seeds.size())), random);
            for (Version accepted : Version.values()) {
                int prefix = random.nextInt(input.length + 1);
                for (int length : new int[] {prefix, input.length}) {
                    parses++;
                    switch (parseChecked(input, length, accepted, seed)) {
                        case PARSED -> parsed++;
                        case REJECTED -> rejected++;
                        case INCOMPLETE -> incomplete++;
                        case ABSENT -> absent++;
                    }
                }
            }
        }
        return new Tally(made, parses, parsed, rejected, incomplete, absent, Duration.ofNanos(System.nanoTime() - start));
    }

    private enum Outcome { PARSED, REJECTED, INCOMPLETE, ABSENT }

    private static Outcome parseChecked(byte[] input, int length, Version accepted, long seed) {
        try {
            ProxyHeaders.Outcome outcome = ProxyHeaders.parse(input, length, accepted);
            return switch (outcome) {
                case ProxyHeaders.Parsed header -> {
                    if (header.length() < SHORTEST_HEADER || header.length() > length) {
                        throw violation("a header of " + header.length() + " bytes parsed from " + length, input, length,
                                seed, null);
                    }
                    // Every accessor's inputs are sound.
                    header.header().toString();
                    header.header().ssl().ifPresent(ProxyHeader.Ssl::toString);
                    yield Outcome.PARSED;
                }
                case ProxyHeaders.Incomplete more -> {
                    if (more.readUpTo() <= length || more.readUpTo() > LONGEST_V2) {
                        throw violation("asked to read up to " + more.readUpTo(), input, length, seed, null);
                    }
                    yield Outcome.INCOMPLETE;
                }
                case ProxyHeaders.Absent none -> Outcome.ABSENT;
            };
        } catch (ProtocolException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw violation("a rejection without a message", input, length, seed, expected);
            }
            return Outcome.REJECTED;
        } catch (RuntimeException unexpected) {
            throw violation("the parser threw " + unexpected, input, length, seed, unexpected);
        }
    }

    private static AssertionError violation(String what, byte[] input, int length, long seed, Throwable cause) {
        return new AssertionError(what + " (seed " + seed + ") on the first " + length + " bytes of "
                + HexFormat.of().formatHex(input), cause);
    }

    /** Valid headers of every shape the parser knows, which mutations start from. */
    static List<byte[]> seeds() {
        try {
            InetSocketAddress client4 = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 1234);
            InetSocketAddress proxy4 = new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 443);
            InetSocketAddress client6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 1234);
            InetSocketAddress proxy6 = new InetSocketAddress(InetAddress.getByName("::ffff:10.0.0.1"), 443);
            return List.of(
                    "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n".getBytes(US_ASCII),
                    "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 56324 443\r\n".getBytes(US_ASCII),
                    "PROXY UNKNOWN\r\n".getBytes(US_ASCII),
                    ProxyV2.proxy(client4, proxy4).build(),
                    ProxyV2.proxy(client6, proxy6).tlv(ProxyHeader.TYPE_ALPN, "h2").crc32c().build(),
                    ProxyV2.local().build(),
                    ProxyV2.unix("/run/a", "/run/b").tlv(ProxyHeader.TYPE_UNIQUE_ID, "id").build(),
                    ProxyV2.proxy(client4, proxy4).tlv(ProxyHeader.TYPE_SSL, ProxyV2.ssl(1, 0,
                            ProxyHeader.SUBTYPE_SSL_VERSION, "TLSv1.2", ProxyHeader.SUBTYPE_SSL_CN, "x")).build());
        } catch (UnknownHostException literal) {
            throw new IllegalStateException("an IP literal did not parse", literal);
        }
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[random.nextInt(300)];
        random.nextBytes(bytes);
        if (bytes.length >= 12 && random.nextBoolean()) {
            // Give the random part a valid v2 signature, so it reaches the deeper checks.
            System.arraycopy(ProxyV2.SIGNATURE, 0, bytes, 0, 12);
        }
        return bytes;
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] bytes = seed.clone();
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            switch (random.nextInt(5)) {
                case 0 -> bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                case 1 -> bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
                case 2 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1) + 1);
                case 3 -> {
                    byte[] longer = Arrays.copyOf(bytes, bytes.length + random.nextInt(64));
                    for (int j = bytes.length; j < longer.length; j++) {
                        longer[j] = (byte) random.nextInt(256);
                    }
                    bytes = longer;
                }
                default -> {
                    // The v2 length field, or a v1 field, set to something extreme.
                    if (bytes.length > 16 && bytes[0] == 0x0D) {
                        bytes[14] = (byte) random.nextInt(256);
                        bytes[15] = (byte) random.nextInt(256);
                    } else {
                        bytes[random.nextInt(bytes.length)] = (byte) " :.\r\n0123456789".charAt(random.nextInt(15));
                    }
                }
            }
        }
        return bytes;
    }
}
