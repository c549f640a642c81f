package dev.glisten.internal.loop;

import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import java.net.SocketAddress;

/**
 * A connection's {@link ConnectionHandle}: what other threads hold to send it messages, through
 * its {@link ConnectionLoop}'s mailbox. One per connection, for its whole life, so handles compare
 * by identity.
 */
final class LoopHandle<M> implements ConnectionHandle<M> {

    private final ConnectionLoop<?, M> loop;
    private final Connection<M> connection;

    LoopHandle(ConnectionLoop<?, M> loop, Connection<M> connection) {
        this.loop = loop;
        this.connection = connection;
    }

    @Override
    public boolean send(M message) {
        return loop.offer(message);
    }

    @Override
    public int backlog() {
        return loop.backlog();
    }

    @Override
    public boolean isOpen() {
        return loop.isOpen();
    }

    @Override
    public SocketAddress peerAddress() {
        return connection.peerAddress();
    }

    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "ConnectionHandle[" + connection.peerAddress() + (loop.isOpen() ? "" : ", closed") + "]";
    }
}
