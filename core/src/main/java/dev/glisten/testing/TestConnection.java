package dev.glisten.testing;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Framing;
import dev.glisten.Handler;
import dev.glisten.MailboxOverflow;
import dev.glisten.Message;
import dev.glisten.NegotiatedTls;
import dev.glisten.Next;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.ProxyHeader;
import dev.glisten.Tls;
import dev.glisten.internal.io.FileRanges;
import dev.glisten.internal.loop.ConnectionLoop;
import dev.glisten.internal.loop.Inbound;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.loop.PeerInput;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a handler without a socket, in the manner of Netty's {@code EmbeddedChannel}: the test feeds
 * it bytes and {@link Message.User} messages, reads back what it sent, and sees whether and why it
 * stopped. It is the {@link Connection} the handler is given.
 *
 * <pre>{@code
 * TestConnection<Integer, String> connection = TestConnection.of(connection -> 0, handler).start();
 * connection.receive("ping\n");
 * assertThat(connection.sentText()).isEqualTo("pong\n");
 * connection.peerClosed();
 * assertThat(connection.closeReason()).contains(new CloseReason.PeerClosed());
 * }</pre>
 *
 * <p>It runs the server's own loop ({@code ConnectionLoop} in the core), so it follows the same
 * rules by construction: {@link OnInit} runs in {@link Builder#start()}; then each round delivers
 * queued user messages first (at most 64), then what the next read brought, cut into packets by
 * the connection's {@link Framing} (several frames in one read are several calls, a partial frame
 * waits for the rest, a frame over the maximum size closes the connection), and a
 * {@linkplain #shutdown shutdown notice} once nothing is left to read; a close requested during a
 * call ({@link #close()}, a failed send, a full mailbox) ends the connection once the call
 * returns; the mailbox has the same bound and overflow policy; {@link OnClose} runs exactly once,
 * with the first reason recorded, the last state, or {@code null} if {@link OnInit} did not return.
 * Packets are lent for their call, as on a server.
 *
 * <p>Everything runs on the calling thread before the calling method returns: {@link #receive},
 * {@link #deliver}, {@link #advance} and the others return once the handler has nothing left to do.
 * A {@link ConnectionHandle#send} from another thread (or from a handler running on it, which must
 * not be re-entered) only queues; {@link #runPending()} delivers it. Time is a virtual clock that
 * only {@link #advance(Duration)} moves, so idle timeouts and lifetimes fire exactly when a test
 * says. Not thread-safe beyond {@link ConnectionHandle#send}.
 *
 * <p>A {@link dev.glisten.Client}'s handler runs here too, since a client's connection runs the
 * same loop: {@link Builder#outbound()} makes the connection look like one the client opened (the
 * server is its peer), and the test plays the server.
 *
 * @param <S> the connection's state
 * @param <M> the type of {@link Message.User} messages
 */
public final class TestConnection<S, M> implements Connection<M> {

    /** The virtual clock starts here, so that timestamps in a test's output are recognisable. */
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");
    /** The default addresses: a client's (an ephemeral port) and a server's. */
    private static final SocketAddress CLIENT_SIDE = new InetSocketAddress("127.0.0.1", 50_000);
    private static final SocketAddress SERVER_SIDE = new InetSocketAddress("127.0.0.1", 4_000);

    private final Builder<S, M> config;
    private final ReentrantLock turn = new ReentrantLock();
    private final SentBytes sent = new SentBytes();
    private final Thread owner = Thread.currentThread();
    private final ConnectionLoop<S, M> loop;
    private MemoryInput input = new MemoryInput();

    private S state;
    private boolean initialized;
    private boolean inCall;
    private boolean peerDone;
    private CloseReason reported;
    private S finalState;
    private int onCloseCalls;
    private Throwable onCloseFailure;
    private IOException sendFailure;
    private boolean peerReads = true;
    private NegotiatedTls tls;
    private int startTlsCalls;
    private long mailboxOverflows;
    private boolean outputShut;
    private long nowNanos;

    private TestConnection(Builder<S, M> config) {
        this.config = config;
        this.tls = config.tlsFromStart ? config.negotiated(config.tlsAlpn, config.tlsPeerCertificates) : null;
        LoopOptions<S, M> options = new LoopOptions<>(this::init, this::call, this::closed, config.idleTimeout,
                config.maxLifetime, config.framing, config.maxFrameSize, config.mailboxCapacity, config.mailboxOverflow,
                config.allowHalfClose);
        this.loop = new ConnectionLoop<>(this, new Host(), options, new Inbound.Pool(config.readBufferSize, 1));
    }

    /**
     * Begins a test connection for this handler.
     *
     * @param onInit makes the initial state
     * @param handler the loop
     * @param <S> the connection's state
     * @param <M> the type of {@link Message.User} messages
     * @return a builder; {@link Builder#start()} runs {@code onInit}
     */
    public static <S, M> Builder<S, M> of(OnInit<S, M> onInit, Handler<S, M> handler) {
        return new Builder<>(Objects.requireNonNull(onInit, "onInit"), Objects.requireNonNull(handler, "handler"));
    }

    // --- what the test does ---

    /**
     * The peer sends {@code bytes}, which one read of the connection returns (after any queued user
     * messages are delivered), and the idle timer restarts. Under raw framing that is one
     * {@link Message.Packet} (two if {@code bytes} exceeds the read buffer size, as on a server);
     * under any other {@link Framing} the bytes are framed exactly as the server frames them.
     *
     * @param bytes the bytes, at least one (a read never yields zero bytes)
     * @return this
     * @throws IllegalStateException if the peer already closed its side, or the connection ended
     */
    public TestConnection<S, M> receive(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("a packet has at least one byte; the server never delivers an empty one");
        }
        enqueue(bytes.clone());
        return this;
    }

    /**
     * The peer sends {@code text} in UTF-8, as one packet; see {@link #receive(byte[])}.
     *
     * @param text the text
     * @return this
     */
    public TestConnection<S, M> receive(String text) {
        return receive(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Another thread sends {@code message} to the connection's handle: delivered after those queued
     * before it, before any packet not yet delivered.
     *
     * @param message the message; may be {@code null}
     * @return this
     */
    public TestConnection<S, M> deliver(M message) {
        loop.handle().send(message);
        runPending();
        return this;
    }

    /**
     * The peer closes its side: packets it sent before are delivered, then the connection ends with
     * {@link CloseReason.PeerClosed}; or, with {@link Builder#allowHalfClose(boolean)}, the handler
     * gets {@link Message.EndOfInput} and the connection stays open for sending.
     *
     * @return this
     */
    public TestConnection<S, M> peerClosed() {
        enqueue(MemoryInput.END_OF_STREAM);
        return this;
    }

    /**
     * Reading from the socket fails (a connection reset): the connection ends with
     * {@link CloseReason.SocketError} once packets received before are delivered.
     *
     * @param error the read error
     * @return this
     */
    public TestConnection<S, M> readFails(IOException error) {
        enqueue(Objects.requireNonNull(error, "error"));
        return this;
    }

    /**
     * Makes every later send throw {@code error} and close the connection with
     * {@link CloseReason.SendFailed}, as a reset peer does.
     *
     * @param error what sends throw
     * @return this
     */
    public TestConnection<S, M> failSends(IOException error) {
        sendFailure = Objects.requireNonNull(error, "error");
        return this;
    }

    /**
     * The peer stops reading, so the buffers between it and the server fill up: every later send
     * waits out the {@linkplain Builder#sendTimeout send timeout} of virtual time, sends nothing,
     * throws {@link SocketTimeoutException} and closes the connection with
     * {@link CloseReason.SendTimedOut}, as the server does to a peer that does not read.
     *
     * @return this
     */
    public TestConnection<S, M> peerStopsReading() {
        peerReads = false;
        return this;
    }

    /**
     * Moves the virtual clock on, then lets the connection notice: it ends with
     * {@link CloseReason.IdleTimedOut} if no packet arrived for the idle timeout, or with
     * {@link CloseReason.LifetimeEnded} once open for its maximum lifetime.
     *
     * @param time how far, zero or more
     * @return this
     */
    public TestConnection<S, M> advance(Duration time) {
        if (time.isNegative()) {
            throw new IllegalArgumentException("time must be zero or more, got " + time);
        }
        nowNanos += time.toNanos();
        runPending();
        return this;
    }

    /**
     * The server begins a graceful shutdown: the handler gets one {@link Message.ShuttingDown}.
     *
     * @param drainTimeout what the notice carries
     * @return this
     */
    public TestConnection<S, M> shutdown(Duration drainTimeout) {
        checkAccepted("a shutdown notice");
        loop.noticeShutdown(Objects.requireNonNull(drainTimeout, "drainTimeout"));
        runPending();
        return this;
    }

    /**
     * The server stops: the connection ends with {@link CloseReason.ServerStopped}.
     *
     * @return this
     */
    public TestConnection<S, M> serverStopped() {
        checkAccepted("a server stop");
        loop.closeWith(new CloseReason.ServerStopped());
        runPending();
        return this;
    }

    /**
     * Delivers whatever is queued: user messages sent from other threads or from inside a handler
     * call, and the consequences of a close requested meanwhile.
     *
     * @return this
     */
    public TestConnection<S, M> runPending() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a TestConnection runs on the thread that started it, " + owner);
        }
        turn.lock();
        try {
            if (!inCall && initialized) {
                ConnectionLoop.Outcome outcome = ConnectionLoop.Outcome.AGAIN;
                while (outcome == ConnectionLoop.Outcome.AGAIN) {
                    outcome = loop.turns(16);
                }
            }
        } finally {
            turn.unlock();
        }
        return this;
    }

    // --- what the test reads ---

    /**
     * Every byte sent so far, in order.
     *
     * @return a copy
     */
    public byte[] sent() {
        return sent.bytes();
    }

    /**
     * Every byte sent so far, decoded as UTF-8.
     *
     * @return the text
     */
    public String sentText() {
        return new String(sent.bytes(), StandardCharsets.UTF_8);
    }

    /**
     * What each successful send (or file send) wrote, one entry per call.
     *
     * @return copies of the writes, in order
     */
    public List<byte[]> writes() {
        return sent.writes();
    }

    /**
     * Whether the connection is still open.
     *
     * @return {@code false} once {@link OnClose} has run
     */
    public boolean isOpen() {
        return loop.isOpen();
    }

    /**
     * Why the connection ended, as {@link OnClose} saw it.
     *
     * @return the reason; empty while open
     */
    public Optional<CloseReason> closeReason() {
        return Optional.ofNullable(reported);
    }

    /**
     * The state {@link OnClose} got.
     *
     * @return the state, {@code null} if {@link OnInit} did not return
     * @throws IllegalStateException while the connection is open
     */
    public S finalState() {
        if (onCloseCalls == 0) {
            throw new IllegalStateException("the connection is still open");
        }
        return finalState;
    }

    /**
     * The current state: the last one a call returned, or what {@link OnClose} got once closed.
     *
     * @return the state
     */
    public S state() {
        return onCloseCalls > 0 ? finalState : state;
    }

    /**
     * How many times {@link OnClose} ran: 0 while open, then 1.
     *
     * @return the count
     */
    public int onCloseCalls() {
        return onCloseCalls;
    }

    /**
     * What {@link OnClose} threw; the server logs and ignores it, and so does this connection.
     *
     * @return the exception; empty if it returned normally or has not run
     */
    public Optional<Throwable> onCloseFailure() {
        return Optional.ofNullable(onCloseFailure);
    }

    /**
     * How many messages the mailbox did not queue because it was full, as the server counts them
     * in {@link dev.glisten.ServerStats#mailboxOverflows()}.
     *
     * @return the count
     */
    public long mailboxOverflows() {
        return mailboxOverflows;
    }

    /**
     * How many times the handler called {@link #startTls(Tls)}.
     *
     * @return the count
     */
    public int startTlsCalls() {
        return startTlsCalls;
    }

    /**
     * The virtual clock, for handlers that take a {@link Clock}: it moves only with {@link #advance}.
     *
     * @return a clock in UTC reading the virtual time
     */
    public Clock clock() {
        return new VirtualClock(EPOCH, () -> nowNanos);
    }

    // --- the engine: the server's ConnectionLoop over memory and a virtual clock ---

    private void checkAccepted(String event) {
        if (config.outbound) {
            throw new IllegalStateException(event + " comes only to a server's connection; this one is outbound");
        }
    }

    private void enqueue(Object item) {
        if (peerDone) {
            throw new IllegalStateException("the peer already closed its side (or its read failed)");
        }
        if (onCloseCalls > 0) {
            throw new IllegalStateException("the connection has ended: " + reported);
        }
        peerDone = !(item instanceof byte[]);
        input.add(item);
        runPending();
    }

    private void start() {
        turn.lock();
        try {
            if (loop.begin()) {
                runPending();
            }
        } finally {
            turn.unlock();
        }
    }

    private S init(Connection<M> connection) throws Exception {
        inCall = true;
        try {
            state = config.onInit.init(connection);
            initialized = true;
            return state;
        } finally {
            inCall = false;
        }
    }

    private Next<S> call(S current, Message<M> message, Connection<M> connection) throws Exception {
        inCall = true;
        try {
            Next<S> next = config.handler.handle(current, message, connection);
            if (next instanceof Next.Continue<S> continued) {
                state = continued.state();
            }
            return next;
        } finally {
            inCall = false;
        }
    }

    private void closed(S last, CloseReason reason, Connection<M> connection) {
        reported = reason;
        finalState = last;
        onCloseCalls++;
        inCall = true;
        try {
            config.onClose.onClose(last, reason, connection);
        } catch (Throwable e) {
            onCloseFailure = e;
        } finally {
            inCall = false;
            state = null;
        }
    }

    private void closeWith(CloseReason reason) {
        loop.closeWith(reason);
    }

    /** Where the loop runs: this thread, the virtual clock, the peer's bytes in memory. */
    private final class Host implements ConnectionLoop.Host {

        @Override
        public long nanoTime() {
            return nowNanos;
        }

        @Override
        public PeerInput input() {
            return input;
        }

        @Override
        public void closeChannel() {
            // No socket: the loop's closed state is what sends check.
        }

        @Override
        public void wake() {
            // The test drives the loop: runPending() delivers what was queued.
        }

        @Override
        public void abandonSends() {
            // Sends never wait here: a peer that stops reading times them out at once.
        }

        @Override
        public void mailboxOverflowed(int capacity, MailboxOverflow policy) {
            mailboxOverflows++;
        }

        @Override
        public void ended(CloseReason reason) {
            // closed() recorded everything when the loop ran onClose.
        }
    }

    // --- Connection ---

    @Override
    public void send(byte[] bytes) throws IOException {
        write(bytes.clone());
    }

    @Override
    public void send(ByteBuffer buffer) throws IOException {
        send(new ByteBuffer[] {buffer});
    }

    @Override
    public void send(ByteBuffer... buffers) throws IOException {
        loop.checkOpen();
        write(SentBytes.gather(buffers));
    }

    private void write(byte[] bytes) throws IOException {
        checkWritable();
        if (sendFailure != null) {
            closeWith(new CloseReason.SendFailed(sendFailure));
            throw sendFailure;
        }
        if (!peerReads) {
            // A real send blocks this long first: a handler that reads the clock sees it.
            nowNanos += config.sendTimeout.toNanos();
            closeWith(new CloseReason.SendTimedOut(config.sendTimeout));
            throw new SocketTimeoutException("send did not complete within the send timeout of " + config.sendTimeout
                    + " (the peer is not reading); the connection is closed");
        }
        sent.record(bytes);
    }

    private void checkWritable() throws IOException {
        loop.checkOpen();
        if (outputShut) {
            throw new SocketException("the output is shut down (shutdownOutput)");
        }
    }

    /** As on a socket: later sends fail, and the connection ends once the peer has finished too. */
    @Override
    public void shutdownOutput() throws IOException {
        loop.checkOpen();
        if (!outputShut) {
            outputShut = true;
            loop.outputFinished();
            // From the test's thread, after the peer finished: the connection ends now, as on a socket.
            if (Thread.currentThread() == owner && !turn.isHeldByCurrentThread()) {
                runPending();
            }
        }
    }

    /**
     * Whether the handler finished its side of the stream ({@link #shutdownOutput()}).
     *
     * @return {@code true} once it has
     */
    public boolean outputShut() {
        return outputShut;
    }

    @Override
    public long sendFile(FileChannel file, long offset, long length) throws IOException {
        Objects.requireNonNull(file, "file");
        FileRanges.check(offset, length, file.size());
        loop.checkOpen();
        byte[] bytes;
        try {
            bytes = SentBytes.read(file, offset, length);
        } catch (EOFException truncated) {
            closeWith(new CloseReason.SendFailed(truncated));
            throw truncated;
        }
        write(bytes);
        return length;
    }

    @Override
    public ConnectionHandle<M> handle() {
        return loop.handle();
    }

    @Override
    public SocketAddress peerAddress() {
        return config.proxiedFrom != null ? config.proxiedFrom : config.peer();
    }

    @Override
    public Optional<SocketAddress> proxyAddress() {
        return config.proxiedFrom == null ? Optional.empty() : Optional.of(config.peer());
    }

    @Override
    public Optional<ProxyHeader> proxyHeader() {
        return config.proxiedFrom == null ? Optional.empty()
                : Optional.of(new ProxyHeader(2, ProxyHeader.Command.PROXY, Optional.of(config.proxiedFrom),
                        Optional.of(config.local()), List.of()));
    }

    @Override
    public SocketAddress localAddress() {
        return config.local();
    }

    @Override
    public Optional<NegotiatedTls> tls() {
        return Optional.ofNullable(tls);
    }

    /**
     * Records the call and, with no handshake, settles what {@link Builder#startTlsNegotiates}
     * configured (TLSv1.3 with no ALPN and no client certificate by default).
     */
    @Override
    public NegotiatedTls startTls(Tls with) throws IOException {
        Objects.requireNonNull(with, "tls");
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("startTls must be called on the connection's own thread");
        }
        startTlsCalls++;
        if (config.outbound) {
            throw new IllegalStateException("startTls runs the server's side of a handshake; this connection is "
                    + "outbound, so its peer is the server");
        }
        if (tls != null) {
            throw new IllegalStateException("the connection already speaks TLS (" + tls.protocol() + ")");
        }
        loop.checkOpen();
        tls = config.negotiated(config.startTlsAlpn, config.startTlsPeerCertificates);
        // As on a server: what the peer sent in plain text after the STARTTLS command is dropped.
        input = input.upgraded();
        return tls;
    }

    @Override
    public Framing framing() {
        return loop.framing();
    }

    @Override
    public void framing(Framing framing) {
        Objects.requireNonNull(framing, "framing");
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("framing must be switched on the connection's own thread");
        }
        loop.framing(framing);
    }

    @Override
    public void close() {
        closeWith(new CloseReason.ClosedLocally());
        if (Thread.currentThread() == owner && !turn.isHeldByCurrentThread()) {
            runPending();
        }
    }

    @Override
    public String toString() {
        return "TestConnection[" + peerAddress() + (loop.isOpen() ? "" : ", closed " + reported) + "]";
    }
    /**
     * How the test connection looks to its handler. Every option has a default, so
     * {@code TestConnection.of(onInit, handler).start()} is a plain TCP connection from
     * {@code 127.0.0.1:50000} to {@code 127.0.0.1:4000} with no timeouts.
     *
     * @param <S> the connection's state
     * @param <M> the type of {@link Message.User} messages
     */
    public static final class Builder<S, M> {

        private final OnInit<S, M> onInit;
        private final Handler<S, M> handler;
        private OnClose<S, M> onClose = (state, reason, connection) -> { };
        private Duration idleTimeout;
        private Duration maxLifetime;
        private Duration sendTimeout = Duration.ofSeconds(30);
        private Framing framing = Framing.raw();
        private int maxFrameSize = LoopOptions.DEFAULT_MAX_FRAME_SIZE;
        private int readBufferSize = 16 * 1024;
        private int mailboxCapacity = LoopOptions.DEFAULT_MAILBOX_CAPACITY;
        private MailboxOverflow mailboxOverflow = MailboxOverflow.CLOSE;
        private boolean allowHalfClose;
        // Null for the defaults, which depend on the side: the client is at :50000, the server at :4000.
        private SocketAddress peerAddress;
        private SocketAddress localAddress;
        private boolean outbound;
        private SocketAddress proxiedFrom;
        private boolean tlsFromStart;
        private String tlsAlpn;
        private List<X509Certificate> tlsPeerCertificates = List.of();
        private String serverName;
        private String startTlsAlpn;
        private List<X509Certificate> startTlsPeerCertificates = List.of();

        private Builder(OnInit<S, M> onInit, Handler<S, M> handler) {
            this.onInit = onInit;
            this.handler = handler;
        }

        /**
         * Runs when the connection ends, as the server's does. Default: nothing.
         *
         * @param onClose the callback
         * @return this builder
         */
        public Builder<S, M> onClose(OnClose<S, M> onClose) {
            this.onClose = Objects.requireNonNull(onClose, "onClose");
            return this;
        }

        /**
         * Ends the connection with {@link CloseReason.IdleTimedOut} when no packet arrived for
         * {@code timeout} of virtual time ({@link TestConnection#advance}). Default: none.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder<S, M> idleTimeout(Duration timeout) {
            this.idleTimeout = positive("idleTimeout", timeout);
            return this;
        }

        /**
         * Ends the connection with {@link CloseReason.LifetimeEnded} once open for {@code lifetime}
         * of virtual time. Default: none.
         *
         * @param lifetime positive
         * @return this builder
         */
        public Builder<S, M> maxLifetime(Duration lifetime) {
            this.maxLifetime = positive("maxLifetime", lifetime);
            return this;
        }

        /**
         * How long a send waits for a peer that does not read ({@link TestConnection#peerStopsReading()})
         * before the connection ends with {@link CloseReason.SendTimedOut}. Default 30 seconds, as
         * the server's.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder<S, M> sendTimeout(Duration timeout) {
            this.sendTimeout = positive("sendTimeout", timeout);
            return this;
        }

        /**
         * How the connection cuts its bytes into packets, as {@code Server.Builder.framing}.
         * Default: raw.
         *
         * @param framing the framing the connection starts with
         * @return this builder
         */
        public Builder<S, M> framing(Framing framing) {
            this.framing = Objects.requireNonNull(framing, "framing");
            return this;
        }

        /**
         * The largest frame accepted, as {@code Server.Builder.maxFrameSize}. Default 65536.
         *
         * @param bytes between 1 and 1 GiB
         * @return this builder
         * @throws IllegalArgumentException naming {@code maxFrameSize} if out of range
         */
        public Builder<S, M> maxFrameSize(int bytes) {
            this.maxFrameSize = LoopOptions.maxFrameSize(bytes);
            return this;
        }

        /**
         * The most bytes one read takes, as {@code Server.Builder.readBufferSize}: a
         * {@link TestConnection#receive(byte[])} of more arrives in several reads. Default 16384.
         *
         * @param bytes between 1 and 16 MiB
         * @return this builder
         * @throws IllegalArgumentException naming {@code readBufferSize} if out of range
         */
        public Builder<S, M> readBufferSize(int bytes) {
            this.readBufferSize = LoopOptions.readBufferSize(bytes);
            return this;
        }

        /**
         * The mailbox's bound, as {@code Server.Builder.mailboxCapacity}. Default 1024.
         *
         * @param messages between 1 and 16777216
         * @return this builder
         * @throws IllegalArgumentException naming {@code mailboxCapacity} if out of range
         */
        public Builder<S, M> mailboxCapacity(int messages) {
            this.mailboxCapacity = LoopOptions.mailboxCapacity(messages);
            return this;
        }

        /**
         * What a full mailbox does, as {@code Server.Builder.mailboxOverflow}. Default
         * {@link MailboxOverflow#CLOSE}.
         *
         * @param policy the overflow policy
         * @return this builder
         */
        public Builder<S, M> mailboxOverflow(MailboxOverflow policy) {
            this.mailboxOverflow = Objects.requireNonNull(policy, "mailboxOverflow");
            return this;
        }

        /**
         * Whether {@link TestConnection#peerClosed()} half-closes the connection (the handler gets
         * {@link Message.EndOfInput} and may go on sending) rather than ending it, as the server's
         * option of that name does. Default {@code false}.
         *
         * @param allow whether to deliver the end of the peer's input
         * @return this builder
         */
        public Builder<S, M> allowHalfClose(boolean allow) {
            this.allowHalfClose = allow;
            return this;
        }

        /**
         * The socket's peer. Default: {@code 127.0.0.1:50000}; for an {@link #outbound()} one,
         * {@code 127.0.0.1:4000}.
         *
         * @param address the address
         * @return this builder
         */
        public Builder<S, M> peerAddress(SocketAddress address) {
            this.peerAddress = Objects.requireNonNull(address, "peerAddress");
            return this;
        }

        /**
         * The address the connection was accepted on, or for an {@link #outbound()} one, its own
         * address. Default: {@code 127.0.0.1:4000}; for an outbound one, {@code 127.0.0.1:50000}.
         *
         * @param address the address
         * @return this builder
         */
        public Builder<S, M> localAddress(SocketAddress address) {
            this.localAddress = Objects.requireNonNull(address, "localAddress");
            return this;
        }

        /**
         * Makes the connection one a {@link dev.glisten.Client} opened, to test a client's handler:
         * the server is the peer (the default addresses swap sides, see {@link #peerAddress});
         * {@link #tls}'s certificates are the server's, and its session names the server by
         * {@link #serverName}, as a client's engine does; {@link Connection#startTls} throws
         * {@link IllegalStateException}, as a client's does (it runs the server's side of a
         * handshake); and what only an accepted connection meets is refused:
         * {@link #proxiedFrom} when starting, {@link TestConnection#shutdown} and
         * {@link TestConnection#serverStopped} with {@link IllegalStateException}. Default: a
         * server's accepted connection.
         *
         * @return this builder
         */
        public Builder<S, M> outbound() {
            this.outbound = true;
            return this;
        }

        /**
         * Makes the connection one that began with a PROXY protocol (v2, {@code PROXY}) header
         * naming {@code client}: {@link Connection#peerAddress()} is {@code client},
         * {@link Connection#proxyAddress()} the socket's peer. Default: no header.
         *
         * @param client the original client's address
         * @return this builder
         */
        public Builder<S, M> proxiedFrom(SocketAddress client) {
            this.proxiedFrom = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * Makes the connection a TLS one from the start (TLSv1.3), as for a server built with
         * {@code tls(...)}. Default: plain TCP.
         *
         * @param alpn the protocol ALPN chose, or {@code null} for none
         * @param peerCertificates the peer's certificate chain, own certificate first (the client's;
         *     for an {@link #outbound()} connection, the server's); empty for none
         * @return this builder
         */
        public Builder<S, M> tls(String alpn, List<X509Certificate> peerCertificates) {
            this.tlsFromStart = true;
            this.tlsAlpn = alpn;
            this.tlsPeerCertificates = List.copyOf(peerCertificates);
            return this;
        }

        /**
         * The host name the TLS client asked for (SNI), which {@link NegotiatedTls#serverName()}
         * reports, for {@link #tls} and {@link #startTlsNegotiates}. Default: none, as from a
         * client that connects by IP address.
         *
         * @param hostName the name, such as {@code "api.example.com"}
         * @return this builder
         */
        public Builder<S, M> serverName(String hostName) {
            this.serverName = Objects.requireNonNull(hostName, "hostName");
            return this;
        }

        /**
         * What {@link Connection#startTls(Tls)} settles on this connection. Default: TLSv1.3, no
         * ALPN, no client certificate.
         *
         * @param alpn the protocol ALPN chose, or {@code null} for none
         * @param peerCertificates the client's certificate chain; empty for none
         * @return this builder
         */
        public Builder<S, M> startTlsNegotiates(String alpn, List<X509Certificate> peerCertificates) {
            this.startTlsAlpn = alpn;
            this.startTlsPeerCertificates = List.copyOf(peerCertificates);
            return this;
        }

        /**
         * Runs {@link OnInit} (and delivers what it queued), on the calling thread.
         *
         * @return the running connection, or the closed one if {@link OnInit} threw or closed it
         * @throws IllegalStateException if the connection is {@link #outbound()} and {@link #proxiedFrom}
         */
        public TestConnection<S, M> start() {
            if (outbound && proxiedFrom != null) {
                throw new IllegalStateException("proxiedFrom: an outbound connection receives no PROXY header "
                        + "(a client sends one, with Client.Builder.proxyHeader)");
            }
            TestConnection<S, M> connection = new TestConnection<>(this);
            connection.start();
            return connection;
        }

        private NegotiatedTls negotiated(String alpn, List<X509Certificate> peerCertificates) {
            // As the server's handshake, the session names the client, the PROXY header's if any; as
            // a client's, the server by the name it verifies (RealClientTls.newEngine).
            SocketAddress peer = proxiedFrom != null ? proxiedFrom : peer();
            if (outbound && serverName != null && peer instanceof InetSocketAddress server) {
                peer = InetSocketAddress.createUnresolved(serverName, server.getPort());
            }
            return FakeSslSession.negotiated(alpn, serverName, peerCertificates, peer, EPOCH.toEpochMilli());
        }

        private SocketAddress peer() {
            return peerAddress != null ? peerAddress : outbound ? SERVER_SIDE : CLIENT_SIDE;
        }

        private SocketAddress local() {
            return localAddress != null ? localAddress : outbound ? CLIENT_SIDE : SERVER_SIDE;
        }

        private static Duration positive(String option, Duration value) {
            return LoopOptions.positive(option, value);
        }
    }
}
