package dev.glisten;

import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link Handler} receives: bytes from the socket ({@link Packet}), a value another thread
 * sent to the connection's {@link ConnectionHandle} ({@link User}), or the notice of a graceful
 * shutdown ({@link ShuttingDown}).
 *
 * <pre>{@code
 * switch (message) {
 *     case Message.Packet<Chat> packet -> ...packet.bytes()...
 *     case Message.User<Chat> user -> ...user.message()...
 *     case Message.ShuttingDown<Chat> notice -> ...say goodbye, or finish the exchange...
 * }
 * }</pre>
 *
 * @param <M> the type of {@link User} messages
 */
public sealed interface Message<M> permits Message.Packet, Message.User, Message.ShuttingDown {

    /**
     * Bytes read from the socket in one read: between one byte and the configured read buffer
     * size. TCP is a byte stream, so a packet is not a message of the peer's protocol: one send by
     * the peer may arrive in several packets, and several sends in one.
     *
     * @param bytes the bytes; the array is this packet's own and may be kept or modified
     * @param <M> the type of {@link User} messages
     */
    record Packet<M>(byte[] bytes) implements Message<M> {

        /**
         * Checks that {@code bytes} is present.
         *
         * @throws NullPointerException if {@code bytes} is null
         */
        public Packet {
            Objects.requireNonNull(bytes, "bytes");
        }

        /**
         * Decodes the bytes.
         *
         * @param charset the encoding
         * @return the bytes as text
         */
        public String text(Charset charset) {
            return new String(bytes, charset);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Packet<?> packet && Arrays.equals(bytes, packet.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Packet[" + bytes.length + " bytes]";
        }
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
}
