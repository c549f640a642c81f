package dev.glisten.internal;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.ConnectionInfo;
import dev.glisten.Framing;
import dev.glisten.MailboxOverflow;
import dev.glisten.Message;
import dev.glisten.NegotiatedTls;
import dev.glisten.Next;
import dev.glisten.ProxyHeader;
import dev.glisten.Tls;
import dev.glisten.internal.jfr.TlsHandshakeEvent;
import dev.glisten.internal.tls.RealTls;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
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
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's process: its state, its mailbox, and the loop that feeds the handler, all run
 * by the connection's own thread. The thread reads whatever the socket has (without blocking),
 * delivers it as a {@link Message.Packet}, delivers queued {@link Message.User} messages, and when
 * there is nothing to do parks until its {@link SocketWatcher} sees bytes or a sender unparks it.
 * So every handler call, {@code onInit} and {@code onClose} run on that one thread, one at a time.
 *
 * <p>Other threads (a server stopping, a sender, {@link Connection#close()} from elsewhere) never
 * call the handler: they record their reason in {@code closeCause}, close the socket and unpark the
 * thread, which then runs {@code onClose}. The first reason recorded is the one reported.
 */
final class ConnectionProcess<S, M> implements Connection<M>, Steps {

    private static final System.Logger LOG = System.getLogger("dev.glisten.connection");
    private static final Object NO_MESSAGE = new Object();
    /** The most user messages delivered between two looks at the socket. */
    private static final int MAILBOX_BATCH = 64;
    /** The most turns of the loop in one step; see step(). */
    private static final int TURNS_PER_CALL = 16;
    private static final VarHandle CLOSE_CAUSE;
    private static final VarHandle BYTES_RECEIVED;
    private static final VarHandle BYTES_SENT;

    // The reasons without data are shared, and every class on the path that closes a connection is
    // loaded with this class: when the process runs out of file descriptors, loading a class from a
    // directory classpath fails, and closing (which frees a descriptor) must not depend on it. A class
    // added to that path belongs in PRELOADED too; AcceptorBackoffTest fails when one is missing.
    static final CloseReason PEER_CLOSED = new CloseReason.PeerClosed();
    static final CloseReason STOPPED = new CloseReason.Stopped();
    static final CloseReason CLOSED_LOCALLY = new CloseReason.ClosedLocally();
    static final CloseReason SERVER_STOPPED = new CloseReason.ServerStopped();
    private static final List<Class<?>> PRELOADED = List.of(CloseReason.StoppedAbnormally.class,
            CloseReason.HandlerFailed.class, CloseReason.InitFailed.class, CloseReason.SocketError.class,
            CloseReason.SendFailed.class, CloseReason.SendTimedOut.class, CloseReason.TlsHandshakeFailed.class,
            CloseReason.IdleTimedOut.class, CloseReason.LifetimeEnded.class, CloseReason.ProxyHeaderRejected.class, Message.ShuttingDown.class,
            Message.Packet.class, Message.User.class, Next.Continue.class, Next.Stop.class, Next.StopAbnormal.class,
            Descriptors.class, PeerChannel.class, WatchedSocket.class, TlsChannel.class, Inbound.class, Inbound.Lease.class,
            Inbound.Rejected.class, RealPacket.class, Mailbox.class, CloseReason.MailboxOverflowed.class,
            CloseReason.FrameTooLarge.class, CloseReason.FrameMalformed.class);

    // Reading the field initializes ServerEvents, which loads the event classes.
    private static final List<Class<?>> PRELOADED_EVENTS = ServerEvents.EVENTS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOSE_CAUSE = lookup.findVarHandle(ConnectionProcess.class, "closeCause", CloseReason.class);
            BYTES_RECEIVED = lookup.findVarHandle(ConnectionProcess.class, "bytesReceived", long.class);
            BYTES_SENT = lookup.findVarHandle(ConnectionProcess.class, "bytesSent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RealServer<S, M> server;
    private final ServerConfig<S, M> config;
    private final WatchedSocket socket;
    private final Handle handle = new Handle();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Mailbox mailbox;

    // Confined to the connection's thread.
    private S state;
    private boolean initialized;
    private boolean ended;
    // The loop's, between steps; see step().
    private boolean opened;
    private PeerChannel from;
    private boolean mayRead = true;
    // Whether the loop announced that it waits for bytes (PeerChannel.startWaiting).
    private boolean waiting;
    private long lastHeard;

    private volatile boolean open = true;
    private volatile CloseReason closeCause;
    // The socket itself, or TLS over it; replaced (under writeLock) only by the owner.
    private volatile PeerChannel channel;
    private volatile NegotiatedTls tls;
    // The client's address: the socket's peer, or the source a PROXY protocol header gave.
    private volatile SocketAddress peer;
    private volatile ProxyHeader proxyHeader;
    // The address the per-address limit counted this connection under; null if not counted.
    private volatile SocketAddress countedAs;
    private volatile Duration shutdownNotice;
    private boolean noticeDelivered;
    private final Instant openedAt = Instant.now();
    private final long openedNanos = System.nanoTime();
    private final long idleTimeoutNanos;
    private final long lifetimeDeadline;
    // Whether the loop needs the clock at all: with neither deadline it never reads it.
    private final boolean timed;
    private final Inbound inbound;
    // Written by one thread each (the owner; a sender holding writeLock), read by any: opaque
    // accesses, which cost no fence, since a snapshot needs no ordering with anything else.
    private long bytesReceived;
    private long bytesSent;

    ConnectionProcess(RealServer<S, M> server, WatchedSocket socket) {
        this.server = server;
        this.config = server.config();
        this.socket = socket;
        this.channel = socket;
        this.peer = socket.peerAddress();
        this.idleTimeoutNanos = config.idleTimeout() == null ? 0 : config.idleTimeout().toNanos();
        // 0 means none; a real deadline that happens to be 0 is moved by a nanosecond.
        this.lifetimeDeadline = config.maxLifetime() == null ? 0
                : nonZero(openedNanos + config.maxLifetime().toNanos());
        this.timed = idleTimeoutNanos != 0 || lifetimeDeadline != 0;
        this.inbound = new Inbound(server.inboundBuffers(), config.framing(), config.maxFrameSize());
        this.mailbox = new Mailbox(config.mailboxCapacity());
    }

    private static long nonZero(long nanos) {
        return nanos == 0 ? 1 : nanos;
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
                outcome = turns(TURNS_PER_CALL);
            } else {
                opened = true;
                outcome = begin() ? Outcome.AGAIN : Outcome.DONE;
            }
        } catch (Throwable unexpected) {
            // Not the handler's (that is caught where it is called): a fault of ours or of the JVM.
            LOG.log(Level.ERROR, () -> "connection from " + peerAddress() + " failed", unexpected);
            finish(new CloseReason.SocketError(new IOException("connection failed: " + unexpected, unexpected)));
        } finally {
            if (outcome == Outcome.DONE && open) {
                // Even finishing failed: at least give back the descriptor and the registry entry.
                open = false;
                channel.close();
                server.connectionEnded(this, closeCause != null ? closeCause
                        : new CloseReason.SocketError(new IOException("the connection failed to finish")));
            }
        }
        return outcome;
    }

    @Override
    public long parkDeadline() {
        return nextDeadline();
    }

    /** Starts watching the socket, reads any PROXY header, shakes hands, runs onInit; returns whether the loop is to run. */
    private boolean begin() {
        try {
            socket.start(config.socketOptions());
        } catch (IOException e) {
            finish(new CloseReason.SocketError(e));
            return false;
        }
        ServerEvents.connectionOpened(peerAddress(), localAddress());
        if (closeCause != null) {
            finish(closeCause);
            return false;
        }
        if (config.proxyProtocol() != null && !receiveProxyHeader()) {
            return false;
        }
        RealTls serverTls = server.tls();
        if (serverTls != null) {
            try {
                upgrade(serverTls);
            } catch (IOException e) {
                finish(closeCause != null ? closeCause : new CloseReason.TlsHandshakeFailed(e));
                return false;
            }
        }
        try {
            state = config.onInit().init(this);
            initialized = true;
        } catch (Throwable e) {
            LOG.log(Level.ERROR, () -> "onInit failed for the connection from " + peerAddress(), e);
            finish(new CloseReason.InitFailed(e));
            return false;
        }
        from = channel;
        lastHeard = timed ? System.nanoTime() : 0;
        return true;
    }

    /** Runs up to {@code count} turns of the loop, fewer if one ends the connection or parks. */
    private Outcome turns(int count) {
        for (int i = 0; i < count; i++) {
            Outcome outcome = turn();
            if (outcome != Outcome.AGAIN) {
                return outcome;
            }
        }
        return Outcome.AGAIN;
    }

    /**
     * One turn of the loop: delivers what is waiting (a close, user messages, bytes from the
     * socket, the shutdown notice), or starts waiting for something, or goes on waiting.
     */
    private Outcome turn() {
        if (waiting) {
            // Checked before the thread parks and after every unpark, which may be spurious.
            if (keepsWaiting()) {
                return Outcome.PARK;
            }
            waiting = false;
            from.stopWaiting();
            mayRead = true;
        }
        CloseReason cause = closeCause;
        if (cause != null) {
            finish(cause);
            return Outcome.DONE;
        }
        if (!drainMailbox(nextDeadline())) {
            return Outcome.DONE;
        }
        // Before reading: a peer that streams without pause must not outlive its lifetime.
        if (lifetimeDeadline != 0 && System.nanoTime() - lifetimeDeadline >= 0) {
            finish(new CloseReason.LifetimeEnded(config.maxLifetime()));
            return Outcome.DONE;
        }
        // The notice comes once the socket has nothing more: a request that arrived before the
        // shutdown is handled (and answered) first, then the protocol says goodbye. A waiting notice
        // makes the loop look now, right after this turn's batch of messages, not after another.
        boolean noticeWaits = shutdownNotice != null && !noticeDelivered;
        boolean looked = mayRead || noticeWaits;
        if (looked) {
            int read;
            try {
                read = inbound.read(from);
            } catch (IOException e) {
                finish(new CloseReason.SocketError(e));
                return Outcome.DONE;
            }
            if (read < 0) {
                finish(PEER_CLOSED);
                return Outcome.DONE;
            }
            if (read > 0) {
                mayRead = from.mayHaveMore();
                BYTES_RECEIVED.setOpaque(this, bytesReceived + read);
                if (timed) {
                    lastHeard = System.nanoTime();
                }
                if (!deliverPackets()) {
                    return Outcome.DONE;
                }
                if (from != channel) {
                    // The handler upgraded the connection to TLS: the handshake may have left
                    // the client's first record buffered, which no watcher will announce.
                    from = channel;
                    mayRead = true;
                }
                return Outcome.AGAIN;
            }
        }
        if (noticeWaits) {
            noticeDelivered = true;
            return deliver(new Message.ShuttingDown<>(shutdownNotice)) ? Outcome.AGAIN : Outcome.DONE;
        }
        // After reading: bytes that arrived while the handler was busy mean the peer is alive,
        // so the socket is looked at once more before the connection is called idle.
        if (idleTimeoutNanos != 0 && System.nanoTime() - lastHeard >= idleTimeoutNanos) {
            if (!looked) {
                mayRead = true;
                return Outcome.AGAIN;
            }
            finish(new CloseReason.IdleTimedOut(config.idleTimeout()));
            return Outcome.DONE;
        }
        // The next turn parks, unless something came meanwhile; a closed stream is read at once.
        waiting = from.startWaiting();
        mayRead = !waiting;
        return Outcome.AGAIN;
    }

    /** While waiting: whether nothing has come to stop the wait (bytes, other work, a deadline). */
    private boolean keepsWaiting() {
        if (!from.stillWaiting() || hasOtherWork()) {
            return false;
        }
        long deadline = nextDeadline();
        return deadline == 0 || deadline - System.nanoTime() > 0;
    }

    /**
     * Reads the PROXY protocol header, before anything else reads, and admits the connection under
     * the client's address; returns whether the connection goes on.
     */
    private boolean receiveProxyHeader() {
        ProxyHeader header;
        try {
            header = ProxyHeaderReader.read(socket, config.proxyProtocol(), this::hasClose);
        } catch (IOException e) {
            CloseReason cause = closeCause;
            if (cause != null) {
                finish(cause);
                return false;
            }
            server.proxyHeaderRejected();
            LOG.log(Level.DEBUG, () -> "PROXY protocol header from " + socket.peerAddress() + " rejected: " + e);
            finish(new CloseReason.ProxyHeaderRejected(e));
            return false;
        }
        if (header != null) {
            proxyHeader = header;
            if (header.command() == ProxyHeader.Command.PROXY && header.source().isPresent()) {
                peer = header.source().get();
            }
        }
        if (!server.admitProxied(this)) {
            // As for a connection refused at accept: closed before onInit, with no onClose.
            ended = true;
            open = false;
            channel.close();
            mailbox.clear();
            return false;
        }
        return true;
    }

    /** The address the per-address limit counted this connection under, or {@code null}. */
    SocketAddress countedAs() {
        return countedAs;
    }

    void countedAs(SocketAddress address) {
        countedAs = address;
    }

    /**
     * The idle timeout's or the lifetime's deadline, whichever comes first
     * ({@link System#nanoTime()}); 0 for neither.
     */
    private long nextDeadline() {
        long idle = idleTimeoutNanos == 0 ? 0 : lastHeard + idleTimeoutNanos;
        if (lifetimeDeadline == 0) {
            return idle;
        }
        return idle == 0 || lifetimeDeadline - idle < 0 ? lifetimeDeadline : idle;
    }

    private boolean hasClose() {
        return closeCause != null;
    }

    private boolean hasOtherWork() {
        return closeCause != null || !mailbox.isEmpty() || (shutdownNotice != null && !noticeDelivered);
    }

    /** From any thread: has the loop told of a graceful shutdown, once, after its current call. */
    void noticeShutdown(Duration drainTimeout) {
        shutdownNotice = drainTimeout;
        socket.wakeOwner();
    }

    /** A snapshot for {@link dev.glisten.Server#connections()}. */
    @SuppressWarnings("unchecked")
    <T> ConnectionInfo<T> info() {
        return new ConnectionInfo<>((ConnectionHandle<T>) handle, peerAddress(), localAddress(), openedAt,
                bytesReceived(), bytesSent(), tls(), proxyHeader());
    }

    long bytesReceived() {
        return (long) BYTES_RECEIVED.getOpaque(this);
    }

    long bytesSent() {
        return (long) BYTES_SENT.getOpaque(this);
    }

    /**
     * Delivers the queued user messages, at most {@link #MAILBOX_BATCH}; returns whether the
     * connection is still open. Stops early once {@code deadline} ({@link System#nanoTime()}, 0 for
     * none) has passed: time spent on messages is not the peer being alive. A shutdown notice does
     * not cut the batch short: messages queued before it (a chat line on its way to this client)
     * come first, and the batch bound keeps a mailbox that refills as fast as it is handled from
     * holding the notice back.
     */
    @SuppressWarnings("unchecked")
    private boolean drainMailbox(long deadline) {
        Object queued;
        int delivered = 0;
        while (!ended && (queued = mailbox.poll(NO_MESSAGE)) != NO_MESSAGE) {
            if (!deliver(new Message.User<>((M) queued))) {
                return false;
            }
            // A mailbox refilled as fast as it is emptied must not starve the socket, the notice
            // or the deadlines: after a batch, the loop looks at them before the next one.
            if (++delivered == MAILBOX_BATCH || (deadline != 0 && System.nanoTime() - deadline >= 0)) {
                break;
            }
        }
        return !ended;
    }

    /**
     * Delivers every whole packet the bytes read so far hold, each its own call, under the
     * framing in force at each (the handler may switch it); returns whether the connection is
     * still open. Stops at a STARTTLS upgrade: what followed the command in plain text is dropped
     * (RFC 3207 section 4.2).
     */
    private boolean deliverPackets() {
        PeerChannel reading = channel;
        for (;;) {
            RealPacket<M> packet;
            try {
                packet = inbound.next();
            } catch (Inbound.Rejected e) {
                LOG.log(Level.DEBUG, () -> "connection from " + peerAddress() + " sent a bad frame: " + e.reason);
                finish(e.reason);
                return false;
            } catch (RuntimeException e) {
                // Only a decoder of the user's own throws one: a fault of the handler's code.
                LOG.log(Level.ERROR, () -> "the frame decoder failed for the connection from " + peerAddress(), e);
                finish(new CloseReason.HandlerFailed(e));
                return false;
            }
            if (packet == null) {
                return true;
            }
            boolean stillOpen = deliver(packet);
            inbound.delivered();
            if (!stillOpen) {
                return false;
            }
            if (channel != reading) {
                inbound.discard();
                return true;
            }
        }
    }

    /** Runs the handler once; returns whether the connection is still open afterwards. */
    private boolean deliver(Message<M> message) {
        // A close recorded since the last call (from onInit, another thread or a stop) ends the
        // connection here: a closed connection's loop gets no further call.
        CloseReason closing = closeCause;
        if (closing != null) {
            finish(closing);
            return false;
        }
        Next<S> next;
        try {
            next = config.handler().handle(state, message, this);
        } catch (Throwable e) {
            CloseReason cause = closeCause;
            if (cause == null) {
                LOG.log(Level.ERROR, () -> "handler failed for the connection from " + peerAddress(), e);
                cause = new CloseReason.HandlerFailed(e);
            }
            finish(cause);
            return false;
        }
        if (next instanceof Next.Continue<S> continued) {
            state = continued.state();
            CloseReason cause = closeCause;
            if (cause != null) {
                finish(cause);
                return false;
            }
            return true;
        }
        if (next instanceof Next.Stop<S>) {
            finish(STOPPED);
        } else if (next instanceof Next.StopAbnormal<S> abnormal) {
            LOG.log(Level.DEBUG, () -> "connection from " + peerAddress() + " stopped: " + abnormal.reason());
            finish(new CloseReason.StoppedAbnormally(abnormal.reason()));
        } else {
            NullPointerException error = new NullPointerException("the handler returned null instead of a Next");
            LOG.log(Level.ERROR, () -> "handler failed for the connection from " + peerAddress(), error);
            finish(new CloseReason.HandlerFailed(error));
        }
        return false;
    }

    /** Ends the connection, on its own thread: closes the socket and runs onClose, once. */
    private void finish(CloseReason reason) {
        if (ended) {
            return;
        }
        ended = true;
        open = false;
        CLOSE_CAUSE.compareAndSet(this, null, reason);
        CloseReason finalReason = closeCause;
        channel.close();
        mailbox.clear();
        inbound.release();
        try {
            config.onClose().onClose(initialized ? state : null, finalReason, this);
        } catch (Throwable e) {
            LOG.log(Level.ERROR, () -> "onClose failed for the connection from " + peerAddress(), e);
        } finally {
            state = null;
            ServerEvents.connectionClosed(peerAddress(), finalReason, System.nanoTime() - openedNanos,
                    bytesReceived(), bytesSent());
            server.connectionEnded(this, finalReason);
        }
    }

    /**
     * Ends the connection from any thread: records why, closes the socket (so a send in progress
     * fails at once) and wakes the connection's thread to run {@code onClose}. The first reason
     * recorded is the one reported.
     *
     * @return whether this call's reason is the one reported (the connection was not ending already)
     */
    boolean closeWith(CloseReason reason) {
        if (CLOSE_CAUSE.compareAndSet(this, null, reason)) {
            channel.close();
            socket.wakeOwner();
            return true;
        }
        return false;
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
            ensureOpen();
            boolean written;
            long length = gathered == null ? single.remaining() : remaining(gathered);
            try {
                written = channel.write(single, gathered, config.sendTimeout().toNanos());
            } catch (IOException e) {
                throw sendFailed(e);
            }
            if (!written) {
                throw sendTimedOut("send did not complete within the send timeout of " + config.sendTimeout());
            }
            countSent(length);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public long sendFile(FileChannel file, long offset, long length) throws IOException {
        Objects.requireNonNull(file, "file");
        checkRange(offset, length, file.size());
        writeLock.lock();
        try {
            ensureOpen();
            boolean sent;
            try {
                sent = channel.transferFrom(file, offset, length, config.sendTimeout().toNanos(), this::countSent);
            } catch (IOException e) {
                // Some of the range may have gone out: the peer's stream is cut mid-file either way.
                throw sendFailed(e);
            }
            if (!sent) {
                throw sendTimedOut("sendFile made no progress for the send timeout of " + config.sendTimeout());
            }
            return length;
        } finally {
            writeLock.unlock();
        }
    }

    private static void checkRange(long offset, long length, long size) {
        String within = " (the file has " + size + " bytes)";
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("offset must be between 0 and the file's size" + within
                    + ", got " + offset);
        }
        if (length < 0 || length > size - offset) {
            throw new IllegalArgumentException("length must be between 0 and the bytes from offset " + offset
                    + " to the end of the file" + within + ", got " + length);
        }
    }

    /** Under writeLock: refuses a send on a connection that is closed or closing. */
    private void ensureOpen() throws SocketException {
        CloseReason cause = closeCause;
        if (cause != null || !open) {
            throw new SocketException("the connection is closed (" + (cause == null ? "ended" : cause) + ")");
        }
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
        LOG.log(Level.DEBUG, () -> "send to " + peerAddress() + " timed out after " + config.sendTimeout());
        closeWith(new CloseReason.SendTimedOut(config.sendTimeout()));
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
    private NegotiatedTls upgrade(RealTls with) throws IOException {
        writeLock.lock();
        try {
            InetSocketAddress peer = peerAddress() instanceof InetSocketAddress inet ? inet : null;
            TlsChannel secured = new TlsChannel(socket, with, peer == null ? null : peer.getHostString(),
                    peer == null ? -1 : peer.getPort(), server.tlsBuffers(), config.sendTimeout());
            NegotiatedTls negotiated;
            TlsHandshakeEvent event = ServerEvents.handshakeStarted();
            try {
                negotiated = secured.handshake(with.handshakeTimeout(), this::hasClose);
            } catch (IOException e) {
                ServerEvents.handshakeEnded(event, peerAddress(), null, e);
                server.tlsHandshakeFailed();
                LOG.log(Level.DEBUG, () -> "TLS handshake with " + peerAddress() + " failed: " + e);
                // Sends the alert the engine prepared, so the client learns why, then closes.
                secured.close();
                throw e;
            }
            ServerEvents.handshakeEnded(event, peerAddress(), negotiated, null);
            server.tlsHandshakeCompleted();
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
        CloseReason cause = closeCause;
        if (cause != null) {
            throw new SocketException("the connection is closed (" + cause + ")");
        }
        try {
            return upgrade((RealTls) with);
        } catch (IOException e) {
            closeWith(new CloseReason.TlsHandshakeFailed(e));
            throw e;
        }
    }

    @Override
    public ConnectionHandle<M> handle() {
        return handle;
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
        return inbound.framing();
    }

    @Override
    public void framing(Framing framing) {
        Objects.requireNonNull(framing, "framing");
        if (Thread.currentThread() != socket.owner()) {
            throw new IllegalStateException("framing must be switched on the connection's own thread (from its "
                    + "handler or onInit), not " + Thread.currentThread());
        }
        inbound.framing(framing);
    }

    @Override
    public void close() {
        closeWith(CLOSED_LOCALLY);
    }

    /** From a sender's thread: the mailbox was full; applies the server's policy. */
    private void overflowed() {
        MailboxOverflow policy = config.mailboxOverflow();
        if (policy == MailboxOverflow.CLOSE && !closeWith(new CloseReason.MailboxOverflowed(mailbox.capacity()))) {
            return; // already closing: counted once, by whoever closed it
        }
        server.mailboxOverflowed();
        ServerEvents.mailboxOverflowed(peer, mailbox.capacity(), policy);
        LOG.log(Level.DEBUG, () -> "mailbox of the connection from " + peer + " is full (" + mailbox.capacity()
                + " messages): " + (policy == MailboxOverflow.CLOSE ? "closing it" : "message refused"));
    }

    @Override
    public String toString() {
        return "Connection[" + peerAddress() + (open ? "" : ", closed") + "]";
    }

    private final class Handle implements ConnectionHandle<M> {

        @Override
        public boolean send(M message) {
            if (!open || closeCause != null) {
                return false;
            }
            if (!mailbox.offer(message)) {
                overflowed();
                return false;
            }
            socket.wakeOwner();
            return true;
        }

        @Override
        public int backlog() {
            return open ? mailbox.size() : 0;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public SocketAddress peerAddress() {
            return peer;
        }

        @Override
        public void close() {
            ConnectionProcess.this.close();
        }

        @Override
        public String toString() {
            return "ConnectionHandle[" + peer + (open ? "" : ", closed") + "]";
        }
    }
}
