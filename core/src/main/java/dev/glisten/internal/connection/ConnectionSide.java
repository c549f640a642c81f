package dev.glisten.internal.connection;

import dev.glisten.CloseReason;
import dev.glisten.MailboxOverflow;
import dev.glisten.internal.loop.Inbound;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.TlsChannel;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.socket.SocketOptions;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * What a {@link ConnectionProcess} needs from the side that opened its socket: a server that
 * accepted it ({@link OpenConnections}) or a client that connected it. The process runs the same
 * loop, sends and TLS either way; the side decides what comes before {@code onInit} (a PROXY
 * header read, a handshake as server or as client), what is counted and recorded, and who is told
 * when the connection ends.
 *
 * @param <S> the connection's state
 * @param <M> the type of user messages
 */
public interface ConnectionSide<S, M> {

    /** The handler, its callbacks and the loop's limits. */
    LoopOptions<S, M> loop();

    /** Where reads borrow their buffers. */
    Inbound.Pool inboundBuffers();

    /** The options applied to the socket as the connection's thread starts. */
    SocketOptions socketOptions();

    /** How long one send may wait for the peer to take its bytes. */
    Duration sendTimeout();

    /** Whether a client connection (its peer is the server): said in log lines and errors. */
    boolean isClient();

    /** On the connection's thread, once its socket is watched. */
    void opened(ConnectionProcess<S, M> process);

    /**
     * On the connection's thread, before {@code onInit}: what the side does first (read a PROXY
     * header, run a TLS handshake).
     *
     * @return whether the connection goes on; if not, the process has been finished or abandoned
     */
    boolean prepare(ConnectionProcess<S, M> process);

    /**
     * The server side of TLS over the process's socket, for a handshake before {@code onInit} or
     * a STARTTLS ({@link dev.glisten.Connection#startTls}).
     *
     * @throws IllegalStateException on a client's side, whose peer is the server
     */
    TlsChannel serverTls(ConnectionProcess<S, M> process, RealTls with);

    /** On the connection's thread: a TLS handshake ended, for counting. */
    void handshakeEnded(boolean succeeded);

    /** From a sender's thread: a message did not fit the mailbox and {@code policy} applied. */
    void mailboxOverflowed(SocketAddress peer, int capacity, MailboxOverflow policy);

    /** On the connection's thread, once, after {@code onClose} (or if it could not even start). */
    void ended(ConnectionProcess<S, M> process, CloseReason reason);
}
