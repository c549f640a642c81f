package dev.glisten;

import dev.glisten.internal.proxy.ProxyHeaderWriter;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The PROXY protocol header a connection began with (see {@link ProxyProtocol}), as
 * {@link Connection#proxyHeader()} gives it: the protocol version, the command, the addresses of
 * the original connection, and for version 2 its TLVs (type-length-value fields) with typed
 * accessors for the registered ones.
 *
 * <p>It is also the header a client sends first, when it opens a connection on behalf of someone
 * else (a proxy, a load balancer, a gateway) to a server that reads the PROXY protocol: made with
 * {@link #proxied} (or {@link #local()} for a connection of its own, such as a health check),
 * given TLVs with {@link #withAlpn}, {@link #withAuthority}, {@link #withUniqueId},
 * {@link #withSsl}, {@link #withCrc32c} or {@link #withTlv}, and turned into bytes with
 * {@link #encode}. Version 1, the text line, carries
 * TCP over IPv4 or IPv6 and nothing more; version 2 carries Unix socket addresses and TLVs too.
 *
 * <pre>{@code
 * ProxyHeader header = ProxyHeader.proxied(relayed.peerAddress(), relayed.localAddress())
 *         .withAuthority("api.example.com");
 * out.write(header.encode(ProxyProtocol.Version.V2)); // before any other byte, TLS included
 * }</pre>
 *
 * @param version 1 (text) or 2 (binary): the version the header was read in; the factories make
 *     version 2 headers, and {@link #encode} writes either version whatever this says
 * @param command {@link Command#PROXY} for a relayed connection, {@link Command#LOCAL} for one the
 *     proxy made itself (a health check; version 2 only)
 * @param source the original client's address: an {@link java.net.InetSocketAddress} for TCP (or
 *     UDP) over IPv4 or IPv6, a {@link java.net.UnixDomainSocketAddress} for a Unix socket; empty
 *     for {@code LOCAL}, for v1 {@code UNKNOWN} and for v2 {@code AF_UNSPEC}
 * @param destination the address the client connected to (the proxy's listening address), in the
 *     same form; empty when {@code source} is
 * @param tlvs every TLV of a version 2 header, in order, including unknown and {@code NOOP} ones
 *     ({@code PP2_TYPE_SSL}'s sub-TLVs are inside its value, see {@link #ssl()}); empty for v1 and
 *     for {@code LOCAL} (whose address block the protocol says to discard)
 */
public record ProxyHeader(int version, Command command, Optional<SocketAddress> source,
        Optional<SocketAddress> destination, List<Tlv> tlvs) {

    /** {@code PP2_TYPE_ALPN}: the application protocol the client negotiated with the proxy. */
    public static final int TYPE_ALPN = 0x01;
    /** {@code PP2_TYPE_AUTHORITY}: the host name the client asked for (TLS SNI), UTF-8. */
    public static final int TYPE_AUTHORITY = 0x02;
    /** {@code PP2_TYPE_CRC32C}: a checksum of the header; checked when present. */
    public static final int TYPE_CRC32C = 0x03;
    /** {@code PP2_TYPE_NOOP}: padding, to be ignored. */
    public static final int TYPE_NOOP = 0x04;
    /** {@code PP2_TYPE_UNIQUE_ID}: an opaque identifier of the connection, at most 128 bytes. */
    public static final int TYPE_UNIQUE_ID = 0x05;
    /** {@code PP2_TYPE_SSL}: whether and how the client spoke TLS to the proxy; see {@link Ssl}. */
    public static final int TYPE_SSL = 0x20;
    /** {@code PP2_SUBTYPE_SSL_VERSION}: the TLS version, such as {@code TLSv1.3}. */
    public static final int SUBTYPE_SSL_VERSION = 0x21;
    /** {@code PP2_SUBTYPE_SSL_CN}: the common name of the client certificate's subject, UTF-8. */
    public static final int SUBTYPE_SSL_CN = 0x22;
    /** {@code PP2_SUBTYPE_SSL_CIPHER}: the cipher suite, such as {@code ECDHE-RSA-AES128-GCM-SHA256}. */
    public static final int SUBTYPE_SSL_CIPHER = 0x23;
    /** {@code PP2_SUBTYPE_SSL_SIG_ALG}: the algorithm that signed the client certificate. */
    public static final int SUBTYPE_SSL_SIG_ALG = 0x24;
    /** {@code PP2_SUBTYPE_SSL_KEY_ALG}: the client certificate's key algorithm. */
    public static final int SUBTYPE_SSL_KEY_ALG = 0x25;
    /** {@code PP2_TYPE_NETNS}: the network namespace the connection came from. */
    public static final int TYPE_NETNS = 0x30;

    /** The PROXY protocol's commands. */
    public enum Command {
        /** The proxy relays a client's connection: {@code source} and {@code destination} describe it. */
        PROXY,
        /** The proxy speaks for itself (a health check): the socket's own addresses apply. */
        LOCAL
    }

    /**
     * Checks the components and makes the list unmodifiable.
     *
     * @throws IllegalArgumentException if {@code version} is not 1 or 2
     * @throws NullPointerException if a component is null
     */
    public ProxyHeader {
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("version must be 1 or 2, got " + version);
        }
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        tlvs = List.copyOf(tlvs);
    }

    /**
     * A header saying that this connection relays one from {@code source} to {@code destination}:
     * command {@link Command#PROXY}, with TCP over IPv4 or over IPv6 as the addresses are, or
     * stream Unix domain sockets. In version 1 it is the line {@code PROXY TCP4|TCP6 source
     * destination source-port destination-port}; version 2 says the same in binary, with any TLVs
     * added to it, and alone carries Unix socket paths (108 bytes each at most, in UTF-8).
     *
     * <p>The two addresses must be of one family, as the two ends of one connection are. The one
     * exception is an IPv4 address beside an IPv4-mapped IPv6 one ({@code ::ffff:192.0.2.1}, as a
     * dual-stack socket may report its IPv4 peers): the IPv4 address is then mapped as well and the
     * header is TCP over IPv6, as HAProxy sends it. Host names and IPv6 scopes ({@code %eth0}) are
     * not kept: the header has room for neither.
     *
     * @param source the original client's address, such as {@link Connection#peerAddress()} of
     *     the connection being relayed: an {@link java.net.InetSocketAddress} or a
     *     {@link UnixDomainSocketAddress}
     * @param destination the address that client connected to, such as
     *     {@link Connection#localAddress()} of that connection, of the same kind
     * @return a version 2 header without TLVs
     * @throws NullPointerException if an address is null
     * @throws IllegalArgumentException naming both addresses if they are of different kinds or
     *     families (IPv4 and IPv6 that is not IPv4-mapped), or naming the address that is
     *     unresolved or a Unix socket path longer than 108 bytes
     */
    public static ProxyHeader proxied(SocketAddress source, SocketAddress destination) {
        return ProxyHeaderWriter.proxied(source, destination);
    }

    /**
     * A header saying that the connection is the sender's own, not a relayed one (a proxy's health
     * check of its server): command {@link Command#LOCAL}, no addresses, and the receiver keeps the
     * connection's own. Version 2 writes it as such (with any TLVs added to it); version 1 has no
     * such command, and writes {@code PROXY UNKNOWN}, which its receivers treat alike.
     *
     * @return a version 2 header without addresses or TLVs
     */
    public static ProxyHeader local() {
        return new ProxyHeader(2, Command.LOCAL, Optional.empty(), Optional.empty(), List.of());
    }

    /**
     * This header with one more TLV, after those it has, for version 2 (version 1 carries none).
     * Values a receiver would reject are refused here: a {@link #TYPE_UNIQUE_ID} over 128 bytes, a
     * {@link #TYPE_SSL} value that is not client, verify and whole sub-TLVs. A {@link #TYPE_CRC32C}
     * TLV is a place for the checksum, which {@link #encode} computes; see {@link #withCrc32c()}.
     *
     * @param type 0 to 255; see the {@code TYPE_} constants
     * @param value its bytes (copied)
     * @return a new header; this one is unchanged
     * @throws IllegalArgumentException if {@code type} is outside 0-255, the value is longer than
     *     65535 bytes or one the receiver would reject, the header would have two {@code CRC32C}
     *     TLVs, or its addresses and TLVs would take more than the 65535 bytes version 2 can count
     */
    public ProxyHeader withTlv(int type, byte[] value) {
        return ProxyHeaderWriter.withTlv(this, new Tlv(type, value));
    }

    /**
     * This header with a {@link #TYPE_ALPN} TLV: the application protocol the original client
     * negotiated with the sender, such as {@code h2}.
     *
     * @param protocol the protocol's name, written in ISO-8859-1 as {@link #alpn()} reads it
     * @return a new header
     * @throws IllegalArgumentException as {@link #withTlv} does
     */
    public ProxyHeader withAlpn(String protocol) {
        return withTlv(TYPE_ALPN, protocol.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * This header with a {@link #TYPE_AUTHORITY} TLV: the host name the original client asked the
     * sender for (its TLS SNI, or an HTTP {@code Host}).
     *
     * @param hostName the name, written in UTF-8
     * @return a new header
     * @throws IllegalArgumentException as {@link #withTlv} does
     */
    public ProxyHeader withAuthority(String hostName) {
        return withTlv(TYPE_AUTHORITY, hostName.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * This header with a {@link #TYPE_UNIQUE_ID} TLV: an opaque identifier of the connection, so
     * that the sender's logs and the receiver's can be joined.
     *
     * @param id at most 128 bytes (copied)
     * @return a new header
     * @throws IllegalArgumentException if {@code id} is longer than 128 bytes, or as {@link #withTlv}
     */
    public ProxyHeader withUniqueId(byte[] id) {
        return withTlv(TYPE_UNIQUE_ID, id);
    }

    /**
     * This header with a {@link #TYPE_SSL} TLV: what the sender knows of the original client's TLS
     * connection to it, as {@link #ssl()} reads it back.
     *
     * @param ssl the client bits (0-255), verify (an unsigned 32-bit number) and sub-TLVs
     * @return a new header
     * @throws IllegalArgumentException if {@code client} or {@code verify} is out of range, or as
     *     {@link #withTlv}
     */
    public ProxyHeader withSsl(Ssl ssl) {
        return ProxyHeaderWriter.withTlv(this, ProxyHeaderWriter.ssl(ssl));
    }

    /**
     * This header with a {@link #TYPE_CRC32C} TLV, whose value {@link #encode} computes over the
     * whole encoded header (CRC-32C, the specification's checksum), so that a receiver that checks
     * it, HAProxy among them, can tell a header damaged on the way. A header has one at most.
     *
     * @return a new header
     * @throws IllegalArgumentException if the header has one already, or as {@link #withTlv}
     */
    public ProxyHeader withCrc32c() {
        return withTlv(TYPE_CRC32C, new byte[4]);
    }

    /**
     * The header's bytes in {@code version}, for a client to write first on a new connection,
     * before any byte of its own (a TLS handshake included), as a proxy does; a server that reads
     * the PROXY protocol reads exactly these bytes and takes the rest as the client's.
     *
     * <p>Version 1 is the text line {@code PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n} (IPv6
     * addresses in RFC 5952's text), or {@code PROXY UNKNOWN\r\n} for a {@link #local()} header or
     * one without addresses; it cannot carry TLVs or Unix socket addresses, and a header with them
     * is refused rather than sent without them. Version 2 is binary: the 12-byte signature, the
     * version and command, the family (unspecified, IPv4, IPv6 or Unix) with transport stream, the
     * length, the addresses and the TLVs in order; a {@code LOCAL} header is sent with no
     * addresses. Either way, {@link #version()} is not consulted.
     *
     * @param version {@link ProxyProtocol.Version#V1} or {@link ProxyProtocol.Version#V2}: the one
     *     the receiving server accepts
     * @return a new array each time
     * @throws IllegalArgumentException if {@code version} is {@code ANY}; for version 1, if the
     *     header has TLVs or Unix socket addresses; for a header made with the canonical
     *     constructor, if its addresses are not both present (or both absent), are of different
     *     families or kinds, or are given to a {@code LOCAL} header; and for version 2 whatever
     *     {@link #withTlv} refuses
     */
    public byte[] encode(ProxyProtocol.Version version) {
        return ProxyHeaderWriter.encode(this, version);
    }

    /**
     * The first TLV of {@code type}.
     *
     * @param type such as {@link #TYPE_AUTHORITY}
     * @return the TLV, empty if the header has none of that type
     */
    public Optional<Tlv> tlv(int type) {
        return tlvs.stream().filter(tlv -> tlv.type() == type).findFirst();
    }

    /**
     * {@code PP2_TYPE_ALPN}: the application protocol the client and the proxy agreed on, such as
     * {@code h2}.
     *
     * @return the protocol name (its bytes read as ISO-8859-1), empty if not sent
     */
    public Optional<String> alpn() {
        return tlv(TYPE_ALPN).map(tlv -> new String(tlv.value, StandardCharsets.ISO_8859_1));
    }

    /**
     * {@code PP2_TYPE_AUTHORITY}: the host name the client asked the proxy for (its TLS SNI).
     *
     * @return the name, empty if not sent
     */
    public Optional<String> authority() {
        return tlv(TYPE_AUTHORITY).map(tlv -> new String(tlv.value, StandardCharsets.UTF_8));
    }

    /**
     * {@code PP2_TYPE_UNIQUE_ID}: the proxy's opaque identifier for this connection (HAProxy's
     * {@code unique-id}), for correlating logs.
     *
     * @return a copy of its bytes, empty if not sent
     */
    public Optional<byte[]> uniqueId() {
        return tlv(TYPE_UNIQUE_ID).map(Tlv::value);
    }

    /**
     * {@code PP2_TYPE_NETNS}: the network namespace the proxy accepted the connection in.
     *
     * @return its name, empty if not sent
     */
    public Optional<String> netns() {
        return tlv(TYPE_NETNS).map(tlv -> new String(tlv.value, StandardCharsets.US_ASCII));
    }

    /**
     * {@code PP2_TYPE_SSL}: whether the client spoke TLS to the proxy, and the details the proxy
     * passed on.
     *
     * @return the details, empty if not sent
     */
    public Optional<Ssl> ssl() {
        return tlv(TYPE_SSL).map(Ssl::of);
    }

    /**
     * One type-length-value field of a version 2 header.
     *
     * @param type 0 to 255; see the {@code TYPE_} constants of {@link ProxyHeader}
     * @param value the value's bytes (the record keeps a copy, and {@link #value()} returns one)
     */
    public record Tlv(int type, byte[] value) {

        /**
         * Checks and copies.
         *
         * @throws IllegalArgumentException if {@code type} is outside 0-255 or {@code value} is
         *     longer than 65535 bytes
         */
        public Tlv {
            if (type < 0 || type > 255) {
                throw new IllegalArgumentException("type must be between 0 and 255, got " + type);
            }
            if (value.length > 65_535) {
                throw new IllegalArgumentException("value must be at most 65535 bytes, got " + value.length);
            }
            value = value.clone();
        }

        /**
         * The value.
         *
         * @return a copy of its bytes
         */
        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Tlv tlv && tlv.type == type && Arrays.equals(tlv.value, value);
        }

        @Override
        public int hashCode() {
            return 31 * type + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Tlv[type=0x" + Integer.toHexString(type) + ", value=" + HexFormat.of().formatHex(value) + "]";
        }
    }

    /**
     * {@code PP2_TYPE_SSL}: what the proxy knows of the client's TLS connection to it.
     *
     * @param client the {@code PP2_CLIENT_*} bit field: {@code 0x01} the client connected over
     *     TLS, {@code 0x02} it presented a certificate on this connection, {@code 0x04} it presented
     *     one on the TLS session this connection resumed
     * @param verify 0 if the client presented a certificate and it was verified, another value
     *     otherwise (an unsigned 32-bit number)
     * @param tlvs the sub-TLVs, in order ({@code PP2_SUBTYPE_SSL_*})
     */
    public record Ssl(int client, long verify, List<Tlv> tlvs) {

        /** Makes the list unmodifiable. */
        public Ssl {
            tlvs = List.copyOf(tlvs);
        }

        private static Ssl of(Tlv tlv) {
            byte[] value = tlv.value;
            // The parser checked the layout: client (1 byte), verify (4), then sub-TLVs.
            int client = value[0] & 0xff;
            long verify = ((value[1] & 0xffL) << 24) | ((value[2] & 0xffL) << 16) | ((value[3] & 0xffL) << 8)
                    | (value[4] & 0xffL);
            ArrayList<Tlv> subs = new ArrayList<>();
            for (int at = 5; at + 3 <= value.length; ) {
                int length = ((value[at + 1] & 0xff) << 8) | (value[at + 2] & 0xff);
                if (at + 3 + length > value.length) {
                    break;
                }
                subs.add(new Tlv(value[at] & 0xff, Arrays.copyOfRange(value, at + 3, at + 3 + length)));
                at += 3 + length;
            }
            return new Ssl(client, verify, subs);
        }

        /**
         * Whether the client spoke TLS to the proxy ({@code PP2_CLIENT_SSL}).
         *
         * @return bit {@code 0x01} of {@link #client()}
         */
        public boolean clientUsedTls() {
            return (client & 0x01) != 0;
        }

        /**
         * Whether the client presented a certificate that the proxy verified.
         *
         * @return {@code true} if {@code PP2_CLIENT_CERT_CONN} or {@code PP2_CLIENT_CERT_SESS} is set
         *     and {@link #verify()} is 0
         */
        public boolean clientCertificateVerified() {
            return (client & 0x06) != 0 && verify == 0;
        }

        /**
         * {@code PP2_SUBTYPE_SSL_VERSION}.
         *
         * @return the TLS version, such as {@code TLSv1.3}; empty if not sent
         */
        public Optional<String> version() {
            return text(SUBTYPE_SSL_VERSION);
        }

        /**
         * {@code PP2_SUBTYPE_SSL_CN}.
         *
         * @return the common name of the client certificate's subject; empty if not sent
         */
        public Optional<String> commonName() {
            return text(SUBTYPE_SSL_CN);
        }

        /**
         * {@code PP2_SUBTYPE_SSL_CIPHER}.
         *
         * @return the cipher suite's name (OpenSSL's spelling); empty if not sent
         */
        public Optional<String> cipher() {
            return text(SUBTYPE_SSL_CIPHER);
        }

        /**
         * {@code PP2_SUBTYPE_SSL_SIG_ALG}.
         *
         * @return the client certificate's signature algorithm; empty if not sent
         */
        public Optional<String> signatureAlgorithm() {
            return text(SUBTYPE_SSL_SIG_ALG);
        }

        /**
         * {@code PP2_SUBTYPE_SSL_KEY_ALG}.
         *
         * @return the client certificate's key algorithm, such as {@code RSA2048}; empty if not sent
         */
        public Optional<String> keyAlgorithm() {
            return text(SUBTYPE_SSL_KEY_ALG);
        }

        private Optional<String> text(int type) {
            return tlvs.stream().filter(tlv -> tlv.type() == type).findFirst()
                    .map(tlv -> new String(tlv.value, StandardCharsets.UTF_8));
        }
    }
}
