package dev.glisten.internal.loop;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Framing;
import dev.glisten.Handler;
import dev.glisten.MailboxOverflow;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;

/**
 * The rules of a connection's loop, written once: what is delivered in which order (user messages
 * in batches, then the packets of each read cut by the framing, then a shutdown notice), when a
 * close takes effect and with which reason, the idle timeout and the lifetime, the mailbox bound,
 * and {@code onClose} exactly once. The server runs it over a socket on the connection's virtual
 * thread ({@code ConnectionProcess}); {@link dev.glisten.testing.TestConnection} runs the same code over
 * bytes in memory and a virtual clock, so its contract suite guards one set of rules.
 *
 * <p>Everything but {@link #offer}, {@link #closeWith}, {@link #noticeShutdown} and the counters
 * runs on the owner's thread, one call at a time. Other threads only record: a close reason (the
 * first wins), a message, a notice; then {@link Host#wake()} the owner, which acts on it.
 *
 * @param <S> the connection's state
 * @param <M> the type of user messages
 */
public final class ConnectionLoop<S, M> {

    /** What the loop needs from where it runs: the server's socket and threads, or a test's memory. */
    public interface Host {

        /** The clock deadlines are measured on, in nanoseconds ({@link System#nanoTime()} on a server). */
        long nanoTime();

        /** Where the bytes come from now; it changes when the handler upgrades to TLS. */
        PeerInput input();

        /** From any thread: closes the input and output, so that a send in progress fails at once. */
        void closeChannel();

        /** From any thread: unparks the owner so it looks at what was recorded. */
        void wake();

        /**
         * From any thread: cuts short a send that waits for room, so that the owner, which may be
         * waiting in one, gets back to its loop and closes the connection itself.
         */
        void abandonSends();

        /** From a sender's thread: a message did not fit the mailbox and {@code policy} applied. */
        void mailboxOverflowed(int capacity, MailboxOverflow policy);

        /** On the owner, once, after {@code onClose}: the connection has ended for {@code reason}. */
        void ended(CloseReason reason);
    }

    /** What a call of {@link #turns} asks of the owner's thread next. */
    public enum Outcome {
        /** Call {@link #turns} again. */
        AGAIN,
        /** Park until woken or until {@link #nextDeadline()}, then call {@link #turns} again. */
        PARK,
        /** The connection has ended. */
        DONE
    }

    private static final System.Logger LOG = System.getLogger("dev.glisten.connection");
    private static final Object NO_MESSAGE = new Object();
    /** The most user messages delivered between two looks at the socket. */
    private static final int MAILBOX_BATCH = 64;
    private static final VarHandle CLOSE_CAUSE;
    private static final VarHandle BYTES_RECEIVED;

    // The reasons without data are shared.
    public static final CloseReason PEER_CLOSED = new CloseReason.PeerClosed();
    public static final CloseReason STOPPED = new CloseReason.Stopped();
    public static final CloseReason CLOSED_LOCALLY = new CloseReason.ClosedLocally();
    public static final CloseReason SERVER_STOPPED = new CloseReason.ServerStopped();

    /**
     * Classes on the path that ends a connection, to be loaded before the process can run out of
     * file descriptors (loading a class from a directory class path needs one).
     */
    public static final List<Class<?>> PRELOADED = List.of(CloseReason.StoppedAbnormally.class,
            CloseReason.HandlerFailed.class, CloseReason.InitFailed.class, CloseReason.SocketError.class,
            CloseReason.IdleTimedOut.class, CloseReason.LifetimeEnded.class, CloseReason.MailboxOverflowed.class,
            CloseReason.FrameTooLarge.class, CloseReason.FrameMalformed.class, CloseReason.TlsHandshakeFailed.class,
            Message.ShuttingDown.class, Message.EndOfInput.class, Message.Packet.class, Message.User.class,
            Next.Continue.class, Next.Stop.class, Next.StopAbnormal.class, Inbound.class, Inbound.Lease.class,
            Inbound.Rejected.class, RealPacket.class, Mailbox.class, LoopHandle.class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOSE_CAUSE = lookup.findVarHandle(ConnectionLoop.class, "closeCause", CloseReason.class);
            BYTES_RECEIVED = lookup.findVarHandle(ConnectionLoop.class, "bytesReceived", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Connection<M> connection;
    private final ConnectionHandle<M> handle;
    private final Host host;
    private final OnInit<S, M> onInit;
    private final Handler<S, M> handler;
    private final OnClose<S, M> onClose;
    private final Mailbox mailbox;
    private final MailboxOverflow overflowPolicy;
    private final Inbound inbound;
    private final Duration idleTimeout;
    private final Duration maxLifetime;
    private final long idleTimeoutNanos;
    private final long lifetimeDeadline;
    // Whether the loop needs the clock at all: with neither deadline it never reads it.
    private final boolean timed;
    private final boolean allowHalfClose;

    // Confined to the owner's thread.
    private S state;
    private boolean initialized;
    private boolean ended;
    private PeerInput from;
    private boolean mayRead = true;
    // Whether the loop announced that it waits for bytes (PeerInput.startWaiting).
    private boolean waiting;
    private long lastHeard;
    private boolean noticeDelivered;
    // Half-close: the peer has finished sending (only with allowHalfClose); owner only.
    private boolean inputEnded;

    private volatile boolean open = true;
    private volatile CloseReason closeCause;
    private volatile Duration shutdownNotice;
    // Half-close: the handler finished its own side (Connection.shutdownOutput), from any thread.
    private volatile boolean outputFinished;
    // Set before the FIN goes out, outputFinished after: a peer's end read in between answers the
    // handler's FIN, so the peer finished last. Owner only: whether that happened.
    private volatile boolean outputFinishing;
    private boolean peerFinishedLast;
    // Written by the owner, read by any: opaque accesses, which cost no fence.
    private long bytesReceived;

    /**
     * @param connection what the handler is given
     * @param options the handler, its callbacks and the loop's limits
     */
    public ConnectionLoop(Connection<M> connection, Host host, LoopOptions<S, M> options, Inbound.Pool buffers) {
        this.connection = connection;
        this.handle = new LoopHandle<>(this, connection);
        this.host = host;
        this.onInit = options.onInit();
        this.handler = options.handler();
        this.onClose = options.onClose();
        this.mailbox = new Mailbox(options.mailboxCapacity());
        this.overflowPolicy = options.mailboxOverflow();
        this.inbound = new Inbound(buffers, options.framing(), options.maxFrameSize());
        this.idleTimeout = options.idleTimeout();
        this.maxLifetime = options.maxLifetime();
        this.idleTimeoutNanos = idleTimeout == null ? 0 : idleTimeout.toNanos();
        // 0 means none; a real deadline that happens to be 0 is moved by a nanosecond.
        this.lifetimeDeadline = maxLifetime == null ? 0 : nonZero(host.nanoTime() + maxLifetime.toNanos());
        this.timed = idleTimeoutNanos != 0 || lifetimeDeadline != 0;
        this.allowHalfClose = options.allowHalfClose();
    }

    private static long nonZero(long nanos) {
        return nanos == 0 ? 1 : nanos;
    }

    /** Runs {@code onInit}; returns whether the loop is to run (if not, the connection has ended). */
    public boolean begin() {
        CloseReason cause = closeCause;
        if (cause != null) {
            finish(cause);
            return false;
        }
        try {
            state = onInit.init(connection);
            initialized = true;
        } catch (Throwable e) {
            // As for the loop: a send that failed inside onInit (the peer reset the connection before
            // its greeting went out) has recorded why the connection ended, SendFailed, and no
            // application code is at fault: not an error for the log, which clients that reset at
            // once would otherwise fill with stack traces.
            CloseReason recorded = closeCause;
            if (recorded == null) {
                LOG.log(Level.ERROR, () -> "onInit failed for the connection from " + connection.peerAddress(), e);
                recorded = new CloseReason.InitFailed(e);
            }
            finish(recorded);
            return false;
        }
        from = host.input();
        lastHeard = timed ? host.nanoTime() : 0;
        return true;
    }

    /** Runs up to {@code count} turns of the loop, fewer if one ends the connection or parks. */
    public Outcome turns(int count) {
        for (int i = 0; i < count; i++) {
            Outcome outcome = turn();
            if (outcome != Outcome.AGAIN) {
                return outcome;
            }
        }
        return Outcome.AGAIN;
    }

    /**
     * One turn of the loop: delivers what is waiting (a close, user messages, bytes from the peer,
     * the shutdown notice), or starts waiting for something, or goes on waiting.
     */
    private Outcome turn() {
        if (waiting) {
            // Checked before the thread parks and after every unpark, which may be spurious.
            if (keepsWaiting()) {
                return Outcome.PARK;
            }
            waiting = false;
            if (!inputEnded) {
                from.stopWaiting();
                mayRead = true;
            }
        }
        CloseReason cause = closeCause;
        if (cause != null) {
            finish(cause);
            return Outcome.DONE;
        }
        if (inputEnded && outputFinished) {
            // The handler finished its side from another thread: after the peer had finished, or
            // before (the peer's end came while the FIN was going out).
            finish(bothFinished());
            return Outcome.DONE;
        }
        if (!drainMailbox(nextDeadline())) {
            return Outcome.DONE;
        }
        // Before reading: a peer that streams without pause must not outlive its lifetime.
        if (lifetimeDeadline != 0 && host.nanoTime() - lifetimeDeadline >= 0) {
            finish(new CloseReason.LifetimeEnded(maxLifetime));
            return Outcome.DONE;
        }
        // The notice comes once the socket has nothing more: a request that arrived before the
        // shutdown is handled (and answered) first, then the protocol says goodbye. A waiting notice
        // makes the loop look now, right after this turn's batch of messages, not after another.
        boolean noticeWaits = shutdownNotice != null && !noticeDelivered;
        boolean looked = mayRead || noticeWaits;
        if (looked) {
            Outcome outcome = readAndDeliver();
            if (outcome != null) {
                return outcome;
            }
        }
        if (noticeWaits) {
            noticeDelivered = true;
            return deliver(new Message.ShuttingDown<>(shutdownNotice)) ? Outcome.AGAIN : Outcome.DONE;
        }
        // After reading: bytes that arrived while the handler was busy mean the peer is alive,
        // so the socket is looked at once more before the connection is called idle.
        if (idleTimeoutNanos != 0 && host.nanoTime() - lastHeard >= idleTimeoutNanos) {
            if (!looked) {
                mayRead = true;
                return Outcome.AGAIN;
            }
            finish(new CloseReason.IdleTimedOut(idleTimeout));
            return Outcome.DONE;
        }
        // The next turn parks, unless something came meanwhile; a closed stream is read at once.
        // Once the peer's input has ended only messages, a close and the deadlines are waited for.
        waiting = inputEnded || from.startWaiting();
        mayRead = !waiting && !inputEnded;
        return Outcome.AGAIN;
    }

    /** Reads once and delivers the packets it completes; {@code null} if nothing had arrived. */
    private Outcome readAndDeliver() {
        if (inputEnded) {
            return null;
        }
        int read;
        try {
            read = inbound.read(from);
        } catch (SSLHandshakeException e) {
            // A handshake message after the handshake: in TLS 1.3 a server's refusal of the
            // client's certificate comes with the first records a client reads.
            finish(new CloseReason.TlsHandshakeFailed(e));
            return Outcome.DONE;
        } catch (IOException e) {
            finish(new CloseReason.SocketError(e));
            return Outcome.DONE;
        }
        if (read < 0) {
            return allowHalfClose ? endOfInput() : finishNow(PEER_CLOSED);
        }
        if (read == 0) {
            return null;
        }
        mayRead = from.mayHaveMore();
        BYTES_RECEIVED.setOpaque(this, bytesReceived + read);
        if (timed) {
            lastHeard = host.nanoTime();
        }
        if (!deliverPackets()) {
            return Outcome.DONE;
        }
        PeerInput now = host.input();
        if (from != now) {
            // The handler upgraded the connection to TLS: the handshake may have left the client's
            // first record buffered, which no watcher will announce.
            from = now;
            mayRead = true;
        }
        return Outcome.AGAIN;
    }

    /**
     * The peer has finished sending and half-close is allowed: tells the handler, unless the
     * handler's own side had finished first, which completes the close.
     */
    private Outcome endOfInput() {
        inputEnded = true;
        mayRead = false;
        // A partial frame cannot be completed now.
        inbound.release();
        if (outputFinished) {
            return finishNow(PEER_CLOSED);
        }
        if (outputFinishing) {
            // The handler's FIN is going out on another thread: the close completes once it has
            // (outputFinished wakes this loop), with nothing left to tell the handler.
            peerFinishedLast = true;
            return Outcome.AGAIN;
        }
        return deliver(new Message.EndOfInput<>()) ? Outcome.AGAIN : Outcome.DONE;
    }

    private Outcome finishNow(CloseReason reason) {
        finish(reason);
        return Outcome.DONE;
    }

    /** While waiting: whether nothing has come to stop the wait (bytes, other work, a deadline). */
    private boolean keepsWaiting() {
        if ((!inputEnded && !from.stillWaiting()) || hasOtherWork()) {
            return false;
        }
        long deadline = nextDeadline();
        return deadline == 0 || deadline - host.nanoTime() > 0;
    }

    /**
     * The idle timeout's or the lifetime's deadline, whichever comes first (on the host's clock);
     * 0 for neither.
     */
    public long nextDeadline() {
        long idle = idleTimeoutNanos == 0 ? 0 : lastHeard + idleTimeoutNanos;
        if (lifetimeDeadline == 0) {
            return idle;
        }
        return idle == 0 || lifetimeDeadline - idle < 0 ? lifetimeDeadline : idle;
    }

    private boolean hasOtherWork() {
        return closeCause != null || !mailbox.isEmpty() || (shutdownNotice != null && !noticeDelivered)
                || (inputEnded && outputFinished);
    }

    /**
     * Delivers the queued user messages, at most {@link #MAILBOX_BATCH}; returns whether the
     * connection is still open. Stops early once {@code deadline} (0 for none) has passed: time
     * spent on messages is not the peer being alive. A shutdown notice does not cut the batch
     * short: messages queued before it (a chat line on its way to this client) come first, and the
     * batch bound keeps a mailbox that refills as fast as it is handled from holding it back.
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
            if (++delivered == MAILBOX_BATCH || (deadline != 0 && host.nanoTime() - deadline >= 0)) {
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
        PeerInput reading = host.input();
        for (;;) {
            RealPacket<M> packet;
            try {
                packet = inbound.next();
            } catch (Inbound.Rejected e) {
                LOG.log(Level.DEBUG, () -> "connection from " + connection.peerAddress() + " sent a bad frame: "
                        + e.reason);
                finish(e.reason);
                return false;
            } catch (RuntimeException e) {
                // Only a decoder of the user's own throws one: a fault of the handler's code.
                LOG.log(Level.ERROR, () -> "the frame decoder failed for the connection from "
                        + connection.peerAddress(), e);
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
            if (host.input() != reading) {
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
            next = handler.handle(state, message, connection);
        } catch (Throwable e) {
            CloseReason cause = closeCause;
            if (cause == null) {
                LOG.log(Level.ERROR, () -> "handler failed for the connection from " + connection.peerAddress(), e);
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
            if (inputEnded && outputFinished) {
                // Both sides have finished: the handler's shutdownOutput completed the close.
                finish(bothFinished());
                return false;
            }
            return true;
        }
        if (next instanceof Next.Stop<S>) {
            finish(STOPPED);
        } else if (next instanceof Next.StopAbnormal<S> abnormal) {
            LOG.log(Level.DEBUG, () -> "connection from " + connection.peerAddress() + " stopped: " + abnormal.reason());
            finish(new CloseReason.StoppedAbnormally(abnormal.reason()));
        } else {
            NullPointerException error = new NullPointerException("the handler returned null instead of a Next");
            LOG.log(Level.ERROR, () -> "handler failed for the connection from " + connection.peerAddress(), error);
            finish(new CloseReason.HandlerFailed(error));
        }
        return false;
    }

    /**
     * Ends the connection, on the owner's thread: closes the channel and runs {@code onClose},
     * once, with the first reason recorded and the last state ({@code null} if {@code onInit} did
     * not return).
     */
    public void finish(CloseReason reason) {
        if (ended) {
            return;
        }
        ended = true;
        open = false;
        CLOSE_CAUSE.compareAndSet(this, null, reason);
        CloseReason finalReason = closeCause;
        host.closeChannel();
        mailbox.clear();
        inbound.release();
        try {
            onClose.onClose(initialized ? state : null, finalReason, connection);
        } catch (Throwable e) {
            LOG.log(Level.ERROR, () -> "onClose failed for the connection from " + connection.peerAddress(), e);
        } finally {
            state = null;
            host.ended(finalReason);
        }
    }

    /**
     * Ends the connection without {@code onInit} or {@code onClose}: for a connection refused
     * before it began (a PROXY header's address over its limit).
     */
    public void abandon() {
        ended = true;
        open = false;
        host.closeChannel();
        mailbox.clear();
        inbound.release();
    }

    /**
     * Ends the connection from any thread: records why, closes the channel (so a send in progress
     * fails at once) and wakes the owner to run {@code onClose}. The first reason recorded is the
     * one reported.
     *
     * @return whether this call's reason is the one reported (the connection was not ending already)
     */
    public boolean closeWith(CloseReason reason) {
        if (CLOSE_CAUSE.compareAndSet(this, null, reason)) {
            host.closeChannel();
            host.wake();
            return true;
        }
        return false;
    }

    /**
     * From any thread: records why the connection ends and has its owner close it. Unlike
     * {@link #closeWith}, this thread does no socket work: a sender that overflows many mailboxes
     * in a row (a broadcast in a flooded room) must not close sockets on its own thread, where
     * every close queues on the selector's locks. A send the owner waits in is cut short.
     */
    private boolean closeSoon(CloseReason reason) {
        if (CLOSE_CAUSE.compareAndSet(this, null, reason)) {
            host.abandonSends();
            host.wake();
            return true;
        }
        return false;
    }

    /**
     * From any thread: queues a user message, or applies the overflow policy if the mailbox is full.
     *
     * @return whether the message was queued
     */
    public boolean offer(M message) {
        if (!open || closeCause != null) {
            return false;
        }
        if (!mailbox.offer(message)) {
            if (overflowPolicy == MailboxOverflow.CLOSE
                    && !closeSoon(new CloseReason.MailboxOverflowed(mailbox.capacity()))) {
                return false; // already closing: counted once, by whoever closed it
            }
            host.mailboxOverflowed(mailbox.capacity(), overflowPolicy);
            return false;
        }
        host.wake();
        return true;
    }

    /**
     * From any thread, after the handler's side of the stream was shut: the connection ends once
     * the peer's has too (at once if it already had).
     */
    public void outputFinished() {
        outputFinishing = true;
        outputFinished = true;
        host.wake();
    }

    /**
     * From any thread, just before the handler's side of the stream is shut: a peer's end read from
     * now on came after this side's, so the connection ends as {@link CloseReason.PeerClosed} once
     * {@link #outputFinished()} follows, and the handler is not told of it.
     */
    public void outputFinishing() {
        outputFinishing = true;
    }

    /** Once both sides have finished: the reason names the side that finished last. */
    private CloseReason bothFinished() {
        return peerFinishedLast ? PEER_CLOSED : STOPPED;
    }

    /** From any thread: how many messages wait. */
    public int backlog() {
        return open ? mailbox.size() : 0;
    }

    /** From any thread: tells the loop of a graceful shutdown, delivered once, after its current call. */
    public void noticeShutdown(Duration drainTimeout) {
        shutdownNotice = drainTimeout;
        host.wake();
    }

    public Framing framing() {
        return inbound.framing();
    }

    /** Owner only. */
    public void framing(Framing framing) {
        inbound.framing(framing);
    }

    /**
     * For a send, on any thread: refuses it if the connection has ended or is ending, naming why.
     *
     * @throws SocketException if a close reason is recorded or the connection has ended
     */
    public void checkOpen() throws SocketException {
        CloseReason cause = closeCause;
        if (cause != null || !open) {
            throw new SocketException("the connection is closed (" + (cause == null ? "ended" : cause) + ")");
        }
    }

    /** The reason recorded so far, or {@code null}. */
    public CloseReason closeCause() {
        return closeCause;
    }

    public boolean isOpen() {
        return open;
    }

    /** Owner only: whether the connection has ended ({@code onClose} has run or is running). */
    public boolean hasEnded() {
        return ended;
    }

    public long bytesReceived() {
        return (long) BYTES_RECEIVED.getOpaque(this);
    }

    /** The handle other threads send through: the same object for the connection's whole life. */
    public ConnectionHandle<M> handle() {
        return handle;
    }
}
