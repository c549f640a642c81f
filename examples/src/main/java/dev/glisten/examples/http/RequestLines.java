package dev.glisten.examples.http;

import dev.glisten.FrameDecoder;
import dev.glisten.Framing;
import java.nio.ByteBuffer;

/**
 * Cuts a request head into lines, as {@link Framing#lines()} does, but delivers a line longer than
 * {@link #LONGEST_LINE} as a packet too: its first {@code LONGEST_LINE + 1} bytes, with no line
 * feed at the end (or one just past the limit). The handler can then answer 400 or 431 before it
 * closes the connection.
 *
 * <p>Why not {@code Framing.lines()} with a maximum frame size of 8 KiB: an over-long line would
 * then close the connection inside the server ({@link dev.glisten.CloseReason.FrameTooLarge}),
 * where nothing can answer it, and the one maximum frame size of a server would also cap the body,
 * which {@link Framing#fixed(int)} reads as one frame. With this decoder a line never holds more
 * than {@code LONGEST_LINE + 1} bytes, and the maximum frame size is free to be the body's limit.
 */
final class RequestLines implements FrameDecoder {

    /**
     * The longest line of a request head, CRLF included: 8 KiB, the limit of nginx's default
     * {@code large_client_header_buffers} and Apache's {@code LimitRequestFieldSize}.
     */
    static final int LONGEST_LINE = 8192;

    static final Framing FRAMING = Framing.of(new RequestLines());

    private RequestLines() { }

    @Override
    public long frameLength(ByteBuffer input, int examined) {
        int start = input.position();
        int available = input.remaining();
        int end = Math.min(available, LONGEST_LINE + 1);
        for (int i = examined; i < end; i++) {
            if (input.get(start + i) == '\n') {
                return i + 1;
            }
        }
        return available > LONGEST_LINE ? LONGEST_LINE + 1 : 0;
    }

    /**
     * Whether a packet this decoder cut is a line over the limit rather than a whole line.
     *
     * @param length the packet's length
     */
    static boolean tooLong(int length) {
        return length > LONGEST_LINE;
    }

    @Override
    public String toString() {
        return "HTTP request lines of at most " + LONGEST_LINE + " bytes";
    }
}
