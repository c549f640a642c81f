package dev.glisten;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and how a server reads the PROXY protocol header that a load balancer (HAProxy, AWS NLB,
 * nginx's {@code proxy_protocol}, Envoy, ...) sends at the start of each connection to say who the
 * client really is. Given to {@link Server.Builder#proxyProtocol(ProxyProtocol)}; without it (the
 * default) no header is read and the bytes a client sends first are its own.
 *
 * <p>The header is read on the connection's own thread right after it is accepted, before the TLS
 * handshake and before {@link OnInit}, within {@link #headerTimeout()}; exactly the header's bytes
 * are taken from the stream, and whatever follows it reaches the handshake or the first
 * {@link Message.Packet} untouched. Afterwards {@link Connection#peerAddress()} is the client's
 * address as the proxy saw it, {@link Connection#proxyAddress()} the proxy's own, and
 * {@link Connection#proxyHeader()} all that the header said (its v2 TLVs included). A header that
 * is malformed, truncated, too long, of a version not accepted, or that does not arrive in time
 * ends that connection only: {@link OnClose} gets {@link CloseReason.ProxyHeaderRejected} and a
 * {@code null} state, the cause is logged at DEBUG and counted in
 * {@link ServerStats#proxyHeaderRejections()}. A {@code LOCAL} header (a proxy's own health check)
 * is accepted and leaves the addresses as they are.
 *
 * <p><b>Only for trusted networks.</b> Whoever can connect to the server can claim any client
 * address with a header of their own. Let only the proxies reach the port (a firewall, a private
 * network). {@linkplain #optional optional} mode is weaker still: a client that connects directly
 * is served with its own address, so it must be a client you trust as much as the proxies.
 *
 * @param accepted which versions of the protocol are read: {@link Version#V1} (the text line),
 *     {@link Version#V2} (binary, with TLVs) or {@link Version#ANY} (either, told apart by their
 *     first bytes); a header of another version is rejected
 * @param required {@code true}: every connection must start with a header, and one that does not
 *     is rejected; {@code false}: a connection that does not start with a header is served as a
 *     direct one, and so is one that sends nothing at all within the header timeout (so protocols in
 *     which the server speaks first still work, after that wait)
 * @param headerTimeout how long the whole header may take to arrive, from the accept; proxies send
 *     it at once, so a few seconds suffice and bound what a slow or silent client costs
 */
public record ProxyProtocol(Version accepted, boolean required, Duration headerTimeout) {

    /** The header timeout unless one is given: 5 seconds. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);

    /** The longest header timeout allowed: 1 minute. A proxy sends its header at once. */
    public static final Duration LONGEST_HEADER_TIMEOUT = Duration.ofMinutes(1);

    /** The versions of the PROXY protocol. */
    public enum Version {
        /** Version 1: one text line such as {@code PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n}. */
        V1,
        /** Version 2: a binary header, which may carry TLVs (ALPN, authority, TLS details, ...). */
        V2,
        /** Either version, recognized by its signature. */
        ANY;

        /**
         * Whether a header of protocol version {@code version} (1 or 2) is accepted.
         *
         * @param version 1 or 2
         * @return {@code true} if this setting accepts it
         */
        public boolean accepts(int version) {
            return this == ANY || (this == V1 ? version == 1 : version == 2);
        }
    }

    /**
     * Checks the options.
     *
     * @throws NullPointerException if {@code accepted} or {@code headerTimeout} is null
     * @throws IllegalArgumentException naming {@code headerTimeout} if it is not positive or is
     *     longer than {@link #LONGEST_HEADER_TIMEOUT}
     */
    public ProxyProtocol {
        Objects.requireNonNull(accepted, "accepted");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (headerTimeout.isNegative() || headerTimeout.isZero() || headerTimeout.compareTo(LONGEST_HEADER_TIMEOUT) > 0) {
            throw new IllegalArgumentException("headerTimeout (PROXY protocol) must be positive and at most "
                    + LONGEST_HEADER_TIMEOUT.toSeconds() + " seconds, got " + headerTimeout);
        }
    }

    /**
     * Every connection must begin with a header of {@code accepted} version, within the default
     * header timeout (5 seconds). The usual setting behind a proxy.
     *
     * @param accepted {@link Version#V1}, {@link Version#V2} or {@link Version#ANY}
     * @return the options
     */
    public static ProxyProtocol required(Version accepted) {
        return new ProxyProtocol(accepted, true, DEFAULT_HEADER_TIMEOUT);
    }

    /**
     * A header of {@code accepted} version is read if a connection begins with one; a connection
     * that does not is served as a direct one, with its own address. For a port that both proxies
     * and trusted clients reach; see the security note on {@link ProxyProtocol}.
     *
     * @param accepted {@link Version#V1}, {@link Version#V2} or {@link Version#ANY}
     * @return the options, with the default header timeout (5 seconds)
     */
    public static ProxyProtocol optional(Version accepted) {
        return new ProxyProtocol(accepted, false, DEFAULT_HEADER_TIMEOUT);
    }

    /**
     * The same options with another header timeout.
     *
     * @param timeout positive, at most {@link #LONGEST_HEADER_TIMEOUT}
     * @return new options
     * @throws IllegalArgumentException naming {@code headerTimeout} if out of range
     */
    public ProxyProtocol withHeaderTimeout(Duration timeout) {
        return new ProxyProtocol(accepted, required, timeout);
    }
}
