package dev.glisten.reliability;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * The bytes abusers send to each kind of server: well-formed for the protocol, so that what
 * hurts is the manner (too slow, cut off, never read), not the content.
 */
enum Wire {
    /** Any bytes: the echo example, or a TCP proxy in front of one. */
    ECHO,
    /** {@code echo --packet 2}: frames with a two-byte big-endian length header. */
    FRAMED,
    /** The http example. */
    HTTP,
    /** The chat example: lines, which never start like a legitimate member's ({@code "L "}). */
    CHAT;

    /** What a slowloris sends one byte at a time: never the end of a request or a line. */
    byte[] trickle(Random random) {
        return switch (this) {
            case ECHO -> randomBytes(random, 64);
            case FRAMED -> {
                // A frame announcing 200 bytes, of which far fewer come.
                byte[] frame = randomBytes(random, 202);
                frame[0] = 0;
                frame[1] = (byte) 200;
                yield frame;
            }
            case HTTP -> ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(200)).getBytes(US_ASCII);
            case CHAT -> ("slow " + "a".repeat(200)).getBytes(US_ASCII);
        };
    }

    /**
     * A request of about {@code size} bytes, whose answer (if the protocol has one) is as large:
     * what an abuser resets in the middle of writing or of reading the answer.
     */
    byte[] large(Random random, int size) {
        return switch (this) {
            case ECHO -> randomBytes(random, size);
            case FRAMED -> {
                ByteArrayOutputStream frames = new ByteArrayOutputStream();
                // At most size / 1000 frames: bounded.
                while (frames.size() < size) {
                    byte[] payload = randomBytes(random, 1000);
                    frames.write(payload.length >>> 8);
                    frames.write(payload.length);
                    frames.writeBytes(payload);
                }
                yield frames.toByteArray();
            }
            case HTTP -> {
                byte[] body = randomBytes(random, size);
                yield HttpConversation.concat(("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + size
                        + "\r\n\r\n").getBytes(US_ASCII), body);
            }
            case CHAT -> {
                // One long line, cut before its newline by the reset: nobody receives it.
                byte[] line = new byte[Math.min(size, 60_000)];
                Arrays.fill(line, (byte) 'b');
                yield line;
            }
        };
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
