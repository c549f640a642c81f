package dev.glisten;

import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One open connection as {@link Server#connections()} saw it at one moment: where it is from, how
 * long it has been open, how many bytes went each way, and the handle to send it messages.
 *
 * @param handle sends the connection {@link Message.User} messages or closes it; safe from any
 *     thread, and harmless once the connection has ended
 * @param peerAddress the client's address: with {@link Server.Builder#proxyProtocol(ProxyProtocol)},
 *     the one the PROXY header gave once it was read (see {@link Connection#peerAddress()})
 * @param localAddress the address it connected to
 * @param openedAt when it was accepted
 * @param bytesReceived bytes read from the peer so far (decrypted bytes for TLS)
 * @param bytesSent bytes sent to the peer so far (before encryption for TLS)
 * @param tls what its TLS handshake settled; empty for plain TCP or before the handshake ended
 * @param proxyHeader the PROXY protocol header it began with; empty without one, or before it was read
 * @param <M> the type of {@link Message.User} messages the connection accepts
 */
public record ConnectionInfo<M>(
        ConnectionHandle<M> handle,
        SocketAddress peerAddress,
        SocketAddress localAddress,
        Instant openedAt,
        long bytesReceived,
        long bytesSent,
        Optional<NegotiatedTls> tls,
        Optional<ProxyHeader> proxyHeader) {

    /**
     * How long the connection had been open when this snapshot was taken.
     *
     * @return the time since {@link #openedAt()}, never negative
     */
    public Duration age() {
        Duration age = Duration.between(openedAt, Instant.now());
        return age.isNegative() ? Duration.ZERO : age;
    }
}
