package dev.glisten.internal.proxy;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyHeader.Command;
import dev.glisten.ProxyHeader.Tlv;
import dev.glisten.ProxyProtocol.Version;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Parses PROXY protocol headers, versions 1 and 2, as HAProxy's specification
 * ({@code doc/proxy-protocol.txt}) describes them: pure functions over the bytes received so far,
 * so the reader can ask after each read whether it has a header, needs more, or has none, and a
 * fuzzer can call them with anything. Every malformed input ends in a {@link ProtocolException}
 * whose message says what is wrong; nothing else is thrown.
 *
 * <p>Addresses are literals and are never looked up: a v1 address is checked character by
 * character before the JDK turns it into an {@link InetAddress}, so no input causes a DNS query.
 */
public final class ProxyHeaders {

    /** The longest v1 line, {@code CRLF} included (the specification's 107 bytes). */
    public static final int V1_MAX_LENGTH = 107;
    /** A v2 header's fixed part: the signature, version and command, family, length. */
    public static final int V2_FIXED_LENGTH = 16;

    private static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    static final int UNIQUE_ID_MAX = 128;
    static final int UNIX_PATH_LENGTH = 108;

    private ProxyHeaders() { }

    /** What the bytes received so far amount to. */
    public sealed interface Outcome { }

    /**
     * A whole header.
     *
     * @param header what it says
     * @param length how many of the bytes it took; those after it belong to the next stage
     */
    public record Parsed(ProxyHeader header, int length) implements Outcome { }

    /** The bytes do not begin with either version's signature: the connection has no header. */
    public record Absent() implements Outcome { }

    /**
     * The bytes may be the start of a header.
     *
     * @param readUpTo how many bytes in all to have before asking again; reading no further than
     *     this never takes bytes beyond a v2 header (a v1 line's end is unknown until its CRLF
     *     arrives, so for v1 it is the longest line)
     */
    public record Incomplete(int readUpTo) implements Outcome { }

    /**
     * Looks at the first {@code length} bytes of {@code bytes}.
     *
     * @param accepted the versions taken; a header of another version is an error
     * @return a header, its absence, or how much more to read
     * @throws ProtocolException if the bytes are a malformed header or one of a version not accepted
     */
    public static Outcome parse(byte[] bytes, int length, Version accepted) throws ProtocolException {
        if (length < 0 || length > bytes.length) {
            throw new IllegalArgumentException("length " + length + " outside 0-" + bytes.length);
        }
        boolean v1 = startsWith(bytes, length, V1_SIGNATURE);
        boolean v2 = startsWith(bytes, length, V2_SIGNATURE);
        if (!v1 && !v2) {
            return new Absent();
        }
        if (v1 && v2) {
            // Nothing yet (both are prefixes only of the empty input): a v2 fixed part first, which
            // never reaches past any header; a v1 line is at least 15 bytes, so at most one over.
            return new Incomplete(accepted == Version.V1 ? V1_MAX_LENGTH : V2_FIXED_LENGTH);
        }
        int version = v1 ? 1 : 2;
        if (!accepted.accepts(version)) {
            throw new ProtocolException("a PROXY protocol v" + version + " header, but only " + accepted
                    + " is accepted");
        }
        return v1 ? parseV1(bytes, length) : parseV2(bytes, length);
    }

    private static boolean startsWith(byte[] bytes, int length, byte[] signature) {
        int n = Math.min(length, signature.length);
        return Arrays.equals(bytes, 0, n, signature, 0, n);
    }

    // --- Version 1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" ---

    private static Outcome parseV1(byte[] bytes, int length) throws ProtocolException {
        int end = -1;
        int limit = Math.min(length, V1_MAX_LENGTH);
        for (int i = V1_SIGNATURE.length; i < limit; i++) {
            if (bytes[i] == '\n') {
                if (bytes[i - 1] != '\r') {
                    throw new ProtocolException("PROXY v1 header: a line feed without a carriage return before it");
                }
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            if (length >= V1_MAX_LENGTH) {
                throw new ProtocolException("PROXY v1 header longer than " + V1_MAX_LENGTH + " bytes (no CRLF)");
            }
            return new Incomplete(V1_MAX_LENGTH);
        }
        for (int i = 0; i < end - 2; i++) {
            if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
                throw new ProtocolException("PROXY v1 header: byte 0x" + Integer.toHexString(bytes[i] & 0xff)
                        + " at " + i + " is not printable ASCII");
            }
        }
        String line = new String(bytes, 0, end - 2, StandardCharsets.US_ASCII);
        String[] fields = line.split(" ", -1);
        // fields[0] is "PROXY"
        if (fields.length >= 2 && fields[1].equals("UNKNOWN")) {
            // The rest of the line, if any, is to be ignored.
            return new Parsed(new ProxyHeader(1, Command.PROXY, Optional.empty(), Optional.empty(), List.of()), end);
        }
        if (fields.length != 6) {
            throw new ProtocolException("PROXY v1 header: expected \"PROXY TCP4|TCP6 source destination"
                    + " source-port destination-port\", got " + fields.length + " fields: \"" + line + "\"");
        }
        boolean six;
        if (fields[1].equals("TCP4")) {
            six = false;
        } else if (fields[1].equals("TCP6")) {
            six = true;
        } else {
            throw new ProtocolException("PROXY v1 header: unknown protocol \"" + fields[1]
                    + "\" (TCP4, TCP6 or UNKNOWN)");
        }
        InetAddress source = six ? ipv6(fields[2]) : ipv4(fields[2]);
        InetAddress destination = six ? ipv6(fields[3]) : ipv4(fields[3]);
        int sourcePort = port(fields[4]);
        int destinationPort = port(fields[5]);
        return new Parsed(new ProxyHeader(1, Command.PROXY,
                Optional.of(new InetSocketAddress(source, sourcePort)),
                Optional.of(new InetSocketAddress(destination, destinationPort)), List.of()), end);
    }

    private static InetAddress ipv4(String text) throws ProtocolException {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new ProtocolException("PROXY v1 header: \"" + text + "\" is not an IPv4 address");
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !digits(part) || Integer.parseInt(part) > 255) {
                throw new ProtocolException("PROXY v1 header: \"" + text + "\" is not an IPv4 address");
            }
            address[i] = (byte) Integer.parseInt(part);
        }
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException impossible) {
            throw new ProtocolException("PROXY v1 header: \"" + text + "\" is not an IPv4 address");
        }
    }

    private static InetAddress ipv6(String text) throws ProtocolException {
        // Hex digits, colons and the dots of an embedded IPv4 part only: with a colon in it the
        // JDK parses the text as a literal and never asks a resolver; no '%' zone.
        boolean colon = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            colon |= c == ':';
            if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                colon = false;
                break;
            }
        }
        if (!colon || text.length() > 45) {
            throw new ProtocolException("PROXY v1 header: \"" + text + "\" is not an IPv6 address");
        }
        try {
            InetAddress address = InetAddress.getByName(text);
            if (address instanceof Inet4Address mapped) {
                // ::ffff:a.b.c.d comes back as IPv4; keep it as the IPv6 address it was written as.
                byte[] v6 = new byte[16];
                v6[10] = (byte) 0xff;
                v6[11] = (byte) 0xff;
                System.arraycopy(mapped.getAddress(), 0, v6, 12, 4);
                return Inet6Address.getByAddress(null, v6, null);
            }
            return address;
        } catch (UnknownHostException | RuntimeException e) {
            throw new ProtocolException("PROXY v1 header: \"" + text + "\" is not an IPv6 address");
        }
    }

    private static int port(String text) throws ProtocolException {
        if (text.isEmpty() || text.length() > 5 || !digits(text) || Integer.parseInt(text) > 65_535) {
            throw new ProtocolException("PROXY v1 header: \"" + text + "\" is not a port (0-65535)");
        }
        return Integer.parseInt(text);
    }

    private static boolean digits(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    // --- Version 2: signature, ver/cmd, family/transport, length, addresses, TLVs ---

    private static Outcome parseV2(byte[] bytes, int length) throws ProtocolException {
        if (length < V2_FIXED_LENGTH) {
            return new Incomplete(V2_FIXED_LENGTH);
        }
        int versionCommand = bytes[12] & 0xff;
        if (versionCommand >> 4 != 2) {
            throw new ProtocolException("PROXY v2 header: version " + (versionCommand >> 4) + " in its 13th byte, not 2");
        }
        int command = versionCommand & 0x0f;
        if (command > 1) {
            throw new ProtocolException("PROXY v2 header: unknown command " + command + " (0 LOCAL or 1 PROXY)");
        }
        int familyTransport = bytes[13] & 0xff;
        int family = familyTransport >> 4;
        int transport = familyTransport & 0x0f;
        if (family > 3 || transport > 2) {
            throw new ProtocolException("PROXY v2 header: unknown address family or transport 0x"
                    + Integer.toHexString(familyTransport));
        }
        int total = V2_FIXED_LENGTH + (((bytes[14] & 0xff) << 8) | (bytes[15] & 0xff));
        if (length < total) {
            return new Incomplete(total);
        }
        if (command == 0) {
            // LOCAL: the proxy's own connection; the specification says to discard the block.
            return new Parsed(new ProxyHeader(2, Command.LOCAL, Optional.empty(), Optional.empty(), List.of()), total);
        }
        int addressLength = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 2 * UNIX_PATH_LENGTH;
            default -> 0;
        };
        if (total - V2_FIXED_LENGTH < addressLength) {
            throw new ProtocolException("PROXY v2 header: " + (total - V2_FIXED_LENGTH) + " bytes after the fixed part,"
                    + " too few for the addresses of family " + family + " (" + addressLength + ")");
        }
        int at = V2_FIXED_LENGTH;
        Optional<SocketAddress> source = Optional.empty();
        Optional<SocketAddress> destination = Optional.empty();
        if (family == 1 || family == 2) {
            int size = family == 1 ? 4 : 16;
            InetAddress from = inet(bytes, at, size);
            InetAddress to = inet(bytes, at + size, size);
            int ports = at + 2 * size;
            source = Optional.of(new InetSocketAddress(from, u16(bytes, ports)));
            destination = Optional.of(new InetSocketAddress(to, u16(bytes, ports + 2)));
        } else if (family == 3) {
            source = Optional.of(unix(bytes, at));
            destination = Optional.of(unix(bytes, at + UNIX_PATH_LENGTH));
        }
        List<Tlv> tlvs = tlvs(bytes, V2_FIXED_LENGTH + addressLength, total, "");
        for (Tlv tlv : tlvs) {
            check(tlv, bytes, total);
        }
        return new Parsed(new ProxyHeader(2, Command.PROXY, source, destination, tlvs), total);
    }

    static List<Tlv> tlvs(byte[] bytes, int from, int to, String within) throws ProtocolException {
        List<Tlv> tlvs = new ArrayList<>();
        int at = from;
        while (at < to) {
            if (to - at < 3) {
                throw new ProtocolException("PROXY v2 header: " + (to - at) + " stray bytes where a" + within
                        + " TLV (3 bytes at least) should start");
            }
            int type = bytes[at] & 0xff;
            int length = u16(bytes, at + 1);
            if (at + 3 + length > to) {
                throw new ProtocolException("PROXY v2 header: the" + within + " TLV of type 0x" + Integer.toHexString(type)
                        + " claims " + length + " bytes, but only " + (to - at - 3) + " remain");
            }
            tlvs.add(new Tlv(type, Arrays.copyOfRange(bytes, at + 3, at + 3 + length)));
            at += 3 + length;
        }
        return tlvs;
    }

    private static void check(Tlv tlv, byte[] header, int total) throws ProtocolException {
        byte[] value = tlv.value();
        switch (tlv.type()) {
            case ProxyHeader.TYPE_UNIQUE_ID -> {
                if (value.length > UNIQUE_ID_MAX) {
                    throw new ProtocolException("PROXY v2 header: a UNIQUE_ID of " + value.length + " bytes (at most "
                            + UNIQUE_ID_MAX + ")");
                }
            }
            case ProxyHeader.TYPE_SSL -> {
                if (value.length < 5) {
                    throw new ProtocolException("PROXY v2 header: an SSL TLV of " + value.length
                            + " bytes (client and verify take 5)");
                }
                tlvs(value, 5, value.length, " SSL sub-");
            }
            case ProxyHeader.TYPE_CRC32C -> {
                if (value.length != 4) {
                    throw new ProtocolException("PROXY v2 header: a CRC32C TLV of " + value.length + " bytes, not 4");
                }
                checksum(header, total, value);
            }
            default -> { }
        }
    }

    /** The checksum covers the whole header with its own value taken as zeros. */
    private static void checksum(byte[] header, int total, byte[] expected) throws ProtocolException {
        byte[] copy = Arrays.copyOf(header, total);
        int at = findCrc(copy, total);
        Arrays.fill(copy, at, at + 4, (byte) 0);
        CRC32C crc = new CRC32C();
        crc.update(copy, 0, total);
        long value = crc.getValue();
        long sent = ((expected[0] & 0xffL) << 24) | ((expected[1] & 0xffL) << 16) | ((expected[2] & 0xffL) << 8)
                | (expected[3] & 0xffL);
        if (value != sent) {
            throw new ProtocolException("PROXY v2 header: CRC32C mismatch (sent 0x" + Long.toHexString(sent)
                    + ", computed 0x" + Long.toHexString(value) + ")");
        }
    }

    /** Where the first CRC32C TLV's value is; the TLVs were already walked, so it exists. */
    private static int findCrc(byte[] header, int total) {
        int family = (header[13] & 0xff) >> 4;
        int at = V2_FIXED_LENGTH + switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 2 * UNIX_PATH_LENGTH;
            default -> 0;
        };
        while (at + 3 <= total) {
            if ((header[at] & 0xff) == ProxyHeader.TYPE_CRC32C) {
                return at + 3;
            }
            at += 3 + u16(header, at + 1);
        }
        throw new IllegalStateException("no CRC32C TLV");
    }

    private static InetAddress inet(byte[] bytes, int at, int size) throws ProtocolException {
        try {
            byte[] raw = Arrays.copyOfRange(bytes, at, at + size);
            // getByAddress would turn an IPv4-mapped IPv6 address into IPv4; keep the family sent.
            return size == 16 ? Inet6Address.getByAddress(null, raw, null) : InetAddress.getByAddress(raw);
        } catch (UnknownHostException impossible) {
            throw new ProtocolException("PROXY v2 header: a bad address");
        }
    }

    private static SocketAddress unix(byte[] bytes, int at) throws ProtocolException {
        int end = at;
        while (end < at + UNIX_PATH_LENGTH && bytes[end] != 0) {
            end++;
        }
        String path = new String(bytes, at, end - at, StandardCharsets.UTF_8);
        try {
            return UnixDomainSocketAddress.of(path);
        } catch (RuntimeException e) {
            throw new ProtocolException("PROXY v2 header: a Unix socket path that is not a path: " + e.getMessage());
        }
    }

    private static int u16(byte[] bytes, int at) {
        return ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
    }
}
