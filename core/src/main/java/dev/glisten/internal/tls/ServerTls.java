package dev.glisten.internal.tls;

import dev.glisten.Tls;
import dev.glisten.internal.io.WatchedSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The TLS of a running server: the configuration new connections handshake with, swapped whole
 * when it is reloaded (a connection keeps the one it shook hands with), and the buffers its TLS
 * connections borrow, made when the first one (or a STARTTLS) needs them.
 */
public final class ServerTls {

    private final int bufferSlots;
    private final ReentrantLock buffersLock = new ReentrantLock();
    private volatile RealTls current;
    private volatile TlsBuffers buffers;

    /**
     * @param initial what the server was started with, or {@code null} for plain TCP
     * @param bufferSlots how many buffers of each kind are kept for reuse
     */
    public ServerTls(RealTls initial, int bufferSlots) {
        this.current = initial;
        this.bufferSlots = bufferSlots;
    }

    /** The TLS configuration new connections handshake with, or {@code null} for plain TCP. */
    public RealTls current() {
        return current;
    }

    /**
     * Whether the configuration's files are to be watched for changes ({@link #fileWatcher}); read
     * once, at start.
     */
    public boolean watchesFiles() {
        RealTls tls = current;
        return tls != null && tls.reloadInterval() != null;
    }

    /**
     * Loads the current configuration's files again, then serves new connections with the result.
     *
     * @return what is served now
     * @throws IllegalStateException if the server was started without TLS
     */
    public RealTls reload() {
        replace(require().reloaded());
        return current;
    }

    /** Serves new connections with {@code replacement}. */
    public void replace(Tls replacement) {
        Objects.requireNonNull(replacement, "replacement");
        require();
        current = (RealTls) replacement;
    }

    private RealTls require() {
        RealTls tls = current;
        if (tls == null) {
            throw new IllegalStateException("this server was started without tls(...); there is nothing to reload");
        }
        return tls;
    }

    /**
     * What the server's TLS file watcher thread runs: calls {@code reload} when the files change,
     * while {@code running} says so. Only when {@link #watchesFiles()}.
     */
    public Runnable fileWatcher(Runnable reload, BooleanSupplier running) {
        return new TlsFileWatcher(current.reloadInterval(), this::current, reload, running);
    }

    /**
     * TLS over {@code socket}, speaking {@code with} (the server's or a STARTTLS's), borrowing this
     * server's buffers; it does nothing until its handshake.
     *
     * @param peer the client's address; its host and port are hints for the JDK's session cache
     * @param sendTimeout bounds the replies the peer's own handshake messages call for
     */
    public TlsChannel channel(WatchedSocket socket, RealTls with, SocketAddress peer, Duration sendTimeout) {
        InetSocketAddress inet = peer instanceof InetSocketAddress address ? address : null;
        return new TlsChannel(socket, with, inet == null ? null : inet.getHostString(),
                inet == null ? -1 : inet.getPort(), buffers(), sendTimeout);
    }

    private TlsBuffers buffers() {
        TlsBuffers made = buffers;
        if (made == null) {
            buffersLock.lock();
            try {
                made = buffers;
                if (made == null) {
                    made = TlsBuffers.sized(bufferSlots);
                    buffers = made;
                }
            } finally {
                buffersLock.unlock();
            }
        }
        return made;
    }
}
