package dev.glisten;

import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * How a connection cuts the byte stream into {@link Message.Packet}s, in the vocabulary of
 * Erlang's {@code {packet, raw | line | 1 | 2 | 4}}: set for every connection of a server with
 * {@link Server.Builder#framing(Framing)}, and switched by one connection's handler mid-stream
 * with {@link Connection#framing(Framing)} (read an HTTP header as lines, then its body as one
 * {@linkplain #fixed(int) fixed-length} block).
 *
 * <p>Under any framing but {@link #raw()}, a packet is exactly one frame, however many reads it
 * took, and several frames in one read are several packets, each its own call of the loop (a
 * {@link Next#stop()} after the first means the second is never delivered). A frame larger than
 * {@link Server.Builder#maxFrameSize(int)}, as its header declares it or as a line grows past it,
 * closes the connection at once with {@link CloseReason.FrameTooLarge}; bytes that cannot begin
 * a frame close it with {@link CloseReason.FrameMalformed}. Either way only that connection ends.
 * A connection holds a buffer only while part of a frame waits for the rest: one that waits
 * between frames holds none.
 *
 * <p>Framings are immutable values, shared by any number of connections.
 */
public final class Framing {

    private enum Kind { RAW, LINE, LENGTH_PREFIXED, LENGTH_FIELD, FIXED, CUSTOM }

    private static final Framing RAW = new Framing(Kind.RAW, null, "raw", 0, (byte) 0, 0);
    private static final Framing LINES = lines((byte) '\n');

    private final Kind kind;
    private final FrameDecoder decoder;
    private final String description;
    private final int headerWidth;
    private final byte delimiter;
    private final int fixedLength;

    private Framing(Kind kind, FrameDecoder decoder, String description, int headerWidth, byte delimiter,
            int fixedLength) {
        this.kind = kind;
        this.decoder = decoder;
        this.description = description;
        this.headerWidth = headerWidth;
        this.delimiter = delimiter;
        this.fixedLength = fixedLength;
    }

    /**
     * No framing, the default: each packet is what one read returned, between one byte and the
     * read buffer size. The maximum frame size does not apply.
     *
     * @return the raw framing
     */
    public static Framing raw() {
        return RAW;
    }

    /**
     * Lines ending in {@code \n}: see {@link #lines(byte)}.
     *
     * @return the line framing
     */
    public static Framing lines() {
        return LINES;
    }

    /**
     * Lines ending in {@code delimiter}: each packet is one line with its delimiter (so
     * {@code \r\n} lines end in {@code \r\n}, and the handler strips what it wants). Bytes after the
     * last delimiter wait for the rest of their line; at the end of the stream they are not
     * delivered. A line whose bytes reach the maximum frame size without a delimiter closes the
     * connection ({@link CloseReason.FrameTooLarge}).
     *
     * @param delimiter the byte that ends a line
     * @return the line framing
     */
    public static Framing lines(byte delimiter) {
        return new Framing(Kind.LINE, (input, examined) -> {
            int start = input.position();
            int end = input.limit();
            for (int i = start + examined; i < end; i++) {
                if (input.get(i) == delimiter) {
                    return i - start + 1;
                }
            }
            return 0;
        }, "lines(0x" + Integer.toHexString(delimiter & 0xFF) + ")", 0, delimiter, 0);
    }

    /**
     * Frames that begin with their length as a big-endian unsigned integer of {@code headerBytes}
     * bytes, counting what follows the header (Erlang's {@code {packet, 1 | 2 | 4}}). The packet
     * is what follows, header stripped; {@link Connection#sendFrame(ByteBuffer)} adds the header.
     *
     * @param headerBytes 1, 2 or 4
     * @return the length-prefixed framing
     * @throws IllegalArgumentException naming {@code headerBytes} if it is not 1, 2 or 4
     */
    public static Framing lengthPrefixed(int headerBytes) {
        if (headerBytes != 1 && headerBytes != 2 && headerBytes != 4) {
            throw new IllegalArgumentException("headerBytes must be 1, 2 or 4, got " + headerBytes);
        }
        FrameDecoder decoder = new FrameDecoder() {
            @Override
            public long frameLength(ByteBuffer input, int examined) {
                if (input.remaining() < headerBytes) {
                    return 0;
                }
                return headerBytes + unsigned(input, input.position(), headerBytes, ByteOrder.BIG_ENDIAN);
            }

            @Override
            public int headerLength() {
                return headerBytes;
            }
        };
        return new Framing(Kind.LENGTH_PREFIXED, decoder, "lengthPrefixed(" + headerBytes + ")", headerBytes,
                (byte) 0, 0);
    }

    /**
     * Frames whose length is a field inside a header, as in PostgreSQL (a type byte, then a 4-byte
     * length that counts itself: {@code lengthField(1, 4, -4, BIG_ENDIAN)}) or Kafka
     * ({@code lengthField(0, 4, 0, BIG_ENDIAN)}). The frame is {@code offset + width + value +
     * adjustment} bytes long, and the packet is the whole frame, header included, since such a
     * header usually says more than the length.
     *
     * @param offset where the length field begins, 0 or more bytes into the frame
     * @param width the field's size: 1, 2, 3, 4 or 8 bytes, read as unsigned (8 as signed, and a
     *     negative value is malformed)
     * @param adjustment added to the field's value to give the bytes after the field: negative when
     *     the value counts the header too
     * @param order the field's byte order
     * @return the length-field framing
     * @throws IllegalArgumentException naming {@code offset} or {@code width} if out of range
     */
    public static Framing lengthField(int offset, int width, int adjustment, ByteOrder order) {
        Objects.requireNonNull(order, "order");
        if (offset < 0 || offset > 65_535) {
            throw new IllegalArgumentException("offset must be between 0 and 65535, got " + offset);
        }
        if (width != 1 && width != 2 && width != 3 && width != 4 && width != 8) {
            throw new IllegalArgumentException("width must be 1, 2, 3, 4 or 8, got " + width);
        }
        int header = offset + width;
        FrameDecoder decoder = (input, examined) -> {
            if (input.remaining() < header) {
                return 0;
            }
            long value = unsigned(input, input.position() + offset, width, order);
            long length = header + value + adjustment;
            if (value < 0 || length < header) {
                throw new ProtocolException("length field value " + value + " with adjustment " + adjustment
                        + " gives a frame shorter than its " + header + "-byte header");
            }
            return length;
        };
        return new Framing(Kind.LENGTH_FIELD, decoder, "lengthField(offset " + offset + ", width " + width
                + ", adjustment " + adjustment + ", " + order + ")", 0, (byte) 0, 0);
    }

    /**
     * Frames of exactly {@code length} bytes: an HTTP body of a known {@code Content-Length}, or a
     * fixed-size record. Usually switched to for one frame and then away from.
     *
     * @param length 1 or more bytes
     * @return the fixed-length framing
     * @throws IllegalArgumentException naming {@code length} if below 1
     */
    public static Framing fixed(int length) {
        if (length < 1) {
            throw new IllegalArgumentException("length must be 1 or more, got " + length);
        }
        return new Framing(Kind.FIXED, (input, examined) -> length, "fixed(" + length + ")", 0, (byte) 0, length);
    }

    /**
     * A framing of your own: see {@link FrameDecoder}. {@link Connection#sendFrame(ByteBuffer)}
     * is not available under it (the handler writes its headers itself with a send).
     *
     * @param decoder how to find the end of a frame
     * @return the framing
     */
    public static Framing of(FrameDecoder decoder) {
        return new Framing(Kind.CUSTOM, Objects.requireNonNull(decoder, "decoder"), "custom(" + decoder + ")", 0,
                (byte) 0, 0);
    }

    /**
     * Whether this is {@link #raw()}: no frames, packets as read.
     *
     * @return {@code true} for the raw framing
     */
    public boolean isRaw() {
        return kind == Kind.RAW;
    }

    /**
     * The decoder behind this framing.
     *
     * @return the decoder; {@code null} for {@link #raw()}, which has none
     */
    public FrameDecoder decoder() {
        return decoder;
    }

    /**
     * What {@link Connection#sendFrame(ByteBuffer)} sends before a payload of {@code length} bytes
     * under this framing, written into {@code header}; and checks that such a frame can be sent.
     *
     * @return the bytes put, 0 if this framing has no header (lines put theirs after: see
     *     {@link #trailer()})
     * @throws IllegalArgumentException if a payload of {@code length} bytes is not a frame of this
     *     framing (too long for the header, not the fixed length)
     * @throws UnsupportedOperationException for a length field or a custom framing
     */
    int putHeader(int length, ByteBuffer header) {
        switch (kind) {
            case LENGTH_PREFIXED -> {
                long most = headerWidth == 4 ? 0xFFFF_FFFFL : (1L << (8 * headerWidth)) - 1;
                if (length > most) {
                    throw new IllegalArgumentException("a frame of " + length + " bytes does not fit the "
                            + headerWidth + "-byte length header of " + this + " (at most " + most + ")");
                }
                for (int i = headerWidth - 1; i >= 0; i--) {
                    header.put((byte) (length >>> (8 * i)));
                }
                return headerWidth;
            }
            case FIXED -> {
                if (length != fixedLength) {
                    throw new IllegalArgumentException("a frame of " + this + " must have " + fixedLength
                            + " bytes, got " + length);
                }
                return 0;
            }
            case RAW, LINE -> {
                return 0;
            }
            default -> throw new UnsupportedOperationException("sendFrame cannot write the header of " + this
                    + ": send the whole frame with send()");
        }
    }

    /** The byte {@code sendFrame} puts after a payload that does not already end in it, or -1 for none. */
    int trailer() {
        return kind == Kind.LINE ? delimiter & 0xFF : -1;
    }

    private static long unsigned(ByteBuffer input, int at, int width, ByteOrder order) {
        long value = 0;
        for (int i = 0; i < width; i++) {
            int shift = order == ByteOrder.BIG_ENDIAN ? 8 * (width - 1 - i) : 8 * i;
            value |= (input.get(at + i) & 0xFFL) << shift;
        }
        return value;
    }

    @Override
    public String toString() {
        return "Framing." + description;
    }
}
