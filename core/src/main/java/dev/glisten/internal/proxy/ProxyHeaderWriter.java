package dev.glisten.internal.proxy;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyHeader.Command;
import dev.glisten.ProxyHeader.Tlv;
import dev.glisten.ProxyProtocol.Version;
import dev.glisten.internal.accept.Listeners;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Makes and writes the PROXY protocol headers a client sends first, versions 1 and 2, as HAProxy's
 * specification ({@code doc/proxy-protocol.txt}) lays them out: the other half of
 * {@link ProxyHeaders}, which reads every header written here back as the same header (less what
 * the version cannot say; see {@link ProxyHeader#encode}).
 *
 * <p>A header that cannot be written as asked is refused with an {@link IllegalArgumentException}
 * that says why, never trimmed to fit: a receiver would act on what it was not told, and a TLV
 * dropped on the way is a fact lost without a trace. Whatever {@link ProxyHeaders} would reject (a
 * {@code UNIQUE_ID} over 128 bytes, a malformed {@code SSL} value) is refused here too, so a header
 * that encodes is one a receiver accepts.
 */
public final class ProxyHeaderWriter {

    private static final int UNSPEC = 0;
    private static final int INET = 1;
    private static final int INET6 = 2;
    private static final int UNIX = 3;
    private static final int V2_MAX_BODY = 65_535;

    private ProxyHeaderWriter() { }

    /** See {@link ProxyHeader#proxied}. */
    public static ProxyHeader proxied(SocketAddress source, SocketAddress destination) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Endpoints endpoints = endpoints(new ProxyHeader(2, Command.PROXY, Optional.of(source),
                Optional.of(destination), List.of()));
        return new ProxyHeader(2, Command.PROXY, Optional.of(endpoints.source), Optional.of(endpoints.destination),
                List.of());
    }

    /**
     * {@code header} with {@code tlv} added after its TLVs.
     *
     * @throws IllegalArgumentException if the TLV is one a receiver would reject, is a second
     *     {@code CRC32C}, or would make the header too long for version 2
     */
    public static ProxyHeader withTlv(ProxyHeader header, Tlv tlv) {
        check(tlv);
        List<Tlv> tlvs = new ArrayList<>(header.tlvs());
        tlvs.add(tlv);
        ProxyHeader longer = new ProxyHeader(header.version(), header.command(), header.source(),
                header.destination(), tlvs);
        bodyLength(longer, endpoints(longer));
        return longer;
    }

    /** The value of a {@code PP2_TYPE_SSL} TLV: the client bits, verify, then the sub-TLVs. */
    public static Tlv ssl(ProxyHeader.Ssl ssl) {
        if (ssl.client() < 0 || ssl.client() > 255) {
            throw new IllegalArgumentException("Ssl client must be a bit field of 0-255, got " + ssl.client());
        }
        if (ssl.verify() < 0 || ssl.verify() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("Ssl verify must be an unsigned 32-bit number, got " + ssl.verify());
        }
        ByteArrayOutputStream value = new ByteArrayOutputStream();
        value.write(ssl.client());
        value.writeBytes(new byte[] {(byte) (ssl.verify() >> 24), (byte) (ssl.verify() >> 16),
            (byte) (ssl.verify() >> 8), (byte) ssl.verify()});
        for (Tlv sub : ssl.tlvs()) {
            byte[] bytes = sub.value();
            value.writeBytes(new byte[] {(byte) sub.type(), (byte) (bytes.length >> 8), (byte) bytes.length});
            value.writeBytes(bytes);
        }
        return new Tlv(ProxyHeader.TYPE_SSL, value.toByteArray());
    }

    /** See {@link ProxyHeader#encode}. */
    public static byte[] encode(ProxyHeader header, Version version) {
        Objects.requireNonNull(version, "version");
        if (version == Version.ANY) {
            throw new IllegalArgumentException("encode writes V1 or V2, not ANY: a sender chooses the version"
                    + " its peer accepts");
        }
        Endpoints endpoints = endpoints(header);
        return version == Version.V1 ? v1(header, endpoints) : v2(header, endpoints);
    }

    // --- Version 1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" ---

    private static byte[] v1(ProxyHeader header, Endpoints endpoints) {
        if (!header.tlvs().isEmpty()) {
            throw new IllegalArgumentException("PROXY protocol v1 cannot carry TLVs, and this header has "
                    + header.tlvs().size() + " (types " + header.tlvs().stream()
                            .map(tlv -> "0x" + Integer.toHexString(tlv.type())).toList()
                    + "): encode it as V2, or make it without them");
        }
        if (endpoints.family == UNIX) {
            throw new IllegalArgumentException("PROXY protocol v1 carries TCP over IPv4 or IPv6 only, not the Unix"
                    + " socket addresses " + endpoints.source + " and " + endpoints.destination + ": encode it as V2");
        }
        String line;
        if (endpoints.family == UNSPEC) {
            // LOCAL has no v1 form; UNKNOWN is v1's "use the connection's own addresses".
            line = "PROXY UNKNOWN\r\n";
        } else {
            InetSocketAddress source = (InetSocketAddress) endpoints.source;
            InetSocketAddress destination = (InetSocketAddress) endpoints.destination;
            line = "PROXY " + (endpoints.family == INET ? "TCP4 " : "TCP6 ") + text(source.getAddress()) + " "
                    + text(destination.getAddress()) + " " + source.getPort() + " " + destination.getPort() + "\r\n";
        }
        if (line.length() > ProxyHeaders.V1_MAX_LENGTH) {
            // Cannot happen (the longest, two full IPv6 texts, is 104 bytes); a receiver would reject it.
            throw new IllegalStateException("a PROXY v1 line of " + line.length() + " bytes: " + line);
        }
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** An IPv4 address in dotted decimal, an IPv6 one in RFC 5952's canonical text. */
    private static String text(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return address.getHostAddress();
        }
        if (mapped(bytes)) {
            // RFC 5952 section 5: an IPv4-mapped address keeps its IPv4 part in dotted decimal.
            return "::ffff:" + (bytes[12] & 0xff) + "." + (bytes[13] & 0xff) + "." + (bytes[14] & 0xff) + "."
                    + (bytes[15] & 0xff);
        }
        return Listeners.shortIpv6(bytes);
    }

    // --- Version 2: signature, ver/cmd, family/transport, length, addresses, TLVs ---

    private static byte[] v2(ProxyHeader header, Endpoints endpoints) {
        int body = bodyLength(header, endpoints);
        ByteBuffer out = ByteBuffer.allocate(ProxyHeaders.V2_FIXED_LENGTH + body);
        out.put(ProxyHeaders.V2_SIGNATURE);
        out.put((byte) (header.command() == Command.LOCAL ? 0x20 : 0x21));
        // The transport is STREAM (TCP) whenever there are addresses: ProxyHeader has no UDP form.
        out.put((byte) (endpoints.family << 4 | (endpoints.family == UNSPEC ? 0 : 1)));
        out.putShort((short) body);
        if (endpoints.family == INET || endpoints.family == INET6) {
            InetSocketAddress source = (InetSocketAddress) endpoints.source;
            InetSocketAddress destination = (InetSocketAddress) endpoints.destination;
            out.put(source.getAddress().getAddress()).put(destination.getAddress().getAddress());
            out.putShort((short) source.getPort()).putShort((short) destination.getPort());
        } else if (endpoints.family == UNIX) {
            for (SocketAddress address : List.of(endpoints.source, endpoints.destination)) {
                int start = out.position();
                out.put(path((UnixDomainSocketAddress) address));
                out.position(start + ProxyHeaders.UNIX_PATH_LENGTH); // the rest stays zero
            }
        }
        int crcAt = -1;
        for (Tlv tlv : header.tlvs()) {
            byte[] value = tlv.value();
            out.put((byte) tlv.type()).putShort((short) value.length);
            if (tlv.type() == ProxyHeader.TYPE_CRC32C) {
                crcAt = out.position();
                value = new byte[4]; // the checksum is computed with its own field as zeros
            }
            out.put(value);
        }
        byte[] bytes = out.array();
        if (crcAt >= 0) {
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            ByteBuffer.wrap(bytes, crcAt, 4).putInt((int) crc.getValue());
        }
        return bytes;
    }

    /** What follows the fixed part: the address block and the TLVs, checked to fit the length field. */
    private static int bodyLength(ProxyHeader header, Endpoints endpoints) {
        int length = switch (endpoints.family) {
            case INET -> 12;
            case INET6 -> 36;
            case UNIX -> 2 * ProxyHeaders.UNIX_PATH_LENGTH;
            default -> 0;
        };
        int checksums = 0;
        for (Tlv tlv : header.tlvs()) {
            check(tlv);
            checksums += tlv.type() == ProxyHeader.TYPE_CRC32C ? 1 : 0;
            length += 3 + tlv.value().length;
        }
        if (checksums > 1) {
            throw new IllegalArgumentException("a PROXY v2 header has one CRC32C TLV at most, this one has " + checksums);
        }
        if (length > V2_MAX_BODY) {
            throw new IllegalArgumentException("PROXY v2 header: its addresses and TLVs take " + length
                    + " bytes, more than the " + V2_MAX_BODY + " its length field can count");
        }
        return length;
    }

    /** Refuses a TLV that {@link ProxyHeaders} (and the specification) would reject. */
    private static void check(Tlv tlv) {
        int length = tlv.value().length;
        switch (tlv.type()) {
            case ProxyHeader.TYPE_UNIQUE_ID -> {
                if (length > ProxyHeaders.UNIQUE_ID_MAX) {
                    throw new IllegalArgumentException("a UNIQUE_ID TLV holds at most " + ProxyHeaders.UNIQUE_ID_MAX
                            + " bytes, got " + length);
                }
            }
            case ProxyHeader.TYPE_CRC32C -> {
                if (length != 4) {
                    throw new IllegalArgumentException("a CRC32C TLV's value is 4 bytes (encode computes it), got "
                            + length);
                }
            }
            case ProxyHeader.TYPE_SSL -> {
                byte[] value = tlv.value();
                try {
                    if (length < 5) {
                        throw new ProtocolException("client and verify take 5 bytes, got " + length);
                    }
                    ProxyHeaders.tlvs(value, 5, length, " SSL sub-");
                } catch (ProtocolException e) {
                    throw new IllegalArgumentException("an SSL TLV must hold client (1 byte), verify (4) and whole"
                            + " sub-TLVs: " + e.getMessage(), e);
                }
            }
            default -> { }
        }
    }

    // --- The address block ---

    /** The family the header's addresses are written in, and the addresses as written. */
    private record Endpoints(int family, SocketAddress source, SocketAddress destination) { }

    private static Endpoints endpoints(ProxyHeader header) {
        Optional<SocketAddress> source = header.source();
        Optional<SocketAddress> destination = header.destination();
        if (header.command() == Command.LOCAL) {
            // Receivers (HAProxy among them) read a LOCAL header's TLVs right after its fixed part.
            if (source.isPresent() || destination.isPresent()) {
                throw new IllegalArgumentException("a LOCAL header carries no addresses (its receiver uses the"
                        + " connection's own), but this one has source " + source.orElse(null) + " and destination "
                        + destination.orElse(null));
            }
            return new Endpoints(UNSPEC, null, null);
        }
        if (source.isEmpty() && destination.isEmpty()) {
            return new Endpoints(UNSPEC, null, null);
        }
        if (source.isEmpty() || destination.isEmpty()) {
            throw new IllegalArgumentException("source and destination are both present or both absent, got source "
                    + source.orElse(null) + " and destination " + destination.orElse(null));
        }
        if (source.get() instanceof InetSocketAddress from && destination.get() instanceof InetSocketAddress to) {
            List<InetSocketAddress> pair = oneFamily(from, to);
            int family = pair.get(0).getAddress() instanceof Inet4Address ? INET : INET6;
            return new Endpoints(family, pair.get(0), pair.get(1));
        }
        if (source.get() instanceof UnixDomainSocketAddress from && destination.get() instanceof UnixDomainSocketAddress to) {
            checkPath("source", from);
            checkPath("destination", to);
            return new Endpoints(UNIX, from, to);
        }
        throw new IllegalArgumentException("source and destination are both InetSocketAddress or both"
                + " UnixDomainSocketAddress, got " + source.get().getClass().getSimpleName() + " "
                + source.get() + " and " + destination.get().getClass().getSimpleName() + " " + destination.get());
    }

    /**
     * The two addresses in one family, without host names or IPv6 scopes (the header has room for
     * neither). IPv4 beside an IPv4-mapped IPv6 address (what a dual-stack socket may report) is
     * mapped too, as HAProxy does when its two sides differ; IPv4 beside any other IPv6 address
     * describes no one connection, and is refused.
     */
    private static List<InetSocketAddress> oneFamily(InetSocketAddress source, InetSocketAddress destination) {
        for (InetSocketAddress address : List.of(source, destination)) {
            if (address.isUnresolved()) {
                throw new IllegalArgumentException((address == source ? "source " : "destination ") + address
                        + " is unresolved: a PROXY header carries addresses, not host names");
            }
        }
        byte[] from = source.getAddress().getAddress();
        byte[] to = destination.getAddress().getAddress();
        if (from.length != to.length) {
            byte[] six = from.length == 16 ? from : to;
            if (!mapped(six)) {
                throw new IllegalArgumentException("source " + source + " and destination " + destination
                        + " are of different families: a PROXY header's addresses are both IPv4 or both IPv6"
                        + " (an IPv4-mapped IPv6 address may stand beside an IPv4 one)");
            }
            from = from.length == 4 ? mapped4(from) : from;
            to = to.length == 4 ? mapped4(to) : to;
        }
        return List.of(new InetSocketAddress(bare(from), source.getPort()),
                new InetSocketAddress(bare(to), destination.getPort()));
    }

    private static boolean mapped(byte[] address) {
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    private static byte[] mapped4(byte[] four) {
        byte[] six = new byte[16];
        six[10] = (byte) 0xff;
        six[11] = (byte) 0xff;
        System.arraycopy(four, 0, six, 12, 4);
        return six;
    }

    private static InetAddress bare(byte[] address) {
        try {
            // InetAddress.getByAddress would turn an IPv4-mapped address into IPv4; keep the family.
            return address.length == 16 ? Inet6Address.getByAddress(null, address, null)
                    : InetAddress.getByAddress(address);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException("an address of " + address.length + " bytes", impossible);
        }
    }

    private static byte[] path(UnixDomainSocketAddress address) {
        return address.getPath().toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void checkPath(String which, UnixDomainSocketAddress address) {
        int length = path(address).length;
        if (length > ProxyHeaders.UNIX_PATH_LENGTH) {
            throw new IllegalArgumentException(which + " " + address + " is a path of " + length
                    + " bytes, more than the " + ProxyHeaders.UNIX_PATH_LENGTH + " a PROXY v2 header has room for");
        }
    }
}
