package dev.glisten.internal.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol.Version;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Feeds the parser random bytes and mutations of valid headers, at every prefix length: the only
 * exception allowed out is {@link ProtocolException}; a parsed header never claims more bytes than
 * it was given; an incomplete one never asks for fewer than it has.
 */
class ProxyHeadersFuzzTest {

    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final int ROUNDS = 20_000;
    private static final Duration BUDGET = Duration.ofSeconds(60);

    @Test
    void noInputMakesTheParserThrowAnythingElse() throws Exception {
        Random random = new Random(SEED);
        List<byte[]> seeds = seeds();
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int parsed = 0;
        int rejected = 0;
        for (int round = 0; round < ROUNDS && System.nanoTime() - deadline < 0; round++) {
            byte[] input = round % 4 == 0 ? randomBytes(random) : mutate(seeds.get(random.nextInt(seeds.size())), random);
            for (Version accepted : Version.values()) {
                int length = random.nextInt(input.length + 1);
                for (int n : new int[] {length, input.length}) {
                    try {
                        ProxyHeaders.Outcome outcome = ProxyHeaders.parse(input, n, accepted);
                        if (outcome instanceof ProxyHeaders.Parsed header) {
                            parsed++;
                            assertThat(header.length()).isBetween(15, n);
                            header.header().toString(); // every accessor's inputs are sound
                            header.header().ssl().ifPresent(ProxyHeader.Ssl::toString);
                        } else if (outcome instanceof ProxyHeaders.Incomplete incomplete) {
                            assertThat(incomplete.readUpTo()).as("%s", Arrays.toString(input)).isGreaterThan(n)
                                    .isLessThanOrEqualTo(16 + 65_535);
                        }
                    } catch (ProtocolException expected) {
                        rejected++;
                        assertThat(expected.getMessage()).isNotBlank();
                    } catch (RuntimeException unexpected) {
                        throw new AssertionError("the parser threw " + unexpected + " on " + n + " of "
                                + java.util.HexFormat.of().formatHex(input), unexpected);
                    }
                }
            }
        }
        assertThat(parsed).as("mutations left some headers valid").isPositive();
        assertThat(rejected).as("and made many invalid").isPositive();
    }

    private static List<byte[]> seeds() throws Exception {
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
