package dev.glisten.internal.tls;

import dev.glisten.NegotiatedTls;
import dev.glisten.internal.Threads;
import dev.glisten.internal.accept.Listeners;
import dev.glisten.internal.io.TcpTransport;
import dev.glisten.internal.io.Transport;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

/**
 * A {@link Transport} speaking TLS (server side) over a {@link TcpTransport}, for the low-level
 * API. The JDK's {@link SSLSocket}, layered over the channel's socket adaptor, runs the protocol;
 * this class adds what the JDK leaves open: a bound on the whole handshake (the JDK bounds each of
 * its reads, not their sum), a bound on sending close_notify when closing, and failures reported
 * as {@link TcpTransport}'s are (the JDK wraps a close or an interrupt of the channel under it in
 * an {@link javax.net.ssl.SSLException}).
 *
 * <p>The handshake never starts by itself: the owner calls {@link #handshake(long, Duration)} before
 * the first read or write, so it always has a deadline and never runs on an accepting thread.
 *
 * <p>Threads: one reader and one writer at a time (the owner serialises each direction, as
 * {@code ClientSocket} does); {@link #close()} from any thread at any time.
 */
public final class TlsTransport implements Transport {

    // Netty's SslHandler gives close_notify 3 s (closeNotifyFlushTimeout) before closing anyway;
    // our close() is called by user code that expects it to return promptly, so less.
    private static final Duration CLOSE_NOTIFY_TIMEOUT = Duration.ofSeconds(1);
    // The largest plaintext of one record (RFC 8446 section 5.1): a gathered send is copied in
    // pieces of this size, each one record, instead of one small record per buffer.
    private static final int LARGEST_RECORD = 16 * 1024;

    private final TcpTransport plain;
    private final Duration handshakeTimeout;
    private final SSLSocket ssl;
    // Taken once: SSLSocket refuses to hand out its streams after the peer's close_notify, when
    // reads must still report end of stream.
    private final InputStream input;
    private final OutputStream output;
    private final ReentrantLock handshakeLock = new ReentrantLock();
    // Held around every write, so close() sees whether close_notify would queue behind one.
    private final ReentrantLock writeLock = new ReentrantLock();
    // Set by close(), a failed handshake or an interrupt; not by the JDK closing the socket after
    // a fatal alert, whose later calls must report that alert rather than a close by this side.
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile NegotiatedTls negotiated;
    private volatile IOException handshakeFailure;
    private volatile boolean outputShutdown;

    /**
     * Layers TLS over {@code plain}, which this transport owns from now on. No I/O happens yet.
     *
     * @param tls the configuration the handshake will use
     */
    public TlsTransport(TcpTransport plain, RealTls tls) throws IOException {
        this.plain = plain;
        this.handshakeTimeout = tls.handshakeTimeout();
        this.ssl = tls.newServerSocket(plain.socket());
        this.input = ssl.getInputStream();
        this.output = ssl.getOutputStream();
    }

    /** The configuration's bound for a handshake the owner runs without choosing one. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * Runs the server side of the handshake unless it has completed, within {@code deadline}
     * (a {@link System#nanoTime()} value); another thread's handshake on this transport is waited
     * for within it too. Any failure closes the transport.
     *
     * @param timeout what {@code deadline} was computed from, for the message of a timeout
     * @return what the handshake settled; the same on every later call
     * @throws SocketTimeoutException when the deadline passes first
     * @throws SSLHandshakeException when the handshake fails: the peer is not speaking TLS, they
     *     share no protocol, suite or ALPN protocol, a client certificate is refused, or the peer
     *     leaves; the cause is what the JDK reported
     * @throws ClosedChannelException when closed before; {@link AsynchronousCloseException} when
     *     closed during the wait, or the handshake failed on another thread (then the cause)
     * @throws ClosedByInterruptException when the thread is interrupted during the handshake;
     *     {@link InterruptedIOException} while waiting for another thread's (the status is kept)
     */
    public NegotiatedTls handshake(long deadline, Duration timeout) throws IOException {
        NegotiatedTls done = negotiated;
        if (done != null) {
            return done;
        }
        if (closed.get()) {
            throw new ClosedChannelException();
        }
        boolean locked;
        try {
            locked = lockBefore(deadline);
        } catch (InterruptedIOException e) {
            throw handshakeFailed(e);
        }
        if (!locked) {
            throw handshakeFailed(timedOut(timeout, null));
        }
        try {
            if (negotiated == null) {
                if (closed.get()) {
                    throw withCause(new AsynchronousCloseException(), handshakeFailure);
                }
                negotiated = runHandshake(deadline, timeout);
            }
            return negotiated;
        } finally {
            handshakeLock.unlock();
        }
    }

    private NegotiatedTls runHandshake(long deadline, Duration timeout) throws IOException {
        // SO_TIMEOUT ends the common case, a client that sends nothing, with the JDK's own timeout;
        // the watchdog ends a client that sends a byte just before each read would time out.
        Watchdog watchdog = Watchdog.arm(plain, deadline);
        try {
            ssl.setSoTimeout(TcpTransport.soTimeoutUntil(deadline));
            ssl.startHandshake();
        } catch (IOException | RuntimeException e) {
            boolean expired = !watchdog.disarm() || e instanceof SocketTimeoutException;
            throw handshakeFailed(expired ? timedOut(timeout, e) : classified(e));
        }
        if (!watchdog.disarm()) {
            // It fired as the last message arrived and has closed the connection.
            throw handshakeFailed(timedOut(timeout, null));
        }
        return RealTls.negotiated(ssl.getSession(), ssl.getApplicationProtocol());
    }

    private IOException handshakeFailed(IOException failure) {
        handshakeFailure = failure;
        abort();
        return failure;
    }

    /** A handshake failure as the caller should see it. */
    private IOException classified(Exception failure) {
        if (closed.get()) {
            return withCause(new AsynchronousCloseException(), failure);
        }
        if (Thread.currentThread().isInterrupted()) {
            return withCause(new ClosedByInterruptException(), failure);
        }
        SSLHandshakeException failed = new SSLHandshakeException("the TLS handshake with "
                + Listeners.hostAndPort(peer()) + " failed: " + failure.getMessage());
        failed.initCause(failure);
        return failed;
    }

    private SocketTimeoutException timedOut(Duration timeout, Exception cause) {
        return withCause(new SocketTimeoutException("the TLS handshake with " + Listeners.hostAndPort(peer())
                + " did not complete within " + timeout), cause);
    }

    private boolean lockBefore(long deadline) throws InterruptedIOException {
        try {
            return handshakeLock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for another thread's TLS handshake");
        }
    }

    @Override
    public void configure(SocketOptions options) throws IOException {
        plain.configure(options);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return readWithin(dst, 0);
    }

    @Override
    public int read(ByteBuffer dst, long timeoutMillis) throws IOException {
        return readWithin(dst, TcpTransport.soTimeout(timeoutMillis));
    }

    /** One read of decrypted bytes; {@code soTimeout} 0 waits without limit. */
    private int readWithin(ByteBuffer dst, int soTimeout) throws IOException {
        ensureUsable();
        try {
            // The socket adaptor under the SSLSocket reads SO_TIMEOUT at every read, and the JDK
            // keeps a record that arrived in part across a timeout (SSLSocketInputRecord), so a
            // timeout loses nothing and the stream stays usable.
            ssl.setSoTimeout(soTimeout);
            return TcpTransport.readInto(input, dst);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        write(new ByteBuffer[] {src});
    }

    @Override
    public void write(ByteBuffer[] srcs) throws IOException {
        ensureUsable();
        // Uncontended but for close(), which only tries it: sends are serialised by the owner.
        writeLock.lock();
        try {
            if (outputShutdown) {
                throw new ClosedChannelException();
            }
            long total = 0;
            for (ByteBuffer src : srcs) {
                total += src.remaining();
            }
            if (total == 0) {
                return;
            }
            if (srcs.length == 1 && srcs[0].hasArray()) {
                ByteBuffer src = srcs[0];
                output.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
                src.position(src.limit());
            } else {
                writeGathered(srcs, (int) Math.min(total, LARGEST_RECORD));
            }
            // The JDK writes each record through to the socket; this is for an implementation that does not.
            output.flush();
        } catch (IOException e) {
            throw failure(e);
        } finally {
            writeLock.unlock();
        }
    }

    private void writeGathered(ByteBuffer[] srcs, int pieceSize) throws IOException {
        byte[] piece = new byte[pieceSize];
        int filled = 0;
        for (ByteBuffer src : srcs) {
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), piece.length - filled);
                src.get(piece, filled, n);
                filled += n;
                if (filled == piece.length) {
                    output.write(piece, 0, filled);
                    filled = 0;
                }
            }
        }
        if (filled > 0) {
            output.write(piece, 0, filled);
        }
    }

    /**
     * Sends close_notify (RFC 8446 section 6.1), then half-closes the socket ({@code SHUT_WR}). The
     * JDK only logs a failure to send the alert; under TLS 1.2 the peer answers with its own
     * close_notify and closes (RFC 5246 section 7.2.1), under TLS 1.3 it may go on sending.
     */
    @Override
    public void shutdownOutput() throws IOException {
        ensureUsable();
        writeLock.lock();
        try {
            outputShutdown = true;
            ssl.shutdownOutput();
        } catch (IOException e) {
            throw failure(e);
        } finally {
            writeLock.unlock();
        }
    }

    private void ensureUsable() throws IOException {
        if (closed.get()) {
            throw withCause(new AsynchronousCloseException(), handshakeFailure);
        }
        if (negotiated == null) {
            throw new IllegalStateException("the TLS handshake has not run; call handshake before reading or writing");
        }
    }

    /** A failed read or write as {@link TcpTransport} would report it. */
    private IOException failure(IOException failure) {
        if (failure instanceof SocketTimeoutException) {
            return failure;
        }
        if (closed.get()) {
            return withCause(new AsynchronousCloseException(), failure);
        }
        if (Thread.currentThread().isInterrupted() && !plain.isOpen()) {
            // NIO closed the channel for the interrupt, as for every InterruptibleChannel.
            closed.set(true);
            return withCause(new ClosedByInterruptException(), failure);
        }
        return failure;
    }

    /**
     * Sends close_notify, so the peer can tell this end from a truncation, when no write is in
     * progress (one blocked behind a full send buffer would hold the JDK's record lock) and within
     * {@link #CLOSE_NOTIFY_TIMEOUT}; then closes the socket. Idempotent; never throws.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (negotiated != null && !outputShutdown && writeLock.tryLock()) {
                try {
                    sendCloseNotify();
                } finally {
                    writeLock.unlock();
                }
            }
        } finally {
            plain.close();
        }
    }

    private void sendCloseNotify() {
        // A peer that stopped reading can leave no room for the alert; the watchdog then closes.
        Watchdog watchdog = Watchdog.arm(plain, System.nanoTime() + CLOSE_NOTIFY_TIMEOUT.toNanos());
        try {
            ssl.shutdownOutput();
        } catch (IOException | RuntimeException ignored) {
            // Best effort: the socket is closed next either way.
        } finally {
            watchdog.disarm();
        }
    }

    /** Closes without close_notify: after a failed handshake the JDK has sent its alert, if any. */
    private void abort() {
        closed.set(true);
        plain.close();
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    @Override
    public Optional<NegotiatedTls> tls() {
        return Optional.ofNullable(negotiated);
    }

    @Override
    public SocketAddress localAddress() {
        return plain.localAddress();
    }

    @Override
    public SocketAddress peerAddress() {
        return plain.peerAddress();
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        plain.setOption(option, value);
    }

    @Override
    public <T> T getOption(SocketOption<T> option) throws IOException {
        return plain.getOption(option);
    }

    private InetSocketAddress peer() {
        return (InetSocketAddress) plain.peerAddress();
    }

    private static <E extends IOException> E withCause(E exception, Throwable cause) {
        if (cause != null) {
            exception.initCause(cause);
        }
        return exception;
    }

    /**
     * Closes a connection whose bounded step is still running at its deadline: a virtual thread
     * that sleeps until then, and that {@link #disarm()} ends at once, so none outlives its step.
     * Whichever of firing and disarming comes first wins; the other does nothing.
     */
    private static final class Watchdog implements Runnable {

        private final TcpTransport connection;
        private final long deadline;
        private final AtomicBoolean settled = new AtomicBoolean();
        private Thread thread;

        private Watchdog(TcpTransport connection, long deadline) {
            this.connection = connection;
            this.deadline = deadline;
        }

        static Watchdog arm(TcpTransport connection, long deadline) {
            Watchdog watchdog = new Watchdog(connection, deadline);
            watchdog.thread = Threads.startDeadlineWatchdog(watchdog);
            return watchdog;
        }

        @Override
        public void run() {
            try {
                for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                    Thread.sleep(Duration.ofNanos(left));
                }
            } catch (InterruptedException disarmed) {
                return;
            }
            if (settled.compareAndSet(false, true)) {
                connection.close();
            }
        }

        /** Stops the watchdog; returns {@code false} when it fired first and closed the connection. */
        boolean disarm() {
            boolean inTime = settled.compareAndSet(false, true);
            thread.interrupt();
            return inTime;
        }
    }
}
