package dev.glisten;

import java.net.ProtocolException;
import java.nio.ByteBuffer;

/**
 * Finds where one frame of a protocol ends in the bytes a connection has read: the part of a
 * {@link Framing} that the built-in framings are written on, and that serves protocols they do not
 * cover. A decoder is given the unframed bytes and answers how long the frame that starts there
 * is; the connection does the rest (reading more, holding a partial frame, the maximum size,
 * delivering each frame as one {@link Message.Packet}).
 *
 * <p>Decoders are shared by every connection of a server and called by many threads at once, so
 * they must keep no state between calls. MQTT's variable-length "remaining length" (1 to 4 bytes
 * of 7 bits each after a 1-byte fixed header) is one such decoder:
 *
 * <pre>{@code
 * FrameDecoder mqtt = (input, examined) -> {
 *     int start = input.position();
 *     long remaining = 0;
 *     for (int i = 0; i < 4; i++) {
 *         if (input.remaining() < 2 + i) {
 *             return 0;                                 // the length is not all here yet
 *         }
 *         byte digit = input.get(start + 1 + i);
 *         remaining |= (long) (digit & 0x7F) << (7 * i);
 *         if ((digit & 0x80) == 0) {
 *             return 2 + i + remaining;                 // fixed header, length bytes, the rest
 *         }
 *     }
 *     throw new ProtocolException("MQTT remaining length longer than 4 bytes");
 * };
 * Server.builder(onInit, handler).framing(Framing.of(mqtt)) ...
 * }</pre>
 */
@FunctionalInterface
public interface FrameDecoder {

    /**
     * Tells the length of the frame that starts at {@code input.position()}.
     *
     * <p>It may answer before the whole frame has arrived: a length header tells the size of
     * what follows, and the connection then closes a frame over the maximum size at once, without
     * reading or holding its bytes ({@link CloseReason.FrameTooLarge}), or waits for the rest.
     *
     * @param input the bytes read and not yet framed, from its position to its limit, read-only;
     *     read them with absolute gets ({@code input.get(input.position() + i)}), and leave its
     *     position and limit as they are
     * @param examined how many of those bytes an earlier call already saw and answered 0 for, so
     *     a decoder that scans for a delimiter can start there instead of at the beginning (a
     *     peer that sends one byte at a time then costs linear time, not quadratic)
     * @return the frame's length as it arrives, header and delimiter included (it may exceed
     *     {@code input.remaining()}), or 0 when more bytes are needed to tell
     * @throws ProtocolException if the bytes cannot begin a valid frame; the connection is closed
     *     with {@link CloseReason.FrameMalformed} carrying it
     */
    long frameLength(ByteBuffer input, int examined) throws ProtocolException;

    /**
     * How many bytes at the start of every frame are a header the {@link Message.Packet} leaves
     * out, such as a length prefix that only says where the frame ends.
     *
     * @return 0 by default: the packet is the whole frame
     */
    default int headerLength() {
        return 0;
    }
}
