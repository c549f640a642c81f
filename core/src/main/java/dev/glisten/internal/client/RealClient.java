package dev.glisten.internal.client;

import dev.glisten.Client;
import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.NegotiatedTls;
import dev.glisten.internal.accept.Listeners;
import dev.glisten.internal.connection.ConnectionProcess;
import dev.glisten.internal.io.Descriptors;
import dev.glisten.internal.io.WatchedSocket;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One outbound connection: {@link #connect} opens the socket on the caller's thread, sends the
 * PROXY header if there is one, and starts the connection's own thread, which runs the TLS
 * handshake, {@code onInit}, the loop and {@code onClose} exactly as a server's connection does
 * ({@link ConnectionProcess}). The caller gets the handle once that thread has its socket watched,
 * and over TLS once the handshake is done (or failed), so that nothing it sends can go out before
 * the handshake, and {@link #tls()} is known.
 */
public final class RealClient<M> implements Client<M> {

    // Beyond the handshake timeout: the connection's thread must first be scheduled.
    private static final Duration READY_GRACE = Duration.ofSeconds(1);

    private final ConnectionProcess<?, M> process;
    private final ClientSide<?, M> side;

    private RealClient(ConnectionProcess<?, M> process, ClientSide<?, M> side) {
        this.process = process;
        this.side = side;
    }

    /** Connects to {@code host:port}, trying each of its addresses in turn. */
    public static <S, M> Client<M> connect(ClientOptions<S, M> options, String host, int port) throws IOException {
        SocketChannel channel = Connector.connect(host, port, options.connectTimeout(), options.socketOptions());
        return start(options, channel, host, port);
    }

    /** Connects to the Unix domain socket at {@code socketFile}. */
    public static <S, M> Client<M> connect(ClientOptions<S, M> options, Path socketFile) throws IOException {
        SocketChannel channel = Connector.connect(socketFile, options.connectTimeout());
        // TLS over a socket file verifies and names the peer as "localhost".
        return start(options, channel, "localhost", -1);
    }

    private static <S, M> Client<M> start(ClientOptions<S, M> options, SocketChannel channel, String host, int port)
            throws IOException {
        ClientRuntime runtime;
        ClientSide<S, M> side;
        ConnectionProcess<S, M> process;
        try {
            sendProxyHeader(options, channel);
            channel.configureBlocking(false);
            runtime = ClientRuntime.get();
            side = new ClientSide<>(options, runtime.buffers(options.readBufferSize()), host, port);
            process = new ConnectionProcess<>(side, new WatchedSocket(channel, runtime.watcher()));
            runtime.threads().startConnection(process);
        } catch (IOException | RuntimeException | Error e) {
            Descriptors.release(channel);
            throw e;
        }
        RealClient<M> client = new RealClient<>(process, side);
        // Until its thread has registered the socket with a watcher, a send that has to wait for
        // room could not be woken; over TLS, nothing may be sent before the handshake.
        client.awaitReady(options.tls() == null ? READY_GRACE : options.tls().handshakeTimeout().plus(READY_GRACE));
        return client;
    }

    /**
     * Writes the PROXY header before anything else, while the socket is still blocking: a new
     * connection's send buffer always has room for it, so this never waits for the peer.
     */
    private static void sendProxyHeader(ClientOptions<?, ?> options, SocketChannel channel) throws IOException {
        if (options.proxyHeader() == null) {
            return;
        }
        ByteBuffer header = ByteBuffer.wrap(options.proxyHeader().encode(options.proxyVersion()));
        while (header.hasRemaining()) {
            channel.write(header);
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        try {
            if (!side.awaitReady(timeout)) {
                // Its thread was never scheduled: give up on the connection rather than wait on.
                process.close();
            }
        } catch (InterruptedException e) {
            process.close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + peerAddress());
        }
    }

    @Override
    public boolean send(M message) {
        return process.handle().send(message);
    }

    @Override
    public int backlog() {
        return process.handle().backlog();
    }

    @Override
    public boolean isOpen() {
        return process.handle().isOpen();
    }

    @Override
    public SocketAddress peerAddress() {
        return process.peerAddress();
    }

    @Override
    public SocketAddress localAddress() {
        return process.localAddress();
    }

    @Override
    public Optional<NegotiatedTls> tls() {
        return process.tls();
    }

    @Override
    public Connection<M> connection() {
        return process;
    }

    @Override
    public Optional<CloseReason> closeReason() {
        return Optional.ofNullable(side.closed().getNow(null));
    }

    @Override
    public Optional<CloseReason> awaitClose(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(side.closed().get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("never completed exceptionally", e);
        }
    }

    @Override
    public CompletionStage<CloseReason> closed() {
        return side.closed().minimalCompletionStage();
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return "Client[" + Listeners.describe(localAddress()) + " -> " + Listeners.describe(peerAddress())
                + (isOpen() ? "" : ", closed") + "]";
    }
}
