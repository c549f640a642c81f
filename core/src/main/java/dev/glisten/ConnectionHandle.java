package dev.glisten;

import java.net.SocketAddress;

/**
 * A connection's mailbox, safe to share with any thread: what glisten calls the connection's
 * subject. Values sent here reach the connection's {@link Handler} as {@link Message.User}.
 *
 * <p>Messages from one sending thread arrive in the order they were sent. A send never blocks,
 * so two connections can message each other without deadlock; and the mailbox is bounded
 * ({@link Server.Builder#mailboxCapacity(int)}), so a connection that cannot keep up (its peer
 * stopped reading, and its loop waits in a send) cannot grow the server's memory. What happens at
 * the bound is the server's {@link MailboxOverflow} policy: by default the connection is closed
 * ({@link CloseReason.MailboxOverflowed}), as NATS disconnects a slow consumer; or the message is
 * refused and the connection goes on. Either way {@link #send(Object)} says whether the message was
 * queued, and {@link #backlog()} lets a sender skip or drop a member before it gets there.
 *
 * <p>Handles compare by identity, so they can be kept in sets and maps (a chat room's members).
 *
 * @param <M> the type of messages the connection accepts
 */
public interface ConnectionHandle<M> {

    /**
     * Queues {@code message} for the connection's loop and returns at once, never blocking.
     *
     * @param message the value to deliver; may be {@code null}
     * @return {@code true} if queued; {@code false} if not (the message is dropped): the connection
     *     has ended, or its mailbox is full, in which case the connection is also closed under the
     *     default {@link MailboxOverflow#CLOSE} policy and left open under
     *     {@link MailboxOverflow#REFUSE}
     */
    boolean send(M message);

    /**
     * How many messages wait in the mailbox now, not counting one being handled: a sender can skip
     * a member whose backlog is high (a chat dropping lines for a slow reader) before the bound
     * applies. A moment's reading; it may change right after.
     *
     * @return the messages queued and not yet delivered, 0 once the connection has ended
     */
    int backlog();

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
