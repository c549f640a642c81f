package dev.glisten.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyHeader.Command;
import dev.glisten.ProxyHeader.Tlv;
import dev.glisten.ProxyProtocol.Version;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whatever {@link ProxyHeader#encode} writes, {@link ProxyHeaders#parse} reads back as the header
 * that was encoded, less only what the version cannot say (v1: {@code LOCAL} is {@code UNKNOWN};
 * v2: a {@code LOCAL} header's TLVs are discarded, as the specification asks), and takes exactly
 * the bytes written.
 */
class ProxyHeaderRoundTripTest {

    private static final long SEED = 0x5DEECE66DL;
    private static final int ROUNDS = 100_000;
    private static final Duration BUDGET = Duration.ofSeconds(20);
    private static final String[] NAMES = {"", "h2", "http/1.1", "api.example.com", "bücher.example", "日本.jp"};

    @Test
    void knownHeadersComeBackEqual() throws Exception {
        InetSocketAddress client4 = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 56324);
        InetSocketAddress proxy4 = new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 443);
        InetSocketAddress client6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 0);
        InetSocketAddress proxy6 = new InetSocketAddress(InetAddress.getByName("::1"), 65_535);
        List<ProxyHeader> headers = List.of(
                ProxyHeader.proxied(client4, proxy4),
                ProxyHeader.proxied(client6, proxy6),
                ProxyHeader.proxied(client4, new InetSocketAddress(mapped(new byte[] {10, 0, 0, 1}), 80)),
                ProxyHeader.local(),
                new ProxyHeader(2, Command.PROXY, Optional.empty(), Optional.empty(), List.of()),
                ProxyHeader.proxied(client4, proxy4).withAlpn("h2").withAuthority("api.example.com")
                        .withUniqueId(new byte[128]).withTlv(ProxyHeader.TYPE_NOOP, new byte[0])
                        .withTlv(ProxyHeader.TYPE_NETNS, "blue".getBytes(StandardCharsets.US_ASCII))
                        .withSsl(new ProxyHeader.Ssl(0x07, 0xFFFF_FFFFL, List.of(
                                new Tlv(ProxyHeader.SUBTYPE_SSL_VERSION, "TLSv1.3".getBytes(StandardCharsets.UTF_8)),
                                new Tlv(ProxyHeader.SUBTYPE_SSL_CN, "client one".getBytes(StandardCharsets.UTF_8)))))
                        .withCrc32c(),
                ProxyHeader.proxied(UnixDomainSocketAddress.of(""), UnixDomainSocketAddress.of("/run/" + "s".repeat(103)))
                        .withAuthority("unix.example"),
                ProxyHeader.local().withUniqueId(new byte[] {1, 2, 3}));
        for (ProxyHeader header : headers) {
            for (Version version : List.of(Version.V1, Version.V2)) {
                if (version == Version.V1 && !v1CanSay(header)) {
                    continue;
                }
                assertRoundTrip(header, version);
            }
        }
        ProxyHeader.Ssl ssl = parse(headers.get(5).encode(Version.V2)).ssl().orElseThrow();
        assertThat(ssl.verify()).isEqualTo(0xFFFF_FFFFL);
        assertThat(ssl.commonName()).contains("client one");
    }

    @Test
    void randomHeadersComeBackEqual() throws Exception {
        Random random = new Random(SEED);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int rounds = 0;
        int v1 = 0;
        while (rounds < ROUNDS && System.nanoTime() - deadline < 0) {
            ProxyHeader header = randomHeader(random);
            assertRoundTrip(header, Version.V2);
            if (v1CanSay(header)) {
                assertRoundTrip(header, Version.V1);
                v1++;
            }
            rounds++;
        }
        assertThat(rounds).as("headers in %s", BUDGET).isEqualTo(ROUNDS);
        assertThat(v1).as("of them also as v1").isGreaterThan(ROUNDS / 10);
    }

    private static void assertRoundTrip(ProxyHeader header, Version version) throws ProtocolException {
        byte[] bytes = header.encode(version);
        ProxyHeaders.Outcome outcome = ProxyHeaders.parse(bytes, bytes.length, Version.ANY);
        assertThat(outcome).as("%s as %s: %s", header, version, HexFormat.of().formatHex(bytes))
                .isInstanceOf(ProxyHeaders.Parsed.class);
        ProxyHeaders.Parsed parsed = (ProxyHeaders.Parsed) outcome;
        assertThat(parsed.length()).as("%s as %s", header, version).isEqualTo(bytes.length);
        // The parser checked the CRC32C itself; the placeholder sent is all that differs.
        assertThat(withoutChecksum(parsed.header())).as("%s as %s", header, version)
                .isEqualTo(withoutChecksum(received(header, version)));
    }

    /** What a receiver makes of {@code sent}, written in {@code version}. */
    private static ProxyHeader received(ProxyHeader sent, Version version) {
        if (version == Version.V1) {
            return new ProxyHeader(1, Command.PROXY, sent.source(), sent.destination(), List.of());
        }
        return sent.command() == Command.LOCAL
                ? new ProxyHeader(2, Command.LOCAL, Optional.empty(), Optional.empty(), List.of())
                : new ProxyHeader(2, Command.PROXY, sent.source(), sent.destination(), sent.tlvs());
    }

    private static ProxyHeader withoutChecksum(ProxyHeader header) {
        List<Tlv> tlvs = header.tlvs().stream()
                .map(tlv -> tlv.type() == ProxyHeader.TYPE_CRC32C ? new Tlv(tlv.type(), new byte[4]) : tlv).toList();
        return new ProxyHeader(header.version(), header.command(), header.source(), header.destination(), tlvs);
    }

    private static boolean v1CanSay(ProxyHeader header) {
        return header.tlvs().isEmpty() && !(header.source().orElse(null) instanceof UnixDomainSocketAddress);
    }

    private static ProxyHeader parse(byte[] bytes) throws ProtocolException {
        return ((ProxyHeaders.Parsed) ProxyHeaders.parse(bytes, bytes.length, Version.ANY)).header();
    }

    // --- Random headers: every family, zero runs in IPv6 addresses, every registered TLV ---

    private static ProxyHeader randomHeader(Random random) throws UnknownHostException {
        ProxyHeader header = switch (random.nextInt(7)) {
            case 0, 1 -> ProxyHeader.proxied(inet(random, 4), inet(random, 4));
            case 2, 3 -> ProxyHeader.proxied(inet(random, 16), inet(random, 16));
            case 4 -> ProxyHeader.proxied(inet(random, 4), new InetSocketAddress(mapped(bytes(random, 4)), port(random)));
            case 5 -> ProxyHeader.proxied(unix(random), unix(random));
            default -> random.nextBoolean() ? ProxyHeader.local()
                    : new ProxyHeader(2, Command.PROXY, Optional.empty(), Optional.empty(), List.of());
        };
        if (random.nextInt(3) == 0) {
            return header; // also send a good share as v1
        }
        boolean crc = false;
        for (int i = random.nextInt(6); i > 0; i--) {
            header = switch (random.nextInt(7)) {
                case 0 -> header.withAlpn(NAMES[random.nextInt(3)]);
                case 1 -> header.withAuthority(NAMES[random.nextInt(NAMES.length)]);
                case 2 -> header.withUniqueId(bytes(random, random.nextInt(129)));
                case 3 -> header.withSsl(new ProxyHeader.Ssl(random.nextInt(8), random.nextInt() & 0xFFFF_FFFFL,
                        List.of(new Tlv(0x21 + random.nextInt(5), bytes(random, random.nextInt(20))))));
                case 4 -> crc ? header : header.withCrc32c();
                default -> {
                    // Any other type, unregistered ones included, with any value.
                    int type = random.nextInt(256);
                    boolean registered = type == ProxyHeader.TYPE_CRC32C || type == ProxyHeader.TYPE_UNIQUE_ID
                            || type == ProxyHeader.TYPE_SSL;
                    yield registered ? header : header.withTlv(type, bytes(random, random.nextInt(300)));
                }
            };
            crc = header.tlv(ProxyHeader.TYPE_CRC32C).isPresent();
        }
        return header;
    }

    private static InetSocketAddress inet(Random random, int size) throws UnknownHostException {
        byte[] address = bytes(random, size);
        if (size == 16) {
            // Zero groups, for RFC 5952's "::" to stand for some.
            for (int group = 0; group < 8; group++) {
                if (random.nextBoolean()) {
                    address[2 * group] = 0;
                    address[2 * group + 1] = 0;
                }
            }
            return new InetSocketAddress(Inet6Address.getByAddress(null, address, null), port(random));
        }
        return new InetSocketAddress(InetAddress.getByAddress(address), port(random));
    }

    private static SocketAddress unix(Random random) {
        StringBuilder path = new StringBuilder(random.nextBoolean() ? "/" : "");
        for (int i = random.nextInt(50); i > 0; i--) { // at most 100 bytes in UTF-8
            path.append("abcdé/-_.0123456789".charAt(random.nextInt(19)));
        }
        return UnixDomainSocketAddress.of(path.toString());
    }

    private static int port(Random random) {
        return random.nextInt(65_536);
    }

    private static byte[] bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static InetAddress mapped(byte[] four) throws UnknownHostException {
        byte[] six = new byte[16];
        six[10] = (byte) 0xff;
        six[11] = (byte) 0xff;
        System.arraycopy(four, 0, six, 12, 4);
        return Inet6Address.getByAddress(null, six, null);
    }
}
