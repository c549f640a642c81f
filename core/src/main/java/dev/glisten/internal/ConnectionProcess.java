package dev.glisten.internal;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Message;
import dev.glisten.Next;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's process: its state, its mailbox, and the loop that feeds the handler.
 *
 * <p>Two kinds of thread call the handler. The connection's own thread reads from the socket and
 * delivers each {@link Message.Packet}; between packets it also empties the mailbox. While it is
 * blocked reading, a {@link Message.User} message starts a mailbox thread that delivers the queued
 * messages and ends. The {@code turn} lock makes their calls take turns and publishes the state
 * from one to the next. A blocked read cannot be woken except by closing the socket, which is why
 * user messages need that second thread.
 *
 * <p>Ending is decided once, under {@code turn}: {@link #finishLocked} marks the process ended,
 * closes the socket and runs {@code onClose}. Threads other than the two above (a server stopping,
 * a watchdog, a sender, {@link Connection#close()} from elsewhere) never call the handler: they
 * record their reason in {@code closeCause} and close the socket, which wakes the reading thread to
 * finish. The first recorded reason wins.
 */
final class ConnectionProcess<S, M> implements Connection<M> {

    private static final System.Logger LOG = System.getLogger("dev.glisten.connection");
    private static final Object NULL_MESSAGE = new Object();
    private static final VarHandle CLOSE_CAUSE;
    private static final VarHandle DRAIN_SCHEDULED;

    // The reasons without data are shared, and every reason class is loaded with this class: when the
    // process runs out of file descriptors, loading a class from a directory classpath fails, and the
    // path that closes a connection (and frees its descriptor) must not depend on it. A class added
    // to that path belongs in PRELOADED too; AcceptorBackoffTest fails when one is missing.
    static final CloseReason PEER_CLOSED = new CloseReason.PeerClosed();
    static final CloseReason STOPPED = new CloseReason.Stopped();
    static final CloseReason CLOSED_LOCALLY = new CloseReason.ClosedLocally();
    static final CloseReason SERVER_STOPPED = new CloseReason.ServerStopped();
    private static final List<Class<?>> PRELOADED = List.of(CloseReason.StoppedAbnormally.class,
            CloseReason.HandlerFailed.class, CloseReason.InitFailed.class, CloseReason.SocketError.class,
            CloseReason.SendFailed.class, CloseReason.SendTimedOut.class, Message.Packet.class,
            Message.User.class, Next.Continue.class, Next.Stop.class, Next.StopAbnormal.class,
            Descriptors.class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOSE_CAUSE = lookup.findVarHandle(ConnectionProcess.class, "closeCause", CloseReason.class);
            DRAIN_SCHEDULED = lookup.findVarHandle(ConnectionProcess.class, "drainScheduled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RealServer<S, M> server;
    private final ServerConfig<S, M> config;
    private final Transport transport;
    private final Handle handle = new Handle();
    private final ReentrantLock turn = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Object> mailbox = new ConcurrentLinkedQueue<>();

    // Guarded by turn.
    private S state;
    private boolean initialized;
    private boolean ended;

    private volatile boolean open = true;
    private volatile CloseReason closeCause;
    private volatile boolean drainScheduled;
    /** When the send in progress must have finished (System.nanoTime), or 0 when none is. */
    private volatile long sendDeadline;

    ConnectionProcess(RealServer<S, M> server, Transport transport) {
        this.server = server;
        this.config = server.config();
        this.transport = transport;
    }

    /** The body of the connection's own thread. */
    void run() {
        try {
            serve();
        } catch (Throwable unexpected) {
            // Not the handler's (that is caught where it is called): a fault of ours or of the JVM.
            LOG.log(Level.ERROR, () -> "connection from " + peerAddress() + " failed", unexpected);
            finish(new CloseReason.SocketError(new IOException("connection failed: " + unexpected, unexpected)));
        } finally {
            if (open) {
                // Even finishing failed: at least give back the descriptor and the registry entry.
                open = false;
                transport.close();
                server.connectionEnded(this);
            }
        }
    }

    private void serve() {
        try {
            transport.configure(config.socketOptions());
        } catch (IOException e) {
            finish(new CloseReason.SocketError(e));
            return;
        }
        turn.lock();
        try {
            if (closeCause != null) {
                finishLocked(closeCause);
                return;
            }
            try {
                state = config.onInit().init(this);
                initialized = true;
            } catch (Throwable e) {
                LOG.log(Level.ERROR, () -> "onInit failed for the connection from " + peerAddress(), e);
                finishLocked(new CloseReason.InitFailed(e));
                return;
            }
            if (!drainMailboxLocked()) {
                return;
            }
        } finally {
            turn.unlock();
        }
        readLoop();
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(config.readBufferSize());
        while (true) {
            int read;
            try {
                read = transport.read(buffer);
            } catch (IOException e) {
                finish(new CloseReason.SocketError(e));
                return;
            }
            if (read < 0) {
                finish(PEER_CLOSED);
                return;
            }
            if (read == 0) {
                continue;
            }
            Message<M> packet = new Message.Packet<>(Arrays.copyOf(buffer.array(), read));
            buffer.clear();
            turn.lock();
            try {
                if (ended || !deliverLocked(packet) || !drainMailboxLocked()) {
                    return;
                }
            } finally {
                turn.unlock();
            }
        }
    }

    /** The body of a mailbox thread: delivers what is queued, then ends. */
    private void drainMailbox() {
        turn.lock();
        try {
            // Cleared before polling: a message queued after the last poll schedules a new drain.
            drainScheduled = false;
            if (initialized) {
                drainMailboxLocked();
            }
            // Before onInit has returned the connection's own thread drains right after it.
        } finally {
            turn.unlock();
        }
    }

    /** Delivers every queued user message; returns whether the connection is still open. */
    @SuppressWarnings("unchecked")
    private boolean drainMailboxLocked() {
        Object queued;
        while (!ended && (queued = mailbox.poll()) != null) {
            M message = queued == NULL_MESSAGE ? null : (M) queued;
            if (!deliverLocked(new Message.User<>(message))) {
                return false;
            }
        }
        return !ended;
    }

    /** Runs the handler once; returns whether the connection is still open afterwards. */
    private boolean deliverLocked(Message<M> message) {
        // A close recorded since the last call (from onInit, another thread or a stop) ends the
        // connection here: a closed connection's loop gets no further call.
        CloseReason closing = closeCause;
        if (closing != null) {
            finishLocked(closing);
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
            finishLocked(cause);
            return false;
        }
        if (next instanceof Next.Continue<S> continued) {
            state = continued.state();
            CloseReason cause = closeCause;
            if (cause != null) {
                finishLocked(cause);
                return false;
            }
            return true;
        }
        if (next instanceof Next.Stop<S>) {
            finishLocked(STOPPED);
        } else if (next instanceof Next.StopAbnormal<S> abnormal) {
            LOG.log(Level.DEBUG, () -> "connection from " + peerAddress() + " stopped: " + abnormal.reason());
            finishLocked(new CloseReason.StoppedAbnormally(abnormal.reason()));
        } else {
            NullPointerException error = new NullPointerException("the handler returned null instead of a Next");
            LOG.log(Level.ERROR, () -> "handler failed for the connection from " + peerAddress(), error);
            finishLocked(new CloseReason.HandlerFailed(error));
        }
        return false;
    }

    private void finish(CloseReason reason) {
        turn.lock();
        try {
            finishLocked(reason);
        } finally {
            turn.unlock();
        }
    }

    private void finishLocked(CloseReason reason) {
        if (ended) {
            return;
        }
        ended = true;
        open = false;
        CLOSE_CAUSE.compareAndSet(this, null, reason);
        CloseReason finalReason = closeCause;
        transport.close();
        mailbox.clear();
        try {
            config.onClose().onClose(initialized ? state : null, finalReason, this);
        } catch (Throwable e) {
            LOG.log(Level.ERROR, () -> "onClose failed for the connection from " + peerAddress(), e);
        } finally {
            state = null;
            server.connectionEnded(this);
        }
    }

    /**
     * Ends the connection from any thread: records why and closes the socket, which wakes the
     * connection's thread to run {@code onClose}. The first reason recorded is the one reported.
     */
    void closeWith(CloseReason reason) {
        if (CLOSE_CAUSE.compareAndSet(this, null, reason)) {
            transport.close();
        }
    }

    /** Called by the watchdog: closes the connection if a send has been blocked past its deadline. */
    void checkSendDeadline(long now) {
        long deadline = sendDeadline;
        if (deadline != 0 && now - deadline > 0) {
            LOG.log(Level.DEBUG, () -> "send to " + peerAddress() + " timed out after " + config.sendTimeout());
            closeWith(new CloseReason.SendTimedOut(config.sendTimeout()));
        }
    }

    ConnectionHandle<M> handleForServer() {
        return handle;
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
            beginSend();
            try {
                if (gathered == null) {
                    transport.write(single);
                } else {
                    transport.write(gathered);
                }
            } catch (IOException e) {
                throw sendFailed(e);
            } finally {
                sendDeadline = 0;
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void beginSend() throws IOException {
        CloseReason cause = closeCause;
        if (cause != null || !open) {
            throw new SocketException("the connection is closed (" + (cause == null ? "ended" : cause) + ")");
        }
        // Never 0, which means "no send in progress".
        sendDeadline = (System.nanoTime() + config.sendTimeout().toNanos()) | 1L;
    }

    private IOException sendFailed(IOException error) {
        closeWith(new CloseReason.SendFailed(error));
        if (closeCause instanceof CloseReason.SendTimedOut timedOut) {
            SocketTimeoutException timeout = new SocketTimeoutException(
                    "send did not complete within the send timeout of " + timedOut.timeout()
                            + " (the peer is not reading); the connection is closed");
            timeout.initCause(error);
            return timeout;
        }
        return error;
    }

    @Override
    public ConnectionHandle<M> handle() {
        return handle;
    }

    @Override
    public SocketAddress peerAddress() {
        return transport.peerAddress();
    }

    @Override
    public SocketAddress localAddress() {
        return transport.localAddress();
    }

    @Override
    public void close() {
        closeWith(CLOSED_LOCALLY);
    }

    @Override
    public String toString() {
        return "Connection[" + peerAddress() + (open ? "" : ", closed") + "]";
    }

    private final class Handle implements ConnectionHandle<M> {

        @Override
        public boolean send(M message) {
            if (!open) {
                return false;
            }
            mailbox.offer(message == null ? NULL_MESSAGE : message);
            if (DRAIN_SCHEDULED.compareAndSet(ConnectionProcess.this, false, true)) {
                try {
                    server.threads().startMailbox(ConnectionProcess.this::drainMailbox);
                } catch (RuntimeException | Error e) {
                    // No thread to deliver it (the JVM is out of threads or memory): say so to the sender.
                    drainScheduled = false;
                    mailbox.remove(message == null ? NULL_MESSAGE : message);
                    LOG.log(Level.WARNING, "cannot start a thread to deliver a message", e);
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public SocketAddress peerAddress() {
            return transport.peerAddress();
        }

        @Override
        public void close() {
            ConnectionProcess.this.close();
        }

        @Override
        public String toString() {
            return "ConnectionHandle[" + transport.peerAddress() + (open ? "" : ", closed") + "]";
        }
    }
}
