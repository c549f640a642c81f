package dev.glisten;

import java.net.SocketAddress;

/**
 * A connection's mailbox, safe to share with any thread: what glisten calls the connection's
 * subject. Values sent here reach the connection's {@link Handler} as {@link Message.User}.
 *
 * <p>Messages from one sending thread arrive in the order they were sent. The mailbox is
 * unbounded, like an Erlang process's: a sender never blocks, so two connections can message each
 * other without deadlock, and a producer that outruns a connection grows its mailbox; send less or
 * have the connection reply when that matters.
 *
 * <p>Handles compare by identity, so they can be kept in sets and maps (a chat room's members).
 *
 * @param <M> the type of messages the connection accepts
 */
public interface ConnectionHandle<M> {

    /**
     * Queues {@code message} for the connection's loop and returns at once.
     *
     * @param message the value to deliver; may be {@code null}
     * @return {@code true} if queued, {@code false} if the connection has already ended (the
     *     message is dropped)
     */
    boolean send(M message);

    /**
     * Whether the connection is still open. It may end right after this returns {@code true}.
     *
     * @return {@code false} once the connection has ended
     */
    boolean isOpen();

    /**
     * The peer's address.
     *
     * @return the remote address
     */
    SocketAddress peerAddress();

    /**
     * Closes the connection from any thread, as {@link Connection#close()} does.
     */
    void close();
}
