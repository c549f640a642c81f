package dev.glisten;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * Why a connection ended, as seen by {@link OnClose}. Exactly one reason is reported per
 * connection: the first cause wins (a server stop that closes the socket under a running loop is
 * reported as {@link ServerStopped}, not as the send failure it provokes).
 */
public sealed interface CloseReason {

    /**
     * Whether this is an orderly end: the peer closed, the loop stopped, the connection was closed
     * locally, the server stopped, or a configured idle timeout or lifetime ended it. Everything
     * else is a failure worth a look.
     *
     * @return {@code true} for an orderly end
     */
    default boolean isNormal() {
        return this instanceof PeerClosed || this instanceof Stopped || this instanceof ClosedLocally
                || this instanceof ServerStopped || this instanceof IdleTimedOut || this instanceof LifetimeEnded;
    }

    /** The peer closed its side (end of stream). */
    record PeerClosed() implements CloseReason { }

    /** The loop returned {@link Next#stop()}. */
    record Stopped() implements CloseReason { }

    /**
     * The loop returned {@link Next#stopAbnormal(String)}.
     *
     * @param reason the reason it gave
     */
    record StoppedAbnormally(String reason) implements CloseReason {
        /**
         * Checks that {@code reason} is present.
         *
         * @throws NullPointerException if {@code reason} is null
         */
        public StoppedAbnormally {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The loop threw (or returned {@code null}).
     *
     * @param error what it threw
     */
    record HandlerFailed(Throwable error) implements CloseReason { }

    /**
     * {@link OnInit} threw; {@link OnClose} gets a {@code null} state.
     *
     * @param error what it threw
     */
    record InitFailed(Throwable error) implements CloseReason { }

    /**
     * Reading from the socket failed, for example on a connection reset.
     *
     * @param error the read error
     */
    record SocketError(IOException error) implements CloseReason { }

    /**
     * Writing to the socket failed, for example because the peer reset the connection.
     *
     * @param error the write error
     */
    record SendFailed(IOException error) implements CloseReason { }

    /**
     * A send did not complete within the server's send timeout: the peer stopped reading.
     *
     * @param timeout the send timeout that expired
     */
    record SendTimedOut(Duration timeout) implements CloseReason { }

    /**
     * The TLS handshake failed or did not complete within the handshake timeout, so {@link OnInit}
     * never ran and {@link OnClose} gets a {@code null} state. Common on a public port (scanners,
     * plaintext clients, clients that distrust the certificate), so it is logged at DEBUG only, but
     * not {@linkplain #isNormal() normal}: a burst of them is worth a look.
     * Also the reason when {@link Connection#startTls(Tls)} fails, with the state at that point.
     *
     * @param error what failed: a {@link javax.net.ssl.SSLException} from the handshake, a
     *     {@link java.net.SocketTimeoutException} for the timeout, or the I/O error
     */
    record TlsHandshakeFailed(IOException error) implements CloseReason { }

    /**
     * The connection did not begin with an acceptable PROXY protocol header (see
     * {@link Server.Builder#proxyProtocol(ProxyProtocol)}): it was malformed, truncated, too long,
     * of a version not accepted, missing although required, or it did not arrive within the header
     * timeout. {@link OnInit} never ran and {@link OnClose} gets a {@code null} state. Logged at
     * DEBUG and counted in {@link ServerStats#proxyHeaderRejections()}; not
     * {@linkplain #isNormal() normal}, since behind a proxy it means a misconfiguration or a client
     * that bypassed the proxy.
     *
     * @param error what was wrong: a {@link java.net.ProtocolException} saying what was malformed,
     *     a {@link java.net.SocketTimeoutException} for the timeout, an {@link java.io.EOFException}
     *     if the peer closed first, or the I/O error
     */
    record ProxyHeaderRejected(IOException error) implements CloseReason { }

    /**
     * No bytes arrived from the peer for the {@linkplain Server.Builder#idleTimeout idle timeout}.
     *
     * @param timeout the idle timeout that expired
     */
    record IdleTimedOut(Duration timeout) implements CloseReason { }

    /**
     * The connection had been open for the {@linkplain Server.Builder#maxLifetime maximum lifetime}.
     *
     * @param maxLifetime the lifetime that ended
     */
    record LifetimeEnded(Duration maxLifetime) implements CloseReason { }

    /**
     * A message was sent to the connection's {@link ConnectionHandle} while its mailbox already
     * held {@link Server.Builder#mailboxCapacity(int)} messages, under the default
     * {@link MailboxOverflow#CLOSE} policy: the connection was not keeping up (typically its peer
     * stopped reading, so its loop waits in a send). Counted in
     * {@link ServerStats#mailboxOverflows()}; not {@linkplain #isNormal() normal}.
     *
     * @param capacity the mailbox's bound, in messages
     */
    record MailboxOverflowed(int capacity) implements CloseReason { }

    /**
     * A frame was larger than {@link Server.Builder#maxFrameSize(int)}: its length header declared
     * more (the connection closed at once, without reading or holding those bytes), or a line grew
     * past it without its delimiter. Not {@linkplain #isNormal() normal}.
     *
     * @param size the frame's size as declared by its header, or the bytes of a line seen so far,
     *     header and delimiter included
     * @param maxFrameSize the limit it exceeded
     */
    record FrameTooLarge(long size, int maxFrameSize) implements CloseReason { }

    /**
     * The bytes could not begin a frame of the connection's {@link Framing} (a length field whose
     * value makes the frame shorter than its header, or whatever a custom {@link FrameDecoder}
     * rejects). Not {@linkplain #isNormal() normal}.
     *
     * @param error what the decoder said was wrong
     */
    record FrameMalformed(java.net.ProtocolException error) implements CloseReason { }

    /** {@link Connection#close()} or {@link ConnectionHandle#close()} was called. */
    record ClosedLocally() implements CloseReason { }

    /** The server stopped ({@link Server#stop()}). */
    record ServerStopped() implements CloseReason { }
}
