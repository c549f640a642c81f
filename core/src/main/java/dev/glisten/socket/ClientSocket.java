package dev.glisten.socket;

import dev.glisten.internal.Listeners;
import dev.glisten.internal.TcpTransport;
import dev.glisten.internal.Transport;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connected TCP socket with blocking calls: glisten's {@code tcp.receive} and {@code tcp.send}
 * for code that manages its own sockets. Get one from {@link ListenSocket#accept()} on the server
 * side, or from {@link #connect(String, int, Duration)} on the client side.
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

    private final Transport transport;
    private final ReentrantLock receiveLock = new ReentrantLock();
    private final ReentrantLock sendLock = new ReentrantLock();
    // Reused across receives, guarded by receiveLock, and grown up to LARGEST_RECEIVE on demand.
    private ByteBuffer receiveBuffer;

    ClientSocket(Transport transport) {
        this.transport = transport;
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
        int timeoutMillis = millisLeft(System.nanoTime() + positiveNanos(timeout));
        InetSocketAddress remote = new InetSocketAddress(host, port);
        String where = host + ":" + port;
        if (remote.isUnresolved()) {
            throw new UnknownHostException("cannot connect to " + where + ": the host name does not resolve");
        }
        where = Listeners.hostAndPort(remote);
        SocketChannel channel = SocketChannel.open();
        try {
            // A channel has no connect timeout; its socket adaptor does (and parks a virtual thread).
            channel.socket().connect(remote, timeoutMillis);
            return new ClientSocket(new TcpTransport(channel));
        } catch (SocketTimeoutException e) {
            channel.close();
            throw withCause(new SocketTimeoutException("cannot connect to " + where + " within " + timeout), e);
        } catch (ConnectException e) {
            channel.close();
            throw withCause(new ConnectException("cannot connect to " + where + ": " + e.getMessage()), e);
        } catch (NoRouteToHostException e) {
            channel.close();
            throw withCause(new NoRouteToHostException("cannot connect to " + where + ": " + e.getMessage()), e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
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
     * @throws EOFException when the peer closed its side; every later receive throws it too
     * @throws ClosedChannelException when this socket is closed; {@link AsynchronousCloseException}
     *     when another thread closes it during the call
     * @throws IOException when the connection is broken, such as reset by the peer
     */
    public byte[] receive(int maxBytes) throws IOException {
        checkMaxBytes(maxBytes);
        ensureOpen();
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
     * A timeout consumes nothing: the socket stays usable and a later receive gets the next bytes.
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
        long deadline = System.nanoTime() + positiveNanos(timeout);
        ensureOpen();
        if (!lockBefore(receiveLock, deadline)) {
            throw receiveTimedOut(timeout, null);
        }
        try {
            ByteBuffer buffer = receiveBuffer(maxBytes);
            return received(buffer, transport.read(buffer, millisLeft(deadline)));
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
     * read them).
     *
     * @param bytes the bytes to send; may be empty
     * @throws ClosedChannelException when this socket or its sending side ({@link #shutdownOutput()})
     *     is closed; {@link AsynchronousCloseException} when another thread closes it during the call
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
     * the kernel has taken them all; no other send on this socket comes between them.
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
     * @throws ClosedChannelException when this socket is closed
     * @throws IOException when the connection is broken
     */
    public void shutdownOutput() throws IOException {
        ensureOpen();
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
     * The local end of the connection; still answers after {@link #close()}.
     *
     * @return this side's address and port
     */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) transport.localAddress();
    }

    /**
     * The remote end of the connection; still answers after {@link #close()}.
     *
     * @return the peer's address and port
     */
    public InetSocketAddress peerAddress() {
        return (InetSocketAddress) transport.peerAddress();
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
     */
    @Override
    public void close() {
        transport.close();
    }

    @Override
    public String toString() {
        return "ClientSocket[" + Listeners.hostAndPort(localAddress()) + " -> "
                + Listeners.hostAndPort(peerAddress()) + (isOpen() ? "" : ", closed") + "]";
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
            throw new EOFException("the peer " + Listeners.hostAndPort(peerAddress())
                    + " closed the connection (end of stream)");
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private SocketTimeoutException receiveTimedOut(Duration timeout, SocketTimeoutException cause) {
        return withCause(new SocketTimeoutException("nothing received from "
                + Listeners.hostAndPort(peerAddress()) + " within " + timeout), cause);
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
     * The whole milliseconds left until {@code deadline} (a {@link System#nanoTime()} value), rounded
     * up and at least 1, since {@code SO_TIMEOUT} 0 would mean "wait forever".
     */
    static int millisLeft(long deadline) {
        long nanos = deadline - System.nanoTime();
        long millis = TimeUnit.NANOSECONDS.toMillis(nanos + 999_999);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
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
