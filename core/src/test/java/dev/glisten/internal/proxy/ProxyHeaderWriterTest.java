package dev.glisten.internal.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyHeader.Command;
import dev.glisten.ProxyHeader.Tlv;
import dev.glisten.ProxyProtocol.Version;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The bytes {@link ProxyHeader#encode} writes, checked against the specification's layout by hand
 * and against the tests' own v2 builder ({@link ProxyV2}), and what it refuses to write.
 */
class ProxyHeaderWriterTest {

    private static final InetSocketAddress CLIENT4 = address("192.0.2.1", 56324);
    private static final InetSocketAddress PROXY4 = address("198.51.100.1", 443);
    private static final InetSocketAddress CLIENT6 = address("2001:db8::1", 40000);
    private static final InetSocketAddress PROXY6 = address("2001:db8::ff", 8443);

    @Test
    void v1IsTheSpecificationsLine() {
        assertThat(v1(ProxyHeader.proxied(CLIENT4, PROXY4))).isEqualTo("PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n");
        assertThat(v1(ProxyHeader.proxied(CLIENT6, PROXY6))).isEqualTo("PROXY TCP6 2001:db8::1 2001:db8::ff 40000 8443\r\n");
        assertThat(v1(ProxyHeader.local())).isEqualTo("PROXY UNKNOWN\r\n");
        assertThat(v1(new ProxyHeader(1, Command.PROXY, Optional.empty(), Optional.empty(), List.of())))
                .isEqualTo("PROXY UNKNOWN\r\n");
    }

    @Test
    void v1WritesIpv6InRfc5952Text() {
        String[][] cases = {
            {"0:0:0:0:0:0:0:0", "::"},
            {"0:0:0:0:0:0:0:1", "::1"},
            {"2001:0db8:0:0:0:0:0:0", "2001:db8::"},
            {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
            {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
            {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
            {"FE80:0:0:0:ABCD:EF01:0:0", "fe80::abcd:ef01:0:0"},
            {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
            {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
        };
        for (String[] c : cases) {
            InetSocketAddress six = new InetSocketAddress(ipv6(c[0]), 1);
            assertThat(v1(ProxyHeader.proxied(six, six))).as(c[0]).isEqualTo("PROXY TCP6 " + c[1] + " " + c[1] + " 1 1\r\n");
        }
        // The longest line there is stays within the 107 bytes a receiver reads.
        InetSocketAddress longest = new InetSocketAddress(ipv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65_535);
        assertThat(ProxyHeader.proxied(longest, longest).encode(Version.V1)).hasSize(104);
    }

    @Test
    void v2IsTheSpecificationsLayout() {
        String signature = "0d0a0d0a000d0a515549540a";

        assertThat(hex(ProxyHeader.proxied(CLIENT4, PROXY4).encode(Version.V2))).isEqualTo(signature
                + "21" + "11" + "000c" + "c0000201" + "c6336401" + "dc04" + "01bb");
        assertThat(hex(ProxyHeader.proxied(CLIENT4, PROXY4).withAuthority("a.io").encode(Version.V2))).isEqualTo(signature
                + "21" + "11" + "0013" + "c0000201" + "c6336401" + "dc04" + "01bb" + "02" + "0004" + "612e696f");
        assertThat(hex(ProxyHeader.local().encode(Version.V2))).isEqualTo(signature + "20" + "00" + "0000");
        assertThat(hex(ProxyHeader.local().withUniqueId(new byte[] {7}).encode(Version.V2)))
                .isEqualTo(signature + "20" + "00" + "0004" + "05" + "0001" + "07");
        assertThat(hex(new ProxyHeader(2, Command.PROXY, Optional.empty(), Optional.empty(), List.of()).encode(Version.V2)))
                .isEqualTo(signature + "21" + "00" + "0000");
    }

    @Test
    void v2MatchesTheTestsOwnBuilderTlvsAndChecksumIncluded() {
        assertThat(ProxyHeader.proxied(CLIENT6, PROXY6).withAlpn("h2").withAuthority("api.example.com")
                .withTlv(0xE0, new byte[] {9}).withCrc32c().encode(Version.V2))
                .isEqualTo(ProxyV2.proxy(CLIENT6, PROXY6).tlv(ProxyHeader.TYPE_ALPN, "h2")
                        .tlv(ProxyHeader.TYPE_AUTHORITY, "api.example.com").tlv(0xE0, new byte[] {9}).crc32c().build());
        assertThat(ProxyHeader.proxied(UnixDomainSocketAddress.of("/run/a.sock"), UnixDomainSocketAddress.of("/run/b"))
                .withSsl(new ProxyHeader.Ssl(0x05, 1, List.of(new Tlv(ProxyHeader.SUBTYPE_SSL_VERSION, ascii("TLSv1.3")))))
                .encode(Version.V2))
                .isEqualTo(ProxyV2.unix("/run/a.sock", "/run/b").tlv(ProxyHeader.TYPE_SSL,
                        ProxyV2.ssl(0x05, 1, ProxyHeader.SUBTYPE_SSL_VERSION, "TLSv1.3")).build());
    }

    @Test
    void anIpv4AddressBesideAnIpv4MappedOneIsMappedToo() {
        InetSocketAddress mapped = new InetSocketAddress(ipv6("::ffff:10.0.0.1"), 443);

        ProxyHeader header = ProxyHeader.proxied(CLIENT4, mapped);

        assertThat(header.source()).contains(new InetSocketAddress(ipv6("::ffff:192.0.2.1"), 56324));
        assertThat(header.destination()).contains(mapped);
        assertThat(v1(header)).isEqualTo("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:10.0.0.1 56324 443\r\n");
        assertThat(header.encode(Version.V2)[13]).isEqualTo((byte) 0x21);
    }

    @Test
    void hostNamesAndScopesAreNotKept() throws Exception {
        InetSocketAddress named = new InetSocketAddress(InetAddress.getByAddress("client.example", new byte[] {10, 0, 0, 1}), 1);
        InetSocketAddress scoped = new InetSocketAddress(Inet6Address.getByAddress(null, ipv6("fe80::1").getAddress(), 3), 2);

        assertThat(ProxyHeader.proxied(named, PROXY4).source()).hasValueSatisfying(source ->
                assertThat(source.toString()).isEqualTo("/10.0.0.1:1"));
        assertThat(v1(ProxyHeader.proxied(scoped, scoped))).isEqualTo("PROXY TCP6 fe80::1 fe80::1 2 2\r\n");
    }

    @Test
    void refusesAnyAsAVersion() {
        assertRefused(() -> ProxyHeader.local().encode(Version.ANY), "encode writes V1 or V2, not ANY");
    }

    @Test
    void refusesWhatVersion1CannotSay() {
        assertRefused(() -> ProxyHeader.proxied(CLIENT4, PROXY4).withAlpn("h2").withUniqueId(new byte[1])
                .encode(Version.V1), "PROXY protocol v1 cannot carry TLVs, and this header has 2 (types [0x1, 0x5])");
        assertRefused(() -> ProxyHeader.local().withCrc32c().encode(Version.V1), "cannot carry TLVs");
        assertRefused(() -> ProxyHeader.proxied(UnixDomainSocketAddress.of("/a"), UnixDomainSocketAddress.of("/b"))
                .encode(Version.V1), "PROXY protocol v1 carries TCP over IPv4 or IPv6 only, not the Unix socket addresses");
    }

    @Test
    void refusesAddressesThatAreNotOneConnectionsEnds() {
        assertRefused(() -> ProxyHeader.proxied(CLIENT4, PROXY6), "source /192.0.2.1:56324 and destination "
                + PROXY6 + " are of different families");
        assertRefused(() -> ProxyHeader.proxied(CLIENT4, UnixDomainSocketAddress.of("/b")),
                "source and destination are both InetSocketAddress or both UnixDomainSocketAddress, got"
                        + " InetSocketAddress /192.0.2.1:56324 and UnixDomainSocketAddress /b");
        assertRefused(() -> ProxyHeader.proxied(InetSocketAddress.createUnresolved("example.com", 80), PROXY4),
                "source example.com/<unresolved>:80 is unresolved");
        String path = "/" + "p".repeat(108);
        assertRefused(() -> ProxyHeader.proxied(UnixDomainSocketAddress.of("/a"), UnixDomainSocketAddress.of(path)),
                "destination " + path + " is a path of 109 bytes, more than the 108");
        assertRefused(() -> header(Command.LOCAL, CLIENT4, PROXY4).encode(Version.V2), "a LOCAL header carries no addresses");
        assertRefused(() -> header(Command.PROXY, CLIENT4, null).encode(Version.V1),
                "source and destination are both present or both absent");
        assertRefused(() -> header(Command.PROXY, CLIENT6, CLIENT4).encode(Version.V2), "different families");
    }

    @Test
    void refusesTlvsAReceiverWouldReject() {
        ProxyHeader header = ProxyHeader.proxied(CLIENT4, PROXY4);

        assertRefused(() -> header.withUniqueId(new byte[129]), "a UNIQUE_ID TLV holds at most 128 bytes, got 129");
        assertRefused(() -> header.withTlv(ProxyHeader.TYPE_SSL, new byte[3]),
                "an SSL TLV must hold client (1 byte), verify (4) and whole sub-TLVs");
        assertRefused(() -> header.withTlv(ProxyHeader.TYPE_SSL, new byte[] {1, 0, 0, 0, 0, 0x21, 0, 9}),
                "an SSL TLV must hold client (1 byte), verify (4) and whole sub-TLVs");
        assertRefused(() -> header.withSsl(new ProxyHeader.Ssl(256, 0, List.of())), "Ssl client must be a bit field");
        assertRefused(() -> header.withSsl(new ProxyHeader.Ssl(1, 1L << 32, List.of())), "Ssl verify must be");
        assertRefused(() -> header.withTlv(ProxyHeader.TYPE_CRC32C, new byte[2]), "a CRC32C TLV's value is 4 bytes");
        assertRefused(() -> header.withCrc32c().withCrc32c(), "one CRC32C TLV at most, this one has 2");
        assertRefused(() -> header.withTlv(256, new byte[0]), "type must be between 0 and 255, got 256");
        // A value over 65535 bytes cannot even be a TLV; two that fit cannot share one header.
        assertRefused(() -> header.withTlv(0xE0, new byte[65_536]), "value must be at most 65535 bytes, got 65536");
        ProxyHeader big = header.withTlv(0xE0, new byte[40_000]);
        assertRefused(() -> big.withTlv(0xE1, new byte[40_000]), "PROXY v2 header: its addresses and TLVs take 80018"
                + " bytes, more than the 65535 its length field can count");
        ProxyHeader largest = header.withTlv(0xE0, new byte[65_535 - 12 - 3]);
        assertThat(largest.encode(Version.V2)).hasSize(16 + 65_535);
        assertRefused(() -> new ProxyHeader(2, Command.PROXY, largest.source(), largest.destination(),
                List.of(largest.tlvs().get(0), new Tlv(0x04, new byte[0]))).encode(Version.V2), "take 65538 bytes");
    }

    @Test
    void aHeaderReadCanBeSentOn() throws Exception {
        byte[] received = ProxyV2.proxy(CLIENT4, PROXY4).tlv(ProxyHeader.TYPE_AUTHORITY, "x").crc32c().build();
        ProxyHeader header = ((ProxyHeaders.Parsed) ProxyHeaders.parse(received, received.length, Version.ANY)).header();

        assertThat(header.encode(Version.V2)).isEqualTo(received);
    }

    private static ProxyHeader header(Command command, SocketAddress source, SocketAddress destination) {
        return new ProxyHeader(2, command, Optional.ofNullable(source), Optional.ofNullable(destination), List.of());
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    private static String v1(ProxyHeader header) {
        return new String(header.encode(Version.V1), US_ASCII);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(US_ASCII);
    }

    /** The literal as IPv6 even when it is IPv4-mapped (which InetAddress.getByName turns into IPv4). */
    private static Inet6Address ipv6(String literal) {
        try {
            byte[] bytes = InetAddress.getByName(literal).getAddress();
            return Inet6Address.getByAddress(null, bytes.length == 16 ? bytes : mapped(bytes), null);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] mapped(byte[] four) {
        byte[] six = new byte[16];
        six[10] = (byte) 0xff;
        six[11] = (byte) 0xff;
        System.arraycopy(four, 0, six, 12, 4);
        return six;
    }

    private static InetSocketAddress address(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
