package dev.glisten;

import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.socket.SocketOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The options every connection's loop has, whichever side opened it: written once for
 * {@link Server.Builder} and {@link Client.Builder}, which inherit them. Each setter checks its
 * value at once and throws {@link IllegalArgumentException} naming the option; every default is
 * declared here.
 *
 * @param <S> the per-connection state
 * @param <M> the type of {@link Message.User} messages connections accept
 * @param <B> the builder itself, which every setter returns
 */
abstract class ConnectionBuilder<S, M, B extends ConnectionBuilder<S, M, B>> {

    private final OnInit<S, M> onInit;
    private final Handler<S, M> handler;
    private OnClose<S, M> onClose = (state, reason, connection) -> { };
    private SocketOptions socketOptions = SocketOptions.defaults();
    private int readBufferSize = 16 * 1024;
    private Duration sendTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout;
    private Duration maxLifetime;
    private Framing framing = Framing.raw();
    private int maxFrameSize = LoopOptions.DEFAULT_MAX_FRAME_SIZE;
    private int mailboxCapacity = LoopOptions.DEFAULT_MAILBOX_CAPACITY;
    private MailboxOverflow mailboxOverflow = MailboxOverflow.CLOSE;
    private boolean allowHalfClose;

    ConnectionBuilder(OnInit<S, M> onInit, Handler<S, M> handler) {
        this.onInit = Objects.requireNonNull(onInit, "onInit");
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Runs when a connection ends, exactly once, however it ends. Default: nothing.
     *
     * @param onClose the callback
     * @return this builder
     */
    public B onClose(OnClose<S, M> onClose) {
        this.onClose = Objects.requireNonNull(onClose, "onClose");
        return self();
    }

    /**
     * Socket options; see {@link SocketOptions} for each default. A server uses them all: bind
     * address, IPv6, backlog and address reuse for its listen socket, {@code TCP_NODELAY} (on by
     * default), keep-alive, linger and buffer sizes for each connection. A client uses the
     * per-connection ones, applied before it connects.
     *
     * @param socketOptions the options
     * @return this builder
     */
    public B socketOptions(SocketOptions socketOptions) {
        this.socketOptions = Objects.requireNonNull(socketOptions, "socketOptions");
        return self();
    }

    /**
     * Changes some socket options, keeping the rest:
     * {@code .socketOptions(o -> o.bindAddress("::1").keepAlive(true))}.
     *
     * @param change edits a builder holding the current options
     * @return this builder
     */
    public B socketOptions(UnaryOperator<SocketOptions.Builder> change) {
        return socketOptions(change.apply(socketOptions.toBuilder()).build());
    }

    /**
     * The size of each socket read: the most bytes one raw {@link Message.Packet} carries.
     * Larger values mean fewer handler calls for bulk data. Read buffers are direct, pooled
     * and shared: a connection holds one only from a read until the handler calls on that
     * read's packets return (they are lent from it), so an idle connection holds none and
     * this size multiplies by the connections in a handler call at once (a few per carrier,
     * more while handlers wait in sends), not by the connections open; a server's pool keeps
     * {@code max(16, 4 x processors)} of them, and so does the pool all client connections share.
     * A partial frame waits in a heap buffer of its own (see {@link #maxFrameSize(int)}).
     * Default 16384 (16 KiB).
     *
     * @param bytes between 1 and 16 MiB
     * @return this builder
     * @throws IllegalArgumentException naming {@code readBufferSize} if out of range
     */
    public B readBufferSize(int bytes) {
        this.readBufferSize = LoopOptions.readBufferSize(bytes);
        return self();
    }

    /**
     * How every connection cuts its bytes into {@link Message.Packet}s, until its handler
     * {@linkplain Connection#framing(Framing) switches}: raw reads, lines, length-prefixed or
     * length-field frames, fixed-length blocks, or a {@link FrameDecoder} of your own. Default
     * {@link Framing#raw()}, packets as read.
     *
     * @param framing the framing each connection starts with
     * @return this builder
     */
    public B framing(Framing framing) {
        this.framing = Objects.requireNonNull(framing, "framing");
        return self();
    }

    /**
     * The largest frame a connection accepts, in bytes as it arrives (header and delimiter
     * included), under any framing but raw. A length header declaring more, or a line growing
     * past it without a delimiter, closes the connection at once
     * ({@link CloseReason.FrameTooLarge}) without reading or buffering the declared bytes. A
     * connection holds at most this much (plus one read) while a frame is partial, so the most
     * connections open times this bounds the heap that partial frames can take. Default 65536
     * (64 KiB): more than any line of a text protocol (HTTP servers cap a header line at 8 KiB)
     * and the usual RPC message, while 16,384 connections each holding a partial frame stay
     * within 1 GiB; raise it for protocols with larger messages.
     *
     * @param bytes between 1 and 1 GiB
     * @return this builder
     * @throws IllegalArgumentException naming {@code maxFrameSize} if out of range
     */
    public B maxFrameSize(int bytes) {
        this.maxFrameSize = LoopOptions.maxFrameSize(bytes);
        return self();
    }

    /**
     * The most {@link Message.User} messages a connection's mailbox holds before the
     * {@linkplain #mailboxOverflow(MailboxOverflow) overflow policy} applies. A mailbox only
     * fills when its connection cannot keep up, usually because its peer stopped reading and
     * its loop waits in a send; the bound keeps such a connection from holding the process's
     * memory until the send timeout ends it. Default 1024: far more than a loop that keeps up
     * ever has queued (a chat line broadcast to every member adds one message to each), so only
     * a stuck connection reaches it, and at 1 KiB a message that is 1 MiB per connection at
     * most.
     *
     * @param messages between 1 and 16777216
     * @return this builder
     * @throws IllegalArgumentException naming {@code mailboxCapacity} if out of range
     */
    public B mailboxCapacity(int messages) {
        this.mailboxCapacity = LoopOptions.mailboxCapacity(messages);
        return self();
    }

    /**
     * What a full mailbox does with one more message: close the connection
     * ({@link MailboxOverflow#CLOSE}, the default) or refuse the message
     * ({@link MailboxOverflow#REFUSE}). Either way the sender learns it from
     * {@link ConnectionHandle#send(Object)}.
     *
     * @param policy the overflow policy
     * @return this builder
     */
    public B mailboxOverflow(MailboxOverflow policy) {
        this.mailboxOverflow = Objects.requireNonNull(policy, "mailboxOverflow");
        return self();
    }

    /**
     * How long one send may block because the peer is not reading. When it expires the
     * connection is closed ({@link CloseReason.SendTimedOut}) and the send throws. The timeout
     * counts from the moment a send first has to wait for room in the socket's send buffer (over
     * TLS, from the start of the send); for {@link Connection#sendFile(java.nio.channels.FileChannel,
     * long, long) sendFile}, from the last progress, so a large file may take longer as long as
     * the peer keeps reading. Default 30 seconds.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException naming {@code sendTimeout} if zero, negative or over 36500 days
     */
    public B sendTimeout(Duration timeout) {
        this.sendTimeout = LoopOptions.positive("sendTimeout", timeout);
        return self();
    }

    /**
     * Ends a connection when no bytes have arrived from its peer for this long
     * ({@link CloseReason.IdleTimedOut}). Only bytes from the peer count: a connection busy
     * with {@link Message.User} messages (a chat member receiving broadcasts from a half-open
     * socket) still times out, however many arrive. Checked between handler calls, so a handler
     * call that blocks is not cut short, and bytes that arrived while it ran count as the peer
     * being alive. Default: none (a connection may wait forever).
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException naming {@code idleTimeout} if zero, negative or over 36500 days
     */
    public B idleTimeout(Duration timeout) {
        this.idleTimeout = LoopOptions.positive("idleTimeout", timeout);
        return self();
    }

    /**
     * Ends every connection this long after it was opened ({@link CloseReason.LifetimeEnded}),
     * however busy: for spreading long-lived clients over new servers after a deploy, or
     * rotating credentials. Checked between handler calls. Default: none.
     *
     * @param lifetime positive
     * @return this builder
     * @throws IllegalArgumentException naming {@code maxLifetime} if zero, negative or over 36500 days
     */
    public B maxLifetime(Duration lifetime) {
        this.maxLifetime = LoopOptions.positive("maxLifetime", lifetime);
        return self();
    }

    /**
     * Whether a peer that finishes sending (TCP's FIN, from {@code shutdown(SHUT_WR)}; over TLS, a
     * {@code close_notify}) half-closes the connection instead of ending it. With {@code true}
     * the handler gets {@link Message.EndOfInput} after the last packet and may go on sending
     * (the answer to a request the peer ended with EOF, as {@code nc} sends one); the connection
     * ends when the handler stops, or calls {@link Connection#shutdownOutput()} to finish its
     * own side. With {@code false}, the default (as in glisten), the peer's end of input ends the
     * connection ({@link CloseReason.PeerClosed}) and anything the handler would have answered is
     * lost.
     *
     * <p>Over TLS 1.2 the JDK answers a {@code close_notify} with its own, which finishes the
     * output too: half-close over TLS needs TLS 1.3.
     *
     * @param allow whether to deliver the end of the peer's input
     * @return this builder
     */
    public B allowHalfClose(boolean allow) {
        this.allowHalfClose = allow;
        return self();
    }

    /** What each connection's loop runs, and within which limits. */
    LoopOptions<S, M> loopOptions() {
        return new LoopOptions<>(onInit, handler, onClose, idleTimeout, maxLifetime, framing, maxFrameSize,
                mailboxCapacity, mailboxOverflow, allowHalfClose);
    }

    SocketOptions socketOptions() {
        return socketOptions;
    }

    int readBufferSize() {
        return readBufferSize;
    }

    Duration sendTimeout() {
        return sendTimeout;
    }
}
