package dev.glisten;

import java.net.SocketAddress;
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
 * @param version 1 (text) or 2 (binary)
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
