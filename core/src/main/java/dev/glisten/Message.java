package dev.glisten;

import java.nio.charset.Charset;
import java.time.Duration;

/**
 * What a {@link Handler} receives: bytes from the socket ({@link Packet}), a value another thread
 * sent to the connection's {@link ConnectionHandle} ({@link User}), the notice of a graceful
 * shutdown ({@link ShuttingDown}), or, where half-close is allowed, the end of the peer's input
 * ({@link EndOfInput}).
 *
 * <pre>{@code
 * switch (message) {
 *     case Message.Packet<Chat> packet -> ...packet.text(UTF_8) or connection.send(packet)...
 *     case Message.User<Chat> user -> ...user.message()...
 *     case Message.ShuttingDown<Chat> notice -> ...say goodbye, or finish the exchange...
 *     case Message.EndOfInput<Chat> end -> ...answer, then connection.shutdownOutput()...
 * }
 * }</pre>
 *
 * @param <M> the type of {@link User} messages
 */
public sealed interface Message<M> permits Message.Packet, Message.User, Message.ShuttingDown, Message.EndOfInput {

    /**
     * Bytes from the peer: under the default {@linkplain Framing#raw() raw framing}, what one read
     * returned (between one byte and the read buffer size; TCP is a byte stream, so one send by the
     * peer may arrive in several packets and several sends in one); under any other
     * {@link Framing}, exactly one frame, however many reads it took.
     *
     * <p><b>A packet is lent for one call of the loop.</b> Its bytes stay in the server's read
     * buffer, which the next read reuses, so a handler that forwards or parses them costs no copy
     * and no allocation: {@code connection.send(packet)} writes them straight from that buffer.
     * What may be kept after the call returns is only what was copied out during it:
     * {@link #bytes()}, {@link #text(Charset)}, or a {@link #copy()}. Once the call has returned,
     * every method of a lent packet throws {@link IllegalStateException}, and a {@link #buffer()}
     * view taken during the call has no bytes left (its reads throw), so a packet kept by accident
     * fails loudly instead of reading bytes that belong to a later read. Only a
     * {@linkplain java.nio.ByteBuffer#duplicate() duplicate} or slice made of that view escapes
     * the check: never keep one.
     *
     * <p>Packets compare by content, so tests can write
     * {@code assertEquals(Message.Packet.of(expected), packet)} during a call.
     *
     * @param <M> the type of {@link User} messages
     */
    sealed interface Packet<M> extends Message<M> permits dev.glisten.internal.loop.RealPacket {

        /**
         * A packet that owns {@code bytes} and never expires: for tests and for packets made by
         * hand. The array is not copied; do not change it afterwards.
         *
         * @param bytes the packet's bytes
         * @param <M> the type of {@link User} messages
         * @return a packet of those bytes
         * @throws NullPointerException if {@code bytes} is null
         */
        static <M> Packet<M> of(byte[] bytes) {
            return dev.glisten.internal.loop.RealPacket.owned(bytes);
        }

        /**
         * How many bytes the packet has: for a frame, its payload (a stripped length header not
         * counted).
         *
         * @return the length, 0 or more (an empty frame is possible, a raw packet has at least one)
         * @throws IllegalStateException if the packet was lent for a call that has returned
         */
        int length();

        /**
         * One byte, without copying the rest.
         *
         * @param index from 0 to {@link #length()} - 1
         * @return the byte at {@code index}
         * @throws IndexOutOfBoundsException if {@code index} is outside the packet
         * @throws IllegalStateException if the packet was lent for a call that has returned
         */
        byte get(int index);

        /**
         * The bytes as a read-only view, from position 0 to {@link #length()}, without a copy: to
         * parse in place or to {@linkplain Connection#send(java.nio.ByteBuffer) send} on. Every call
         * rewinds the same view to the whole packet. Valid during the loop call only (see above).
         *
         * @return a read-only view of the packet's bytes
         * @throws IllegalStateException if the packet was lent for a call that has returned
         */
        java.nio.ByteBuffer buffer();

        /**
         * A copy of the bytes that the caller owns: it may be kept and modified. Allocates and
         * copies each time; a handler that only forwards or parses needs {@link #buffer()}.
         *
         * @return a new array of {@link #length()} bytes
         * @throws IllegalStateException if the packet was lent for a call that has returned
         */
        byte[] bytes();

        /**
         * Decodes the bytes.
         *
         * @param charset the encoding
         * @return the bytes as text
         * @throws IllegalStateException if the packet was lent for a call that has returned
         */
        String text(Charset charset);

        /**
         * A packet of the same bytes that owns them and may be kept: {@code this} if this one already
         * owns its bytes, otherwise a copy.
         *
         * @return a packet that never expires
         * @throws IllegalStateException if the packet was lent for a call that has returned
         */
        Packet<M> copy();
    }

    /**
     * A value sent with {@link ConnectionHandle#send(Object)}.
     *
     * @param message the value
     * @param <M> the type of {@link User} messages
     */
    record User<M>(M message) implements Message<M> { }

    /**
     * The server is {@linkplain Server#shutdown(Duration) shutting down gracefully}: delivered once,
     * after the message being handled, the {@link User} messages already queued (up to 64, so a
     * mailbox that keeps filling cannot hold it back) and any request already waiting in the
     * socket, so the protocol can say goodbye (a {@code 421} in SMTP, a {@code GOAWAY} in HTTP/2)
     * or finish the exchange in progress, then return {@link Next#stop()}. A loop that ignores it
     * keeps running until its peer leaves or the drain timeout closes it
     * ({@link CloseReason.ServerStopped}).
     *
     * @param drainTimeout how long the server waits in all, from when it sent the notice
     * @param <M> the type of {@link User} messages
     */
    record ShuttingDown<M>(Duration drainTimeout) implements Message<M> { }

    /**
     * The peer has finished sending: it half-closed the connection (TCP's FIN, from
     * {@code shutdown(SHUT_WR)} or {@code nc} at the end of its input; over TLS, a
     * {@code close_notify}). Delivered once, after its last {@link Packet}, and only where half-close
     * is allowed ({@link Server.Builder#allowHalfClose}, {@link Client.Builder#allowHalfClose});
     * otherwise the peer's end of input ends the connection ({@link CloseReason.PeerClosed}), as it
     * also does when this side had finished first ({@link Connection#shutdownOutput()}): both
     * sides are then done.
     *
     * <p>No more packets come, but the connection stays open for sending: answer the request the
     * peer finished with, then call {@link Connection#shutdownOutput()} (which ends the connection
     * now that both sides have finished) or return {@link Next#stop()}. {@link User} messages and
     * a {@link ShuttingDown} notice are still delivered meanwhile, and the idle timeout and the
     * lifetime still apply. A trailing partial frame (under a {@link Framing} other than raw) is
     * dropped: the peer ended in the middle of it.
     *
     * @param <M> the type of {@link User} messages
     */
    record EndOfInput<M>() implements Message<M> { }
}
