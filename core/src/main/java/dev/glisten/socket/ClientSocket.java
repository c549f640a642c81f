package dev.glisten.socket;

import dev.glisten.NegotiatedTls;
import dev.glisten.Tls;
import dev.glisten.internal.accept.Listeners;
import dev.glisten.internal.client.Connector;
import dev.glisten.internal.io.TcpTransport;
import dev.glisten.internal.io.Transport;
import dev.glisten.internal.io.UnixTransport;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.TlsTransport;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;

/**
 * One connected TCP socket with blocking calls: glisten's {@code tcp.receive} and {@code tcp.send}
 * for code that manages its own sockets. Get one from {@link ListenSocket#accept()} on the server
 * side, or from {@link #connect(String, int, Duration)} on the client side. Over a Unix domain
 * socket ({@link ListenSocket#listen(Path, SocketOptions)}, {@link #connect(Path, Duration)}) the
 * calls are the same.
 *
 * <p>TLS: a socket accepted from a {@linkplain ListenSocket#listen(int, SocketOptions, Tls) TLS
 * listen socket} speaks TLS, and a plain accepted one can switch to it with
 * {@link #startTls(Tls, Duration)} (STARTTLS). Receives and sends then carry decrypted bytes and
 * behave as described here. Its handshake waits for the first call that needs it; call
 * {@link #handshake(Duration)} to run it at a moment and with a bound of your choosing, and to read
 * its outcome ({@link #tls()}) before the first receive. A failed handshake adds one kind of
 * failure, {@link SSLException}, and closes the socket.
 *
 * <p>Every call blocks the calling thread, which is cheap on a virtual thread: a blocked virtual
 * thread parks and frees its carrier. Failures are exceptions, never {@code null} or empty arrays:
 * <ul>
 * <li>{@link EOFException}: the peer closed its side (end of stream) and nothing more will arrive;
 * <li>{@link SocketTimeoutException}: a timed call ran out of time; the socket stays usable;
 * <li>{@link ClosedChannelException}: this socket was closed before the call, or (after
 * {@link #shutdownOutput()}) its sending side was;
 * <li>{@link AsynchronousCloseException}: another thread closed this socket while the call waited;
 * <li>{@link java.nio.channels.ClosedByInterruptException}: the waiting thread was interrupted, which
 * closes the socket, as for every {@link java.nio.channels.InterruptibleChannel};
 * <li>any other {@link IOException}, such as "Connection reset": the connection is broken; close it.
 * </ul>
 *
 * <p>Thread safety: any thread may call any method. Receives are serialised with each other, and
 * sends (with {@link #shutdownOutput()}) with each other, so each send reaches the wire whole; one
 * thread may receive while another sends. {@link #close()} may be called from any thread at any time
 * and wakes threads blocked in either direction.
 */
public final class ClientSocket implements AutoCloseable {

    // SO_TIMEOUT is an int of milliseconds, so this is the longest wait a timed call can ask for.
    private static final Duration LONGEST_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);
    // A single read(2) rarely returns more than this; a larger buffer per socket would mostly sit idle.
    private static final int LARGEST_RECEIVE = 64 * 1024;

    // Replaced once, by startTls, while it holds both locks; volatile for the calls that read it
    // without one (close, isOpen, options).
    private volatile Transport transport;
    // Only the server side of a TLS handshake is offered, so only accepted sockets may start one.
    private final boolean accepted;
    private final ReentrantLock receiveLock = new ReentrantLock();
    private final ReentrantLock sendLock = new ReentrantLock();
    // Reused across receives, guarded by receiveLock, and grown up to LARGEST_RECEIVE on demand.
    private ByteBuffer receiveBuffer;

    ClientSocket(Transport transport, boolean accepted) {
        this.transport = transport;
        this.accepted = accepted;
    }

    /**
     * Opens a client connection to {@code host:port}. The socket has the kernel's default options;
     * change them with {@link #setOption(SocketOption, Object)}.
     *
     * <p>Blocks until the connection is established or {@code timeout} passes. Resolving a host name
     * happens first and is not bounded by {@code timeout}; pass an IP literal to avoid it.
     *
     * @param host an IP literal or a host name
     * @param port the peer's port, 1 to 65535
     * @param timeout how long to wait for the connection; positive, at most {@link Integer#MAX_VALUE}
     *     milliseconds (longer waits are shortened to that)
     * @return the connected socket; close it when done
     * @throws IllegalArgumentException naming {@code port} or {@code timeout} when out of range
     * @throws UnknownHostException when {@code host} does not resolve
     * @throws SocketTimeoutException when the connection is not established in time
     * @throws ConnectException when the peer refuses (nothing listens on that port)
     * @throws IOException for other failures; every message names the address
     */
    public static ClientSocket connect(String host, int port, Duration timeout) throws IOException {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
        positiveNanos(timeout);
        InetSocketAddress remote = new InetSocketAddress(host, port);
        if (remote.isUnresolved()) {
            throw new UnknownHostException("cannot connect to " + host + ":" + port + ": the host name does not resolve");
        }
        // The kernel's default options: this socket's user sets them with setOption.
        return new ClientSocket(new TcpTransport(Connector.connect(remote, timeout, null)), false);
    }

    /**
     * Opens a client connection to the Unix domain socket at {@code socketFile}, such as a
     * {@link dev.glisten.Server} started with {@link dev.glisten.Server.Builder#start(Path)} or a
     * {@link ListenSocket#listen(Path, SocketOptions)}. Receives and sends behave as over TCP; the
     * socket has no IP addresses ({@link #localAddress()} and {@link #peerAddress()} throw), no TCP
     * options, and no STARTTLS.
     *
     * @param socketFile the server's socket file
     * @param timeout how long to wait for the connection (only a server whose backlog is full makes
     *     it wait); positive
     * @return the connected socket; close it when done
     * @throws IllegalArgumentException naming {@code timeout} unless positive
     * @throws SocketTimeoutException when the connection is not established in time
     * @throws ConnectException when nobody listens there (a stale socket file)
     * @throws IOException for other failures, such as no file at that path; every message names
     *     {@code unix:PATH}
     */
    public static ClientSocket connect(Path socketFile, Duration timeout) throws IOException {
        Objects.requireNonNull(socketFile, "socketFile");
        positiveNanos(timeout);
        return new ClientSocket(new UnixTransport(Connector.connect(socketFile, timeout)), false);
    }

    /**
     * Receives the bytes available now, blocking until at least one arrives. Returns as many as one
     * read of the socket gives, up to {@code maxBytes} (and never more than 64 KiB per call), so a
     * message the peer sent in one piece may arrive in several; keep receiving until you have all
     * you expect.
     *
     * @param maxBytes the most bytes to return; at least 1
     * @return 1 to {@code maxBytes} bytes, in the order the peer sent them
     * @throws IllegalArgumentException naming {@code maxBytes} if below 1
     * @throws EOFException when the peer closed its side (over TLS: sent close_notify, or closed
     *     the connection); every later receive throws it too
     * @throws ClosedChannelException when this socket is closed; {@link AsynchronousCloseException}
     *     when another thread closes it during the call
     * @throws SSLException when a pending TLS handshake fails (see {@link #handshake(Duration)};
     *     {@link SocketTimeoutException} when it times out), or the peer sends what is not TLS
     * @throws IOException when the connection is broken, such as reset by the peer
     */
    public byte[] receive(int maxBytes) throws IOException {
        checkMaxBytes(maxBytes);
        ensureOpen();
        handshakeIfPending();
        receiveLock.lock();
        try {
            ByteBuffer buffer = receiveBuffer(maxBytes);
            return received(buffer, transport.read(buffer));
        } catch (IOException e) {
            throw asChannelFailure(e, transport.isOpen());
        } finally {
            receiveLock.unlock();
        }
    }

    /**
     * As {@link #receive(int)}, giving up when nothing arrives within {@code timeout}. The time
     * counts from the call, including any wait for another thread's receive on this socket to end.
     * A timeout consumes nothing: the socket stays usable and a later receive gets the next bytes,
     * over TLS too (a record that arrived in part is kept).
     *
     * <p>A TLS handshake that has not run yet runs first, bounded by the {@link Tls}'s handshake
     * timeout rather than by {@code timeout}, and the time counts from its end: a timed-out
     * handshake closes the socket, where a timed-out receive must not.
     *
     * @param maxBytes the most bytes to return; at least 1
     * @param timeout how long to wait; positive, at most {@link Integer#MAX_VALUE} milliseconds
     *     (longer waits are shortened to that)
     * @return 1 to {@code maxBytes} bytes
     * @throws IllegalArgumentException naming {@code maxBytes} or {@code timeout} when out of range
     * @throws SocketTimeoutException when nothing arrived in time
     * @throws java.io.InterruptedIOException (not a timeout) when the thread is interrupted while
     *     waiting for another thread's receive; the interrupt status is kept
     * @throws EOFException when the peer closed its side
     * @throws IOException as for {@link #receive(int)}
     */
    public byte[] receive(int maxBytes, Duration timeout) throws IOException {
        checkMaxBytes(maxBytes);
        long timeoutNanos = positiveNanos(timeout);
        ensureOpen();
        handshakeIfPending();
        long deadline = System.nanoTime() + timeoutNanos;
        if (!lockBefore(receiveLock, deadline)) {
            throw receiveTimedOut(timeout, null);
        }
        try {
            ByteBuffer buffer = receiveBuffer(maxBytes);
            return received(buffer, transport.read(buffer, TcpTransport.soTimeoutUntil(deadline)));
        } catch (SocketTimeoutException e) {
            throw receiveTimedOut(timeout, e);
        } catch (IOException e) {
            throw asChannelFailure(e, transport.isOpen());
        } finally {
            receiveLock.unlock();
        }
    }

    /**
     * Sends all of {@code bytes}, blocking until the kernel has taken them (not until the peer has
     * read them). Over TLS they are encrypted first, in records of up to 16 KiB, after the
     * handshake if it has not run yet (bounded by the {@link Tls}'s handshake timeout).
     *
     * @param bytes the bytes to send; may be empty
     * @throws ClosedChannelException when this socket or its sending side ({@link #shutdownOutput()})
     *     is closed; {@link AsynchronousCloseException} when another thread closes it during the call
     * @throws SSLException when a pending TLS handshake fails ({@link SocketTimeoutException} when it
     *     times out); the socket is then closed
     * @throws IOException when the connection is broken, such as "Broken pipe" or "Connection reset"
     */
    public void send(byte[] bytes) throws IOException {
        send(ByteBuffer.wrap(Objects.requireNonNull(bytes, "bytes")));
    }

    /**
     * Sends the remaining bytes of {@code buffer}, blocking until the kernel has taken them all. On
     * return the buffer's position equals its limit.
     *
     * @param buffer the bytes between position and limit are sent
     * @throws IOException as for {@link #send(byte[])}
     */
    public void send(ByteBuffer buffer) throws IOException {
        Objects.requireNonNull(buffer, "buffer");
        ensureOpen();
        handshakeIfPending();
        sendLock.lock();
        try {
            transport.write(buffer);
        } catch (IOException e) {
            throw asChannelFailure(e, transport.isOpen());
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Sends the remaining bytes of every buffer, in order, with gathering writes ({@code writev(2)}):
     * a header and a body go out together without first being copied into one array. Blocks until
     * the kernel has taken them all; no other send on this socket comes between them. Over TLS the
     * buffers are copied together in pieces of up to 16 KiB, each encrypted as one record, so small
     * buffers do not become one small record each.
     *
     * @param buffers the buffers, each sent from position to limit
     * @throws IOException as for {@link #send(byte[])}
     */
    public void send(ByteBuffer... buffers) throws IOException {
        Objects.requireNonNull(buffers, "buffers");
        for (int i = 0; i < buffers.length; i++) {
            Objects.requireNonNull(buffers[i], () -> "buffers contains null");
        }
        ensureOpen();
        handshakeIfPending();
        sendLock.lock();
        try {
            transport.write(buffers);
        } catch (IOException e) {
            throw asChannelFailure(e, transport.isOpen());
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Closes the sending side only ({@code shutdown(2)} with {@code SHUT_WR}): the peer receives end
     * of stream once it has read everything sent before, while this side can still receive. Use it
     * to say "that was my whole request". Waits for a send in progress on another thread to finish.
     * Later sends throw {@link ClosedChannelException}.
     *
     * <p>Over TLS it first sends the close_notify alert, TLS's own end of stream (RFC 8446 section
     * 6.1), after the handshake if that has not run. A TLS 1.3 peer may go on sending; a TLS 1.2
     * peer answers with its own close_notify and closes (RFC 5246 section 7.2.1), so this side then
     * receives {@link EOFException}. Half-closing is TLS 1.3's; with TLS 1.2, do it only at the end.
     *
     * @throws ClosedChannelException when this socket is closed
     * @throws SSLException when a pending TLS handshake fails ({@link SocketTimeoutException} when it
     *     times out)
     * @throws IOException when the connection is broken
     */
    public void shutdownOutput() throws IOException {
        ensureOpen();
        handshakeIfPending();
        sendLock.lock();
        try {
            transport.shutdownOutput();
        } catch (IOException e) {
            throw asChannelFailure(e, transport.isOpen());
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Runs the server side of the TLS handshake now, within the {@link Tls}'s
     * {@linkplain Tls.Builder#handshakeTimeout handshake timeout}; see {@link #handshake(Duration)}.
     *
     * @return what the handshake settled
     * @throws IllegalStateException when this socket speaks plain TCP
     * @throws IOException as for {@link #handshake(Duration)}
     */
    public NegotiatedTls handshake() throws IOException {
        if (!(transport instanceof TlsTransport tls)) {
            throw notTls();
        }
        return handshake(tls.handshakeTimeout());
    }

    /**
     * Runs the server side of the TLS handshake now, waiting at most {@code timeout}, and returns
     * what it settled: protocol, cipher suite, ALPN protocol, requested server name and the
     * client's certificates. {@link ListenSocket#accept()} does not run it, so the accepting thread
     * never waits on a client; call this on the thread that serves the connection. Without it the
     * first receive, send or {@link #shutdownOutput()} runs it, bounded by the {@link Tls}'s
     * handshake timeout.
     *
     * <p>The bound covers the whole handshake, however slowly the client sends. Once the handshake
     * has completed this returns its outcome at once; while another thread runs it, this waits for
     * that one within {@code timeout}. Any failure closes the socket.
     *
     * @param timeout how long the handshake may take; positive, at most {@link Integer#MAX_VALUE}
     *     milliseconds (longer waits are shortened to that)
     * @return what the handshake settled, also given by {@link #tls()} from now on
     * @throws IllegalArgumentException naming {@code timeout} unless positive
     * @throws IllegalStateException when this socket speaks plain TCP (see {@link #startTls(Tls, Duration)})
     * @throws SocketTimeoutException when the handshake does not complete in time
     * @throws SSLException ({@link javax.net.ssl.SSLHandshakeException}, naming the peer, with the
     *     JDK's reason as the cause) when it fails: the client is not speaking TLS, shares no
     *     protocol version, cipher suite or ALPN protocol with the {@link Tls}, has no trusted
     *     certificate when one is required, or leaves
     * @throws ClosedChannelException when this socket is closed; {@link AsynchronousCloseException}
     *     when it is closed during the handshake, or another thread's handshake on it failed
     * @throws java.nio.channels.ClosedByInterruptException when the thread is interrupted during
     *     the handshake; {@link java.io.InterruptedIOException} while waiting for another thread's.
     *     Either closes the socket and keeps the interrupt status
     */
    public NegotiatedTls handshake(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + positiveNanos(timeout);
        if (!(transport instanceof TlsTransport tls)) {
            throw notTls();
        }
        return tls.handshake(deadline, timeout);
    }

    /**
     * Upgrades this plain socket to TLS (STARTTLS) within the {@link Tls}'s handshake timeout; see
     * {@link #startTls(Tls, Duration)}.
     *
     * @param tls the certificate and options to use
     * @return what the handshake settled
     * @throws IOException as for {@link #startTls(Tls, Duration)}
     */
    public NegotiatedTls startTls(Tls tls) throws IOException {
        return startTls(Objects.requireNonNull(tls, "tls"), tls.handshakeTimeout());
    }

    /**
     * Upgrades this plain accepted socket to TLS in place (STARTTLS, as SMTP, IMAP, XMPP and
     * PostgreSQL do): runs the server side of the handshake now, on the calling thread; afterwards
     * receives return decrypted bytes and sends are encrypted. Call it after telling the client to
     * begin (for SMTP, after sending {@code 220 Ready to start TLS}). It waits for a receive or
     * send in progress on another thread to end, within {@code timeout}, which bounds the whole call.
     *
     * <p>Whatever plain bytes you received after the client's STARTTLS command are not part of the
     * TLS stream: discard them, never act on them (RFC 3207 section 4.2; CVE-2011-0411 was that
     * mistake). This socket keeps no received bytes of its own, so the handshake reads exactly what
     * the client sent after them.
     *
     * @param tls the certificate and options to use
     * @param timeout how long the call may take; positive, at most {@link Integer#MAX_VALUE}
     *     milliseconds (longer waits are shortened to that)
     * @return what the handshake settled, also given by {@link #tls()} from now on
     * @throws IllegalArgumentException naming {@code timeout} unless positive
     * @throws IllegalStateException when this socket already speaks TLS, or was opened by
     *     {@link #connect} (only the server side of a handshake is offered)
     * @throws SocketTimeoutException when the call does not complete in time; the socket is then
     *     closed
     * @throws SSLException when the handshake fails; the socket is then closed. See
     *     {@link #handshake(Duration)} for the reasons
     * @throws java.io.InterruptedIOException (not a timeout) when interrupted while waiting for
     *     another thread's call; the socket is then closed and the interrupt status kept
     * @throws ClosedChannelException as for {@link #handshake(Duration)}
     */
    public NegotiatedTls startTls(Tls tls, Duration timeout) throws IOException {
        Objects.requireNonNull(tls, "tls");
        long deadline = System.nanoTime() + positiveNanos(timeout);
        if (!accepted) {
            throw new IllegalStateException("startTls runs the server side of a TLS handshake; " + this
                    + " was opened by connect, so its peer is the server");
        }
        ensureOpen();
        if (transport instanceof UnixTransport) {
            throw new IllegalStateException("startTls is not offered on a Unix domain socket (" + this
                    + "); serve TLS over a socket file with Server.Builder.tls");
        }
        if (!(transport instanceof TcpTransport)) {
            throw new IllegalStateException(this + " already speaks TLS");
        }
        // Both directions, so that no receive or send is half-way through the plain stream when it
        // becomes a TLS one.
        boolean locked = false;
        try {
            locked = lockBefore(receiveLock, deadline);
            if (locked && !lockBefore(sendLock, deadline)) {
                receiveLock.unlock();
                locked = false;
            }
        } catch (InterruptedIOException e) {
            close();
            throw e;
        }
        if (!locked) {
            close();
            throw new SocketTimeoutException("cannot start TLS on " + this + " within " + timeout
                    + ": another thread's receive or send on it did not end");
        }
        try {
            ensureOpen();
            if (!(transport instanceof TcpTransport plain)) {
                throw new IllegalStateException(this + " already speaks TLS");
            }
            TlsTransport upgraded;
            try {
                upgraded = new TlsTransport(plain, (RealTls) tls);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
            transport = upgraded;
            return upgraded.handshake(deadline, timeout);
        } finally {
            sendLock.unlock();
            receiveLock.unlock();
        }
    }

    /**
     * What the TLS handshake settled: protocol, cipher suite, ALPN protocol, requested server name
     * and the client's certificates.
     *
     * @return the outcome; empty for plain TCP and until the handshake has completed
     */
    public Optional<NegotiatedTls> tls() {
        return transport.tls();
    }

    /**
     * The local end of the connection; still answers after {@link #close()}.
     *
     * @return this side's address and port
     * @throws IllegalStateException for a Unix domain socket, which has no IP address
     */
    public InetSocketAddress localAddress() {
        return inet(transport.localAddress());
    }

    /**
     * The remote end of the connection; still answers after {@link #close()}.
     *
     * @return the peer's address and port
     * @throws IllegalStateException for a Unix domain socket, which has no IP address
     */
    public InetSocketAddress peerAddress() {
        return inet(transport.peerAddress());
    }

    private InetSocketAddress inet(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet;
        }
        throw new IllegalStateException(this + " is a Unix domain socket, which has no IP address");
    }

    /**
     * Sets a socket option, such as {@link java.net.StandardSocketOptions#TCP_NODELAY} or
     * {@link java.net.StandardSocketOptions#SO_RCVBUF}. The kernel may adjust the value it
     * keeps (Linux doubles buffer sizes); read it back with {@link #option(SocketOption)}.
     *
     * @param option the option
     * @param value its new value
     * @param <T> the option's value type
     * @return this socket, to chain calls
     * @throws UnsupportedOperationException when this kind of socket has no such option
     * @throws IllegalArgumentException when the value is not valid for the option
     * @throws ClosedChannelException when this socket is closed
     * @throws IOException when the kernel rejects the setting
     */
    public <T> ClientSocket setOption(SocketOption<T> option, T value) throws IOException {
        transport.setOption(Objects.requireNonNull(option, "option"), value);
        return this;
    }

    /**
     * Reads a socket option's current value.
     *
     * @param option the option
     * @param <T> the option's value type
     * @return its value as the kernel reports it
     * @throws UnsupportedOperationException when this kind of socket has no such option
     * @throws ClosedChannelException when this socket is closed
     * @throws IOException when the kernel cannot report it
     */
    public <T> T option(SocketOption<T> option) throws IOException {
        return transport.getOption(Objects.requireNonNull(option, "option"));
    }

    /**
     * Whether {@link #close()} has not been called yet. An open socket may still have a broken
     * connection, or a peer that has closed its side; only a receive or send tells.
     *
     * @return {@code true} until closed
     */
    public boolean isOpen() {
        return transport.isOpen();
    }

    /**
     * Closes the socket and releases its descriptor. Threads blocked in a receive or send on it wake
     * with {@link AsynchronousCloseException}. Idempotent; never throws.
     *
     * <p>Over TLS it first sends the close_notify alert, so the peer can tell this end from a
     * truncated connection, unless the handshake has not completed or another thread is blocked in
     * a send (which the alert would queue behind). A peer that has stopped reading can leave no room
     * for the alert; then the socket closes without it after at most one second.
     */
    @Override
    public void close() {
        transport.close();
    }

    @Override
    public String toString() {
        Transport current = transport;
        String tls = current instanceof TlsTransport
                ? ", " + current.tls().map(NegotiatedTls::protocol).orElse("TLS handshake pending") : "";
        return "ClientSocket[" + Listeners.describe(current.localAddress()) + " -> "
                + Listeners.describe(current.peerAddress()) + tls + (isOpen() ? "" : ", closed") + "]";
    }

    /**
     * Runs a TLS handshake nobody has asked for yet, before a receive or send takes its lock:
     * bounded by the configuration's timeout, and reporting its own failures rather than having
     * them taken for the call's.
     */
    private void handshakeIfPending() throws IOException {
        if (transport instanceof TlsTransport tls && tls.tls().isEmpty()) {
            Duration timeout = tls.handshakeTimeout();
            tls.handshake(System.nanoTime() + positiveNanos(timeout), timeout);
        }
    }

    private IllegalStateException notTls() {
        return new IllegalStateException(this + " speaks plain TCP; accept from ListenSocket.listen(port, options, tls) "
                + "for TLS, or upgrade with startTls");
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!transport.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private ByteBuffer receiveBuffer(int maxBytes) {
        int wanted = Math.min(maxBytes, LARGEST_RECEIVE);
        if (receiveBuffer == null || receiveBuffer.capacity() < wanted) {
            receiveBuffer = ByteBuffer.allocate(wanted);
        }
        return receiveBuffer.clear().limit(wanted);
    }

    private byte[] received(ByteBuffer buffer, int count) throws EOFException {
        if (count < 0) {
            throw new EOFException("the peer " + Listeners.describe(transport.peerAddress())
                    + " closed the connection (end of stream)");
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private SocketTimeoutException receiveTimedOut(Duration timeout, SocketTimeoutException cause) {
        return withCause(new SocketTimeoutException("nothing received from "
                + Listeners.describe(transport.peerAddress()) + " within " + timeout), cause);
    }

    private static void checkMaxBytes(int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1, got " + maxBytes);
        }
    }

    /**
     * Checks a timeout argument of this package's timed calls.
     *
     * @return the timeout in nanoseconds, shortened to what {@code SO_TIMEOUT} can express
     * @throws IllegalArgumentException naming {@code timeout} unless positive
     */
    static long positiveNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        return timeout.compareTo(LONGEST_TIMEOUT) > 0 ? LONGEST_TIMEOUT.toNanos() : timeout.toNanos();
    }

    /**
     * Takes {@code lock} unless {@code deadline} passes first. A timed call must not wait without
     * limit behind an untimed one, which the JDK's own channel locks would make it do.
     *
     * @return whether the lock is now held
     * @throws InterruptedIOException when interrupted while waiting, keeping the interrupt status
     */
    static boolean lockBefore(ReentrantLock lock, long deadline) throws InterruptedIOException {
        try {
            return lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for another thread's call on this socket");
        }
    }

    /**
     * Reports a failed blocking call on a socket that was open when the call began the way NIO
     * does, whichever path the call took: the socket adaptor behind the timed calls may say
     * "Socket is closed" where the channel would throw {@link AsynchronousCloseException}, and a
     * call queued behind another one finds the channel already closed.
     */
    static IOException asChannelFailure(IOException failure, boolean openNow) {
        if (openNow || failure instanceof AsynchronousCloseException) {
            return failure;
        }
        return withCause(new AsynchronousCloseException(), failure);
    }

    private static <E extends IOException> E withCause(E exception, Throwable cause) {
        if (cause != null) {
            exception.initCause(cause);
        }
        return exception;
    }
}
