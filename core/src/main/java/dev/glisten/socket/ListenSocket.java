package dev.glisten.socket;

import dev.glisten.Tls;
import dev.glisten.internal.accept.Listeners;
import dev.glisten.internal.accept.UnixSocketFile;
import dev.glisten.internal.io.Descriptors;
import dev.glisten.internal.io.Readiness;
import dev.glisten.internal.io.TcpTransport;
import dev.glisten.internal.io.UnixTransport;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.TlsTransport;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bound TCP listen socket: glisten's {@code tcp.listen} and {@code tcp.accept} for code that
 * serves connections itself instead of through {@link dev.glisten.Server}. Also a Unix domain
 * listen socket, from {@link #listen(Path, SocketOptions)}, with the same calls.
 *
 * <pre>{@code
 * try (ListenSocket listener = ListenSocket.listen(0)) {
 *     int port = listener.port();          // the port the kernel chose
 *     try (ClientSocket client = listener.accept()) {
 *         client.send(client.receive(1024));
 *     }
 * }
 * }</pre>
 *
 * <p>The {@link SocketOptions} given to {@link #listen(int, SocketOptions)} say where to listen and
 * configure every socket {@link #accept()} returns ({@code noDelay}, {@code keepAlive},
 * {@code linger}, buffer sizes).
 *
 * <p>With a {@link Tls} ({@link #listen(int, SocketOptions, Tls)}) every accepted socket speaks
 * TLS. Accepting does not run the handshake, so one slow or silent client never holds up the
 * accepting thread: the handshake runs on the thread that serves the connection, when it calls
 * {@link ClientSocket#handshake(Duration)} or first receives or sends. The
 * {@linkplain dev.glisten.socket package description} has a TLS echo server.
 *
 * <p>Thread safety: any thread may call any method. Several threads may accept on one listen socket;
 * each connection goes to exactly one of them. {@link #close()} may be called from any
 * thread and wakes every thread blocked in an accept.
 */
public final class ListenSocket implements AutoCloseable {

    private final ServerSocketChannel channel;
    private final SocketOptions options;
    // Null for plain TCP.
    private final RealTls tls;
    // Read once: a closed channel no longer reports its address. A UnixDomainSocketAddress for a
    // socket file.
    private final SocketAddress address;
    // For a socket file only: how accepts wait (the channel is non-blocking), and which file to remove.
    private final Readiness acceptable;
    private final Object unixFileKey;
    // Accepts take turns here rather than only on the channel's own lock, which has no timeout:
    // behind an untimed accept, a timed one would otherwise wait past its deadline.
    private final ReentrantLock acceptLock = new ReentrantLock();

    private ListenSocket(ServerSocketChannel channel, SocketOptions options, RealTls tls) throws IOException {
        this.channel = channel;
        this.options = options;
        this.tls = tls;
        this.address = channel.getLocalAddress();
        if (address instanceof UnixDomainSocketAddress unix) {
            // No socket adaptor, so no SO_TIMEOUT: timed accepts wait in a selector.
            channel.configureBlocking(false);
            this.acceptable = new Readiness(channel, SelectionKey.OP_ACCEPT);
            this.unixFileKey = UnixSocketFile.key(unix.getPath());
        } else {
            this.acceptable = null;
            this.unixFileKey = null;
        }
    }

    /**
     * Listens on {@code port} with {@link SocketOptions#defaults()}: every IPv4 address, backlog
     * 1024, {@code SO_REUSEADDR}, {@code TCP_NODELAY} on accepted sockets.
     *
     * @param port 0 to 65535; 0 lets the kernel choose a free port, which {@link #port()} reports
     * @return the listen socket; close it when done
     * @throws IllegalArgumentException naming {@code port} when out of range
     * @throws BindException when the port is in use or needs privileges; the message names the
     *     address and port
     * @throws IOException when the socket cannot be opened
     */
    public static ListenSocket listen(int port) throws IOException {
        return listen(port, SocketOptions.defaults());
    }

    /**
     * Listens on {@code port} at {@link SocketOptions#bindAddress()}, keeping {@code options} for
     * every accepted socket.
     *
     * @param port 0 to 65535; 0 lets the kernel choose a free port, which {@link #port()} reports
     * @param options where to listen and how to configure accepted sockets
     * @return the listen socket; close it when done
     * @throws IllegalArgumentException naming {@code port} when out of range
     * @throws BindException when the port is in use, needs privileges, or the bind address is not
     *     one of this machine's; the message names the address and port
     * @throws UnknownHostException when the bind address is a host name that does not resolve
     * @throws IOException when the socket cannot be opened
     */
    public static ListenSocket listen(int port, SocketOptions options) throws IOException {
        return open(port, options, null);
    }

    /**
     * Listens on {@code port} at {@link SocketOptions#bindAddress()}, keeping {@code options} for
     * every accepted socket, each of which speaks TLS with {@code tls}. {@link #accept()} returns
     * a socket whose handshake has not run: it runs on the serving thread, at
     * {@link ClientSocket#handshake(Duration)} or the first receive or send (then bounded by
     * {@link Tls#handshakeTimeout()}). The {@code Tls} is used as it is now; to serve renewed
     * certificates, listen again with {@link Tls#reloaded()}.
     *
     * @param port 0 to 65535; 0 lets the kernel choose a free port, which {@link #port()} reports
     * @param options where to listen and how to configure accepted sockets
     * @param tls the certificate and options every accepted socket's handshake uses
     * @return the listen socket; close it when done
     * @throws IllegalArgumentException naming {@code port} when out of range
     * @throws BindException when the port is in use, needs privileges, or the bind address is not
     *     one of this machine's; the message names the address and port
     * @throws UnknownHostException when the bind address is a host name that does not resolve
     * @throws IOException when the socket cannot be opened
     */
    public static ListenSocket listen(int port, SocketOptions options, Tls tls) throws IOException {
        return open(port, options, (RealTls) Objects.requireNonNull(tls, "tls"));
    }

    /**
     * Listens on a Unix domain socket at {@code socketFile} with {@link SocketOptions#defaults()}; see
     * {@link #listen(Path, SocketOptions)}.
     *
     * @param socketFile where to create the socket file
     * @return the listen socket; close it when done, which removes the file
     * @throws IOException as for {@link #listen(Path, SocketOptions)}
     */
    public static ListenSocket listen(Path socketFile) throws IOException {
        return listen(socketFile, SocketOptions.defaults());
    }

    /**
     * Listens on a Unix domain socket at {@code socketFile}, for local clients
     * ({@link ClientSocket#connect(Path, Duration)}). A socket file left there by a server that is
     * gone is removed first; {@link #close()} removes this one's. Of {@code options} the backlog and
     * the buffer sizes apply; the TCP-only ones ({@code noDelay}, {@code keepAlive},
     * {@code linger}, the bind address) are ignored. Accepted sockets have no IP addresses, and
     * there is no TLS variant: serve TLS over a socket file with {@link dev.glisten.Server}.
     *
     * @param socketFile where to create the socket file; its directory must exist
     * @param options the backlog and buffer sizes
     * @return the listen socket; close it when done
     * @throws BindException naming {@code unix:PATH} when another live server listens there (it is
     *     left alone) or the directory does not exist
     * @throws IOException naming the path when it exists and is not a socket (it is never deleted),
     *     or the socket cannot be opened
     */
    public static ListenSocket listen(Path socketFile, SocketOptions options) throws IOException {
        Objects.requireNonNull(socketFile, "socketFile");
        Objects.requireNonNull(options, "options");
        ServerSocketChannel channel = Listeners.listen(socketFile, options);
        try {
            return new ListenSocket(channel, options, null);
        } catch (IOException | RuntimeException e) {
            channel.close();
            UnixSocketFile.remove(socketFile, UnixSocketFile.key(socketFile));
            throw e;
        }
    }

    private static ListenSocket open(int port, SocketOptions options, RealTls tls) throws IOException {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 (any free port) and 65535, got " + port);
        }
        Objects.requireNonNull(options, "options");
        ServerSocketChannel channel = Listeners.listen(port, options);
        try {
            return new ListenSocket(channel, options, tls);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Waits for the next connection and returns it configured with this listen socket's
     * {@link SocketOptions}. Blocks without limit; {@link #close()} from another thread ends the wait.
     * From a TLS listen socket the connection's handshake has not run yet; see
     * {@link ClientSocket#handshake(Duration)}.
     *
     * <p>A failure while this listen socket is still {@linkplain #isOpen() open} concerns one
     * connection only (such as a peer that reset before being configured) or is passing (such as
     * too many open files, {@code EMFILE}): keep accepting, after a short pause for the latter.
     *
     * @return the accepted connection; close it when done
     * @throws ClosedChannelException when this listen socket is closed;
     *     {@link AsynchronousCloseException} when it is closed during the wait;
     *     {@link java.nio.channels.ClosedByInterruptException} when the waiting thread is
     *     interrupted, which closes this listen socket
     * @throws IOException when accepting or configuring the connection fails
     */
    public ClientSocket accept() throws IOException {
        ensureOpen();
        acceptLock.lock();
        SocketChannel accepted;
        try {
            accepted = acceptable == null ? channel.accept() : acceptWaiting(0L);
        } catch (IOException e) {
            throw ClientSocket.asChannelFailure(e, channel.isOpen());
        } finally {
            acceptLock.unlock();
        }
        return configured(accepted);
    }

    /**
     * As {@link #accept()}, giving up when no connection arrives within {@code timeout}. The time
     * counts from the call, including any wait for another thread's accept to end. A timeout leaves
     * this listen socket usable: the next accept gets the next connection.
     *
     * @param timeout how long to wait; positive, at most {@link Integer#MAX_VALUE} milliseconds
     *     (longer waits are shortened to that)
     * @return the accepted connection; close it when done
     * @throws IllegalArgumentException naming {@code timeout} unless positive
     * @throws SocketTimeoutException when no connection arrived in time
     * @throws java.io.InterruptedIOException (not a timeout) when the thread is interrupted while
     *     waiting for another thread's accept; the interrupt status is kept
     * @throws ClosedChannelException as for {@link #accept()}
     * @throws IOException as for {@link #accept()}
     */
    public ClientSocket accept(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + ClientSocket.positiveNanos(timeout);
        ensureOpen();
        if (!ClientSocket.lockBefore(acceptLock, deadline)) {
            throw acceptTimedOut(timeout, null);
        }
        SocketChannel accepted;
        try {
            if (acceptable != null) {
                accepted = acceptWaiting(deadline);
            } else {
                // A channel has no accept timeout; its socket adaptor has SO_TIMEOUT, which leaves the
                // channel usable after a timeout and parks a virtual thread instead of pinning it.
                channel.socket().setSoTimeout(TcpTransport.soTimeoutUntil(deadline));
                accepted = channel.socket().accept().getChannel();
            }
        } catch (SocketTimeoutException e) {
            throw acceptTimedOut(timeout, e);
        } catch (IOException e) {
            throw ClientSocket.asChannelFailure(e, channel.isOpen());
        } finally {
            acceptLock.unlock();
        }
        return configured(accepted);
    }

    /** Accepts from the non-blocking channel of a socket file, waiting until {@code deadline} (0: none). */
    private SocketChannel acceptWaiting(long deadline) throws IOException {
        for (;;) {
            SocketChannel accepted = channel.accept();
            if (accepted != null) {
                return accepted;
            }
            if (!acceptable.await(deadline)) {
                throw new SocketTimeoutException("accept timed out");
            }
        }
    }

    /**
     * The address this socket is bound to, with the port the kernel chose when 0 was asked for.
     * Still answers after {@link #close()}.
     *
     * @return the bound address and port
     * @throws IllegalStateException for a Unix domain socket, which has neither; see {@link #unixPath()}
     */
    public InetSocketAddress localAddress() {
        if (address instanceof InetSocketAddress inet) {
            return inet;
        }
        throw new IllegalStateException(this + " is a Unix domain socket, which has no IP address or port;"
                + " see unixPath()");
    }

    /**
     * The bound port, as {@code localAddress().getPort()}: give it to clients when you listened on 0.
     *
     * @return 1 to 65535
     * @throws IllegalStateException for a Unix domain socket; see {@link #unixPath()}
     */
    public int port() {
        return localAddress().getPort();
    }

    /**
     * The socket file of a listen socket opened with {@link #listen(Path, SocketOptions)}.
     *
     * @return its path; empty for TCP
     */
    public Optional<Path> unixPath() {
        return address instanceof UnixDomainSocketAddress unix ? Optional.of(unix.getPath()) : Optional.empty();
    }

    /**
     * Whether {@link #close()} has not been called yet (and no interrupted accept closed it).
     *
     * @return {@code true} until closed
     */
    public boolean isOpen() {
        return channel.isOpen();
    }

    /**
     * Stops listening and frees the port (or removes the socket file, if it is still this one's).
     * Threads blocked in {@link #accept()} wake with {@link AsynchronousCloseException};
     * connections already accepted stay open. Idempotent; never throws.
     */
    @Override
    public void close() {
        Descriptors.release(channel);
        if (acceptable != null) {
            acceptable.close();
            UnixSocketFile.remove(((UnixDomainSocketAddress) address).getPath(), unixFileKey);
        }
    }

    @Override
    public String toString() {
        return "ListenSocket[" + Listeners.describe(address) + (tls == null ? "" : ", TLS")
                + (isOpen() ? "" : ", closed") + "]";
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private ClientSocket configured(SocketChannel accepted) throws IOException {
        try {
            if (acceptable != null) {
                UnixTransport transport = new UnixTransport(accepted);
                transport.configure(options);
                return new ClientSocket(transport, true);
            }
            TcpTransport transport = new TcpTransport(accepted);
            transport.configure(options);
            return new ClientSocket(tls == null ? transport : new TlsTransport(transport, tls), true);
        } catch (IOException | RuntimeException e) {
            accepted.close();
            throw e;
        }
    }

    private SocketTimeoutException acceptTimedOut(Duration timeout, SocketTimeoutException cause) {
        SocketTimeoutException timedOut = new SocketTimeoutException("no connection to accept on "
                + Listeners.describe(address) + " within " + timeout);
        if (cause != null) {
            timedOut.initCause(cause);
        }
        return timedOut;
    }
}
