package dev.glisten.internal.client;

import dev.glisten.CloseReason;
import dev.glisten.MailboxOverflow;
import dev.glisten.internal.connection.ConnectionProcess;
import dev.glisten.internal.connection.ConnectionSide;
import dev.glisten.internal.loop.Inbound;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.TlsChannel;
import dev.glisten.socket.SocketOptions;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The client's side of one outbound connection: before {@code onInit} it runs the client side of
 * the TLS handshake (when configured), and when the connection ends it completes the future the
 * caller's {@link dev.glisten.Client} waits on. One per connection, since it carries that
 * connection's peer name (for SNI and verification) and its outcome.
 *
 * @param <S> the connection's state
 * @param <M> the type of user messages
 */
final class ClientSide<S, M> implements ConnectionSide<S, M> {

    private final ClientOptions<S, M> options;
    private final Inbound.Pool buffers;
    private final String host;
    private final int port;
    private final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    // Counted down once the connection is ready for the caller (its socket is watched and any
    // handshake done) or has ended.
    private final CountDownLatch ready = new CountDownLatch(1);

    /**
     * @param host the name or address the caller connected to: what TLS sends as SNI and verifies
     *     the certificate against, unless the TLS options name another
     */
    ClientSide(ClientOptions<S, M> options, Inbound.Pool buffers, String host, int port) {
        this.options = options;
        this.buffers = buffers;
        this.host = host;
        this.port = port;
    }

    CompletableFuture<CloseReason> closed() {
        return closed;
    }

    /** Waits until the connection is ready or has ended, at most {@code timeout}. */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public LoopOptions<S, M> loop() {
        return options.loop();
    }

    @Override
    public Inbound.Pool inboundBuffers() {
        return buffers;
    }

    @Override
    public SocketOptions socketOptions() {
        return options.socketOptions();
    }

    @Override
    public Duration sendTimeout() {
        return options.sendTimeout();
    }

    @Override
    public boolean isClient() {
        return true;
    }

    @Override
    public void opened(ConnectionProcess<S, M> process) {
        // Nothing to record: JFR events and counters are a server's.
    }

    @Override
    public boolean prepare(ConnectionProcess<S, M> process) {
        try {
            return options.tls() == null
                    || process.handshake(TlsChannel.client(process.socket(), options.tls(), host, port,
                            options.sendTimeout()), options.tls().handshakeTimeout());
        } finally {
            ready.countDown();
        }
    }

    @Override
    public TlsChannel serverTls(ConnectionProcess<S, M> process, RealTls with) {
        throw new IllegalStateException("startTls runs the server side of a TLS handshake; the connection to "
                + process.peerAddress() + " was opened by a client, so its peer is the server");
    }

    @Override
    public void handshakeEnded(boolean succeeded) {
        // Not counted: a client has no stats.
    }

    @Override
    public void mailboxOverflowed(SocketAddress peer, int capacity, MailboxOverflow policy) {
        // Not counted: a client has no stats; the sender learns it from send's result.
    }

    @Override
    public void ended(ConnectionProcess<S, M> process, CloseReason reason) {
        // The reason first: a caller that connect() returns to once ready counts down finds the
        // connection ended with its reason already there.
        closed.complete(reason);
        ready.countDown();
    }
}
