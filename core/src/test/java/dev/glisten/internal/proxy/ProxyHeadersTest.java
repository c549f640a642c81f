package dev.glisten.internal.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyHeader.Command;
import dev.glisten.ProxyProtocol.Version;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.UnixDomainSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {

    private static final InetSocketAddress CLIENT4 = address("192.0.2.1", 56324);
    private static final InetSocketAddress PROXY4 = address("198.51.100.1", 443);
    private static final InetSocketAddress CLIENT6 = address("2001:db8::1", 40000);
    private static final InetSocketAddress PROXY6 = address("2001:db8::ff", 8443);

    @Test
    void readsAV1Tcp4LineAndNothingAfterIt() throws Exception {
        byte[] bytes = "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\nHELLO".getBytes(US_ASCII);

        ProxyHeaders.Parsed parsed = parsed(bytes, Version.ANY);

        assertThat(parsed.length()).isEqualTo(bytes.length - "HELLO".length());
        assertThat(parsed.header()).isEqualTo(new ProxyHeader(1, Command.PROXY, java.util.Optional.of(CLIENT4),
                java.util.Optional.of(PROXY4), java.util.List.of()));
    }

    @Test
    void readsAV1Tcp6Line() throws Exception {
        ProxyHeader header = parsed("PROXY TCP6 2001:db8::1 2001:db8::ff 40000 8443\r\n".getBytes(US_ASCII),
                Version.V1).header();

        assertThat(header.source()).contains(CLIENT6);
        assertThat(header.destination()).contains(PROXY6);
        assertThat(header.version()).isEqualTo(1);
    }

    @Test
    void readsV1UnknownWithAndWithoutAddresses() throws Exception {
        for (String line : new String[] {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"}) {
            ProxyHeaders.Parsed parsed = parsed(line.getBytes(US_ASCII), Version.ANY);
            assertThat(parsed.length()).isEqualTo(line.length());
            assertThat(parsed.header().command()).isEqualTo(Command.PROXY);
            assertThat(parsed.header().source()).isEmpty();
        }
    }

    @Test
    void asksForMoreUntilTheLineEnds() throws Exception {
        byte[] bytes = "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n".getBytes(US_ASCII);
        for (int length = 0; length < bytes.length; length++) {
            assertThat(ProxyHeaders.parse(bytes, length, Version.ANY)).as("after %d bytes", length)
                    .isInstanceOf(ProxyHeaders.Incomplete.class);
        }
        assertThat(ProxyHeaders.parse(new byte[0], 0, Version.ANY)).isEqualTo(new ProxyHeaders.Incomplete(16));
        assertThat(ProxyHeaders.parse(new byte[0], 0, Version.V1)).isEqualTo(new ProxyHeaders.Incomplete(107));
    }

    @Test
    void rejectsMalformedV1Lines() {
        String[] bad = {
            "PROXY TCP4 192.0.2.1 198.51.100.1 56324\r\n",
            "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443 extra\r\n",
            "PROXY TCP5 192.0.2.1 198.51.100.1 56324 443\r\n",
            "PROXY TCP4 192.0.2.256 198.51.100.1 56324 443\r\n",
            "PROXY TCP4 example.com 198.51.100.1 56324 443\r\n",
            "PROXY TCP4 2001:db8::1 198.51.100.1 56324 443\r\n",
            "PROXY TCP6 192.0.2.1 2001:db8::ff 56324 443\r\n",
            "PROXY TCP6 fe80::1%eth0 2001:db8::ff 56324 443\r\n",
            "PROXY TCP4 192.0.2.1 198.51.100.1 65536 443\r\n",
            "PROXY TCP4 192.0.2.1 198.51.100.1 -1 443\r\n",
            "PROXY TCP4  192.0.2.1 198.51.100.1 56324 443\r\n",
            "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\n",
            "PROXY TCP4 192.0.2.1\t198.51.100.1 56324 443\r\n",
        };
        for (String line : bad) {
            assertThatThrownBy(() -> ProxyHeaders.parse(line.getBytes(US_ASCII), line.length(), Version.ANY))
                    .as(line).isInstanceOf(ProtocolException.class).hasMessageStartingWith("PROXY v1 header");
        }
    }

    @Test
    void rejectsAV1LineLongerThan107Bytes() {
        byte[] bytes = ("PROXY UNKNOWN " + "x".repeat(200)).getBytes(US_ASCII);

        assertThat(catchIncomplete(bytes, 106)).isEqualTo(new ProxyHeaders.Incomplete(107));
        assertThatThrownBy(() -> ProxyHeaders.parse(bytes, 107, Version.ANY))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("longer than 107 bytes");
    }

    @Test
    void readsAV2ProxyHeaderOverIpv4AndIpv6() throws Exception {
        byte[] four = ProxyV2.proxy(CLIENT4, PROXY4).build();
        byte[] six = ProxyV2.proxy(CLIENT6, PROXY6).build();

        ProxyHeaders.Parsed parsedFour = parsed(four, Version.V2);
        ProxyHeaders.Parsed parsedSix = parsed(six, Version.ANY);

        assertThat(parsedFour.length()).isEqualTo(16 + 12);
        assertThat(parsedFour.header()).isEqualTo(new ProxyHeader(2, Command.PROXY, java.util.Optional.of(CLIENT4),
                java.util.Optional.of(PROXY4), java.util.List.of()));
        assertThat(parsedSix.length()).isEqualTo(16 + 36);
        assertThat(parsedSix.header().source()).contains(CLIENT6);
        assertThat(parsedSix.header().destination()).contains(PROXY6);
    }

    @Test
    void readsAV2HeaderOverUnixSockets() throws Exception {
        ProxyHeader header = parsed(ProxyV2.unix("/run/client.sock", "/run/haproxy.sock").build(), Version.V2).header();

        assertThat(header.source()).contains(UnixDomainSocketAddress.of("/run/client.sock"));
        assertThat(header.destination()).contains(UnixDomainSocketAddress.of("/run/haproxy.sock"));
    }

    @Test
    void aV2LocalHeaderHasNoAddresses() throws Exception {
        byte[] bytes = ProxyV2.local().build();

        ProxyHeaders.Parsed parsed = parsed(bytes, Version.ANY);

        assertThat(parsed.length()).isEqualTo(16);
        assertThat(parsed.header().command()).isEqualTo(Command.LOCAL);
        assertThat(parsed.header().source()).isEmpty();
    }

    @Test
    void readsTlvsWithTypedAccessorsAndSslSubTlvs() throws Exception {
        byte[] bytes = ProxyV2.proxy(CLIENT4, PROXY4)
                .tlv(ProxyHeader.TYPE_ALPN, "h2")
                .tlv(ProxyHeader.TYPE_AUTHORITY, "api.example.com")
                .tlv(ProxyHeader.TYPE_NOOP, new byte[3])
                .tlv(ProxyHeader.TYPE_UNIQUE_ID, new byte[] {1, 2, 3, 4})
                .tlv(ProxyHeader.TYPE_SSL, ProxyV2.ssl(0x07, 0,
                        ProxyHeader.SUBTYPE_SSL_VERSION, "TLSv1.3",
                        ProxyHeader.SUBTYPE_SSL_CN, "client one",
                        ProxyHeader.SUBTYPE_SSL_CIPHER, "TLS_AES_128_GCM_SHA256",
                        ProxyHeader.SUBTYPE_SSL_SIG_ALG, "SHA256",
                        ProxyHeader.SUBTYPE_SSL_KEY_ALG, "EC256"))
                .tlv(ProxyHeader.TYPE_NETNS, "blue")
                .tlv(0xE0, new byte[] {9})
                .crc32c()
                .build();

        ProxyHeader header = parsed(bytes, Version.ANY).header();

        assertThat(header.alpn()).contains("h2");
        assertThat(header.authority()).contains("api.example.com");
        assertThat(header.uniqueId()).hasValueSatisfying(id -> assertThat(id).containsExactly(1, 2, 3, 4));
        assertThat(header.netns()).contains("blue");
        assertThat(header.tlv(0xE0)).contains(new ProxyHeader.Tlv(0xE0, new byte[] {9}));
        assertThat(header.tlvs()).extracting(ProxyHeader.Tlv::type)
                .containsExactly(0x01, 0x02, 0x04, 0x05, 0x20, 0x30, 0xE0, 0x03);
        ProxyHeader.Ssl ssl = header.ssl().orElseThrow();
        assertThat(ssl.clientUsedTls()).isTrue();
        assertThat(ssl.clientCertificateVerified()).isTrue();
        assertThat(ssl.version()).contains("TLSv1.3");
        assertThat(ssl.commonName()).contains("client one");
        assertThat(ssl.cipher()).contains("TLS_AES_128_GCM_SHA256");
        assertThat(ssl.signatureAlgorithm()).contains("SHA256");
        assertThat(ssl.keyAlgorithm()).contains("EC256");
    }

    @Test
    void takesExactlyTheV2HeaderAndAsksForNoMore() throws Exception {
        byte[] header = ProxyV2.proxy(CLIENT4, PROXY4).tlv(ProxyHeader.TYPE_AUTHORITY, "a.test").build();
        byte[] withData = Arrays.copyOf(header, header.length + 5);

        for (int length = 0; length < header.length; length++) {
            ProxyHeaders.Outcome outcome = ProxyHeaders.parse(withData, length, Version.V2);
            assertThat(outcome).as("after %d bytes", length).isInstanceOf(ProxyHeaders.Incomplete.class);
            assertThat(((ProxyHeaders.Incomplete) outcome).readUpTo()).isLessThanOrEqualTo(header.length);
        }
        assertThat(parsed(withData, Version.V2).length()).isEqualTo(header.length);
    }

    @Test
    void rejectsMalformedV2Headers() {
        byte[] good = ProxyV2.proxy(CLIENT4, PROXY4).build();
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).versionCommand(0x11).build(), "version 1");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).versionCommand(0x22).build(), "unknown command 2");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).familyTransport(0x41).build(), "unknown address family");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).familyTransport(0x13).build(), "unknown address family");
        // IPv6 family with IPv4's 12 bytes of addresses.
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).familyTransport(0x21).build(), "too few for the addresses");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).tlv(0x04, new byte[0]).build(), null, 1, "stray bytes");
        byte[] truncatedTlv = ProxyV2.proxy(CLIENT4, PROXY4).tlv(0x02, "abcdef").build();
        truncatedTlv[good.length + 2] = 50;
        assertRejected(truncatedTlv, "claims 50 bytes");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).tlv(0x05, new byte[129]).build(), "UNIQUE_ID of 129 bytes");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).tlv(0x20, new byte[4]).build(), "SSL TLV of 4 bytes");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).tlv(0x20, new byte[] {1, 0, 0, 0, 0, 0x21, 0, 9}).build(),
                "SSL sub- TLV");
        assertRejected(ProxyV2.proxy(CLIENT4, PROXY4).tlv(0x03, new byte[3]).build(), "CRC32C TLV of 3 bytes");
        byte[] badCrc = ProxyV2.proxy(CLIENT4, PROXY4).crc32c().build();
        badCrc[badCrc.length - 1] ^= 1;
        assertRejected(badCrc, "CRC32C mismatch");
    }

    @Test
    void rejectsAHeaderOfAVersionNotAccepted() {
        byte[] v2 = ProxyV2.proxy(CLIENT4, PROXY4).build();
        byte[] v1 = "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n".getBytes(US_ASCII);

        assertThatThrownBy(() -> ProxyHeaders.parse(v2, v2.length, Version.V1)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("v2 header, but only V1");
        assertThatThrownBy(() -> ProxyHeaders.parse(v1, 3, Version.V2)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("v1 header, but only V2");
    }

    @Test
    void anythingElseIsAbsent() throws Exception {
        for (String start : new String[] {"GET / HTTP/1.1\r\n", "\u0016\u0003\u0001", "PROXX", "\r\n\r\n\u0000\r\nQUIX"}) {
            byte[] bytes = start.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(ProxyHeaders.parse(bytes, bytes.length, Version.ANY)).as(start)
                    .isInstanceOf(ProxyHeaders.Absent.class);
        }
        byte[] tls = HexFormat.of().parseHex("160301");
        assertThat(ProxyHeaders.parse(tls, 1, Version.ANY)).isInstanceOf(ProxyHeaders.Absent.class);
    }

    private static void assertRejected(byte[] bytes, String message) {
        assertRejected(bytes, null, 0, message);
    }

    private static void assertRejected(byte[] bytes, Object unused, int cut, String message) {
        // cut: bytes to remove from the end while shortening the length field to match
        byte[] header = Arrays.copyOf(bytes, bytes.length - cut);
        int length = (((header[14] & 0xff) << 8) | (header[15] & 0xff)) - cut;
        header[14] = (byte) (length >> 8);
        header[15] = (byte) length;
        assertThatThrownBy(() -> ProxyHeaders.parse(header, header.length, Version.ANY))
                .isInstanceOf(ProtocolException.class).hasMessageStartingWith("PROXY v2 header")
                .hasMessageContaining(message);
    }

    private static ProxyHeaders.Outcome catchIncomplete(byte[] bytes, int length) {
        try {
            return ProxyHeaders.parse(bytes, length, Version.ANY);
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    private static ProxyHeaders.Parsed parsed(byte[] bytes, Version accepted) throws ProtocolException {
        ProxyHeaders.Outcome outcome = ProxyHeaders.parse(bytes, bytes.length, accepted);
        assertThat(outcome).isInstanceOf(ProxyHeaders.Parsed.class);
        return (ProxyHeaders.Parsed) outcome;
    }

    private static InetSocketAddress address(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
