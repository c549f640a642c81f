package dev.glisten.internal.connection;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.ConnectionInfo;
import dev.glisten.Framing;
import dev.glisten.MailboxOverflow;
import dev.glisten.Message;
import dev.glisten.NegotiatedTls;
import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import dev.glisten.Tls;
import dev.glisten.internal.Steps;
import dev.glisten.internal.Threads;
import dev.glisten.internal.events.ServerCounters;
import dev.glisten.internal.events.ServerEvents;
import dev.glisten.internal.events.TlsHandshakeEvent;
import dev.glisten.internal.io.Descriptors;
import dev.glisten.internal.io.FileRanges;
import dev.glisten.internal.io.PeerChannel;
import dev.glisten.internal.io.SocketWatcher;
import dev.glisten.internal.io.WatchedSocket;
import dev.glisten.internal.loop.ConnectionLoop;
import dev.glisten.internal.proxy.ProxyHeaderReader;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.TlsChannel;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection, accepted by a server or opened by a client (its {@link ConnectionSide}): its
 * socket, its sends, and the {@link ConnectionLoop} run
 * by the connection's own virtual thread. The thread reads whatever the socket has (without
 * blocking), delivers it, delivers queued {@link Message.User} messages, and when there is nothing
 * to do parks until its {@link SocketWatcher} sees bytes or a sender unparks it. So every handler
 * call, {@code onInit} and {@code onClose} run on that one thread, one at a time. Before the loop
 * begins, the same thread does what the side asks first: a server's connection reads the PROXY
 * protocol header and runs the server side of the TLS handshake, a client's the client side.
 *
 * <p>Other threads (a server stopping, a sender, {@link Connection#close()} from elsewhere) never
 * call the handler: they record their reason in the loop, close the socket and unpark the thread,
 * which then runs {@code onClose}. The first reason recorded is the one reported.
 */
public final class ConnectionProcess<S, M> implements Connection<M>, Steps, ConnectionLoop.Host, ServerCounters.Traffic {

    private static final System.Logger LOG = System.getLogger("dev.glisten.connection");
    /** The most turns of the loop in one step; see step(). */
    private static final int TURNS_PER_CALL = 16;
    /** How long a connection whose peer never pauses parks after a step of busy turns; see giveWay(). */
    private static final long GIVE_WAY_NANOS = 1_000;
    private static final VarHandle BYTES_SENT;

    // Every class on the path that closes a connection is loaded with this class: when the process
    // runs out of file descriptors, loading a class from a directory classpath fails, and closing
    // (which frees a descriptor) must not depend on it. A class added to that path belongs in
    // PRELOADED too; AcceptorBackoffTest fails when one is missing.
    private static final List<Class<?>> PRELOADED = List.of(CloseReason.SendFailed.class,
            CloseReason.SendTimedOut.class, CloseReason.TlsHandshakeFailed.class,
            CloseReason.ProxyHeaderRejected.class, Descriptors.class, PeerChannel.class, WatchedSocket.class,
            TlsChannel.class, ConnectionLoop.class, ConnectionLoop.Outcome.class);
    private static final List<Class<?>> PRELOADED_LOOP = ConnectionLoop.PRELOADED;

    // Reading the field initializes ServerEvents, which loads the event classes.
    private static final List<Class<?>> PRELOADED_EVENTS = ServerEvents.EVENTS;

    static {
        try {
            BYTES_SENT = MethodHandles.lookup().findVarHandle(ConnectionProcess.class, "bytesSent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ConnectionSide<S, M> side;
    private final WatchedSocket socket;
    private final ConnectionLoop<S, M> loop;
    private final ReentrantLock writeLock = new ReentrantLock();

    // The loop's, between steps; see step().
    private boolean opened;
    // The socket itself, or TLS over it; replaced (under writeLock) only by the owner.
    private volatile PeerChannel channel;
    private volatile NegotiatedTls tls;
    // The client's address: the socket's peer, or the source a PROXY protocol header gave.
    private volatile SocketAddress peer;
    private volatile ProxyHeader proxyHeader;
    // The address the per-address limit counted this connection under; null if not counted.
    private volatile SocketAddress countedAs;
    private final Instant openedAt = Instant.now();
    private final long openedNanos = System.nanoTime();
    // Written by a sender holding writeLock, read by any: opaque accesses, which cost no fence,
    // since a snapshot needs no ordering with anything else.
    private long bytesSent;
    // Whether the server was told that the connection ended; owner only.
    private boolean ended;
    // Whether shutdownOutput finished this side's stream; written under writeLock.
    private volatile boolean outputShut;

    public ConnectionProcess(ConnectionSide<S, M> side, WatchedSocket socket) {
        this.side = side;
        this.socket = socket;
        this.channel = socket;
        this.peer = socket.peerAddress();
        this.loop = new ConnectionLoop<>(this, this, side.loop(), side.inboundBuffers());
    }

    /**
     * One step of the connection's own thread, which runs them until one says
     * {@link Steps.Outcome#DONE} and parks between them when one says {@link Steps.Outcome#PARK}
     * (see {@link Threads#startConnection}): the first opens the connection and runs {@code onInit},
     * each later one runs up to {@link #TURNS_PER_CALL} turns of the loop.
     *
     * <p>Why steps and not one call that loops and parks inside: the frames a thread entered once
     * stay on its stack for the connection's life, and a connection opened before the JIT compiled
     * them would keep them interpreted. Then every park and unpark copies the stack on HotSpot's
     * slow path, and the loop's own code runs in the interpreter. Here the only long-lived frame
     * of ours is the thread's loop over steps, compiled before the first connection
     * ({@link Threads#warmUp}); the rest are calls that return and are compiled once hot; and a
     * waiting connection's stack is that one frame and the JDK's beneath it (see {@link Steps}).
     */
    @Override
    public Outcome step() {
        Outcome outcome = Outcome.DONE;
        try {
            if (opened) {
                outcome = outcome(loop.turns(TURNS_PER_CALL));
                if (outcome == Outcome.AGAIN) {
                    giveWay();
                }
            } else {
                opened = true;
                outcome = begin() ? Outcome.AGAIN : Outcome.DONE;
            }
        } catch (Throwable unexpected) {
            // Not the handler's (that is caught where it is called): a fault of ours or of the JVM.
            LOG.log(Level.ERROR, () -> describe() + " failed", unexpected);
            loop.finish(new CloseReason.SocketError(new IOException("connection failed: " + unexpected, unexpected)));
        } finally {
            if (outcome == Outcome.DONE && !ended) {
                // Even finishing failed: at least give back the descriptor and the registry entry.
                ended = true;
                channel.close();
                CloseReason cause = loop.closeCause();
                side.ended(this, cause != null ? cause
                        : new CloseReason.SocketError(new IOException("the connection failed to finish")));
            }
        }
        return outcome;
    }

    /**
     * After a step in which every turn had work (a peer that sends without pause): lets the rest
     * of the server run. Virtual threads are not time-sliced, so without this a few such
     * connections would hold every carrier and starve the socket watchers and every other
     * connection. {@link Thread#yield()} is not enough: a yielding virtual thread goes back to its
     * carrier's own queue, which the carrier empties before it looks at the tasks other threads
     * submitted (the watchers, which the JDK's poller wakes), so busy connections would take turns
     * among themselves forever. A timed park comes back through the scheduler's shared queue,
     * behind that work. It costs a timer per {@value #TURNS_PER_CALL} busy turns, and nothing to a
     * connection that waits for its peer between messages.
     */
    private static void giveWay() {
        LockSupport.parkNanos(GIVE_WAY_NANOS);
    }

    // Not a switch: one over an enum of another class compiles to a synthetic class, loaded at its
    // first use, which may come when the process is out of file descriptors (see PRELOADED).
    private static Outcome outcome(ConnectionLoop.Outcome outcome) {
        if (outcome == ConnectionLoop.Outcome.AGAIN) {
            return Outcome.AGAIN;
        }
        return outcome == ConnectionLoop.Outcome.PARK ? Outcome.PARK : Outcome.DONE;
    }

    @Override
    public long parkDeadline() {
        return loop.nextDeadline();
    }

    /** Starts watching the socket, does what the side asks first, runs onInit; returns whether the loop is to run. */
    private boolean begin() {
        try {
            socket.start(side.socketOptions());
        } catch (IOException e) {
            loop.finish(new CloseReason.SocketError(e));
            return false;
        }
        side.opened(this);
        CloseReason closing = loop.closeCause();
        if (closing != null) {
            loop.finish(closing);
            return false;
        }
        return side.prepare(this) && loop.begin();
    }

    /**
     * For a server's side, before anything else reads: reads the PROXY protocol header and takes
     * the client's address from it.
     *
     * @return the header, or {@code null} if none was sent where one is optional
     * @throws IOException if the header is malformed, late or missing where required
     */
    ProxyHeader receiveProxyHeader(ProxyProtocol accepted) throws IOException {
        ProxyHeader header = ProxyHeaderReader.read(socket, accepted, this::hasClose);
        if (header != null) {
            proxyHeader = header;
            if (header.command() == ProxyHeader.Command.PROXY && header.source().isPresent()) {
                peer = header.source().get();
            }
        }
        return header;
    }

    /** Before {@code onInit}: ends the connection for {@code reason} (unless another was recorded first). */
    void finishEarly(CloseReason reason) {
        CloseReason cause = loop.closeCause();
        loop.finish(cause != null ? cause : reason);
    }

    /** Before {@code onInit}: ends the connection without {@code onInit} or {@code onClose}, as if never accepted. */
    void abandon() {
        ended = true;
        loop.abandon();
    }

    /**
     * Before {@code onInit}, on the connection's thread: runs the TLS handshake over {@code secured}
     * and switches the connection to it; on failure ends the connection
     * ({@link CloseReason.TlsHandshakeFailed}).
     *
     * @return whether the connection goes on
     */
    public boolean handshake(TlsChannel secured, Duration timeout) {
        try {
            upgrade(secured, timeout);
            return true;
        } catch (IOException e) {
            finishEarly(new CloseReason.TlsHandshakeFailed(e));
            return false;
        }
    }

    public WatchedSocket socket() {
        return socket;
    }

    /** "connection from ADDRESS" or "connection to ADDRESS", for log lines. */
    String describe() {
        return (side.isClient() ? "connection to " : "connection from ") + peerAddress();
    }

    /** The address the per-address limit counted this connection under, or {@code null}. */
    SocketAddress countedAs() {
        return countedAs;
    }

    void countedAs(SocketAddress address) {
        countedAs = address;
    }

    boolean hasClose() {
        return loop.closeCause() != null;
    }

    /** From any thread: has the loop told of a graceful shutdown, once, after its current call. */
    void noticeShutdown(Duration drainTimeout) {
        loop.noticeShutdown(drainTimeout);
    }

    /** A snapshot for {@link dev.glisten.Server#connections()}. */
    @SuppressWarnings("unchecked")
    <T> ConnectionInfo<T> info() {
        return new ConnectionInfo<>((ConnectionHandle<T>) (ConnectionHandle<?>) loop.handle(), peerAddress(), localAddress(), openedAt,
                bytesReceived(), bytesSent(), tls(), proxyHeader());
    }

    @Override
    public long bytesReceived() {
        return loop.bytesReceived();
    }

    @Override
    public long bytesSent() {
        return (long) BYTES_SENT.getOpaque(this);
    }

    /**
     * Ends the connection from any thread: see {@link ConnectionLoop#closeWith}.
     *
     * @return whether this call's reason is the one reported (the connection was not ending already)
     */
    boolean closeWith(CloseReason reason) {
        return loop.closeWith(reason);
    }

    // --- ConnectionLoop.Host ---

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public PeerChannel input() {
        return channel;
    }

    @Override
    public void closeChannel() {
        channel.close();
    }

    @Override
    public void wake() {
        socket.wakeOwner();
    }

    @Override
    public void abandonSends() {
        socket.abandonWaits();
    }

    @Override
    public void mailboxOverflowed(int capacity, MailboxOverflow policy) {
        side.mailboxOverflowed(peer, capacity, policy);
        LOG.log(Level.DEBUG, () -> "mailbox of the " + describe() + " is full (" + capacity
                + " messages): " + (policy == MailboxOverflow.CLOSE ? "closing it" : "message refused"));
    }

    @Override
    public void ended(CloseReason reason) {
        ended = true;
        side.ended(this, reason);
    }

    /** Nanoseconds since the connection was made. */
    long age() {
        return System.nanoTime() - openedNanos;
    }

    // --- Connection ---

    @Override
    public void send(byte[] bytes) throws IOException {
        send(ByteBuffer.wrap(bytes));
    }

    @Override
    public void send(ByteBuffer buffer) throws IOException {
        write(buffer, null);
    }

    @Override
    public void send(ByteBuffer... buffers) throws IOException {
        write(null, buffers);
    }

    /** Writes {@code single}, or all of {@code gathered} in one gathering write, under the send timeout. */
    private void write(ByteBuffer single, ByteBuffer[] gathered) throws IOException {
        writeLock.lock();
        try {
            checkWritable();
            boolean written;
            long length = gathered == null ? single.remaining() : remaining(gathered);
            try {
                written = channel.write(single, gathered, side.sendTimeout().toNanos());
            } catch (IOException e) {
                throw sendFailed(e);
            }
            if (!written) {
                throw sendTimedOut("send did not complete within the send timeout of " + side.sendTimeout());
            }
            countSent(length);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public long sendFile(FileChannel file, long offset, long length) throws IOException {
        Objects.requireNonNull(file, "file");
        FileRanges.check(offset, length, file.size());
        writeLock.lock();
        try {
            checkWritable();
            boolean sent;
            try {
                sent = channel.transferFrom(file, offset, length, side.sendTimeout().toNanos(), this::countSent);
            } catch (IOException e) {
                // Some of the range may have gone out: the peer's stream is cut mid-file either way.
                throw sendFailed(e);
            }
            if (!sent) {
                throw sendTimedOut("sendFile made no progress for the send timeout of " + side.sendTimeout());
            }
            return length;
        } finally {
            writeLock.unlock();
        }
    }

    /** Under writeLock: refuses a send on a closed connection, or after {@link #shutdownOutput()}. */
    private void checkWritable() throws SocketException {
        loop.checkOpen();
        if (outputShut) {
            throw new SocketException("the output of the " + describe() + " is shut down (shutdownOutput)");
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        writeLock.lock();
        try {
            loop.checkOpen();
            if (outputShut) {
                return;
            }
            // Before the FIN: the peer may answer it before this thread gets further.
            loop.outputFinishing();
            try {
                channel.shutdownOutput();
            } catch (IOException e) {
                throw sendFailed(e);
            }
            outputShut = true;
        } finally {
            writeLock.unlock();
        }
        loop.outputFinished();
    }

    /** Under writeLock: counts bytes the kernel took; one writer at a time, so a plain sum. */
    private void countSent(long bytes) {
        BYTES_SENT.setOpaque(this, bytesSent + bytes);
    }

    /** Closes the connection after a failed write, whose exception the caller throws. */
    private IOException sendFailed(IOException e) {
        closeWith(new CloseReason.SendFailed(e));
        return e;
    }

    /** Closes the connection after a write ran out of time; returns what the caller throws. */
    private SocketTimeoutException sendTimedOut(String what) {
        LOG.log(Level.DEBUG, () -> "send on the " + describe() + " timed out after " + side.sendTimeout());
        closeWith(new CloseReason.SendTimedOut(side.sendTimeout()));
        return new SocketTimeoutException(what + " (the peer is not reading); the connection is closed");
    }

    private static long remaining(ByteBuffer[] buffers) {
        long total = 0;
        for (ByteBuffer buffer : buffers) {
            total += buffer.remaining();
        }
        return total;
    }

    /**
     * Runs the TLS handshake on the owner's thread and switches the connection to it, holding the
     * write lock so that no other thread's send goes out in plain text meanwhile.
     */
    private NegotiatedTls upgrade(TlsChannel secured, Duration timeout) throws IOException {
        writeLock.lock();
        try {
            NegotiatedTls negotiated;
            TlsHandshakeEvent event = ServerEvents.handshakeStarted();
            try {
                negotiated = secured.handshake(timeout, this::hasClose);
            } catch (IOException e) {
                ServerEvents.handshakeEnded(event, peerAddress(), null, e);
                side.handshakeEnded(false);
                LOG.log(Level.DEBUG, () -> "TLS handshake on the " + describe() + " failed: " + e);
                // Sends the alert the engine prepared, so the peer learns why, then closes.
                secured.close();
                throw e;
            }
            ServerEvents.handshakeEnded(event, peerAddress(), negotiated, null);
            side.handshakeEnded(true);
            channel = secured;
            tls = negotiated;
            return negotiated;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public Optional<NegotiatedTls> tls() {
        return Optional.ofNullable(tls);
    }

    @Override
    public NegotiatedTls startTls(Tls with) throws IOException {
        Objects.requireNonNull(with, "tls");
        if (Thread.currentThread() != socket.owner()) {
            throw new IllegalStateException("startTls must be called on the connection's own thread (from its "
                    + "handler or onInit), not " + Thread.currentThread());
        }
        if (tls != null) {
            throw new IllegalStateException("the connection already speaks TLS (" + tls.protocol() + ")");
        }
        CloseReason cause = loop.closeCause();
        if (cause != null) {
            throw new SocketException("the connection is closed (" + cause + ")");
        }
        RealTls serverTls = (RealTls) with;
        TlsChannel secured = side.serverTls(this, serverTls);
        try {
            return upgrade(secured, serverTls.handshakeTimeout());
        } catch (IOException e) {
            closeWith(new CloseReason.TlsHandshakeFailed(e));
            throw e;
        }
    }

    @Override
    public ConnectionHandle<M> handle() {
        return loop.handle();
    }

    @Override
    public SocketAddress peerAddress() {
        return peer;
    }

    @Override
    public Optional<SocketAddress> proxyAddress() {
        return proxyHeader == null ? Optional.empty() : Optional.of(socket.peerAddress());
    }

    @Override
    public Optional<ProxyHeader> proxyHeader() {
        return Optional.ofNullable(proxyHeader);
    }

    @Override
    public SocketAddress localAddress() {
        return socket.localAddress();
    }

    @Override
    public Framing framing() {
        return loop.framing();
    }

    @Override
    public void framing(Framing framing) {
        Objects.requireNonNull(framing, "framing");
        if (Thread.currentThread() != socket.owner()) {
            throw new IllegalStateException("framing must be switched on the connection's own thread (from its "
                    + "handler or onInit), not " + Thread.currentThread());
        }
        loop.framing(framing);
    }

    @Override
    public void close() {
        closeWith(ConnectionLoop.CLOSED_LOCALLY);
    }

    @Override
    public String toString() {
        return "Connection[" + peerAddress() + (loop.isOpen() ? "" : ", closed") + "]";
    }
}
