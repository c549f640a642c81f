package dev.glisten.internal.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * Just enough ASN.1 DER (ITU-T X.690) to look inside keys and rewrap them: read tag-length-value
 * elements, decode object identifiers, and write the handful of types a PKCS#8 PrivateKeyInfo
 * (RFC 5208) is made of. Lengths are definite, as DER requires (X.690 section 10.1); tags have low
 * numbers (below 31), as in every structure keys use.
 */
final class Der {

    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OBJECT_IDENTIFIER = 0x06;
    static final int SEQUENCE = 0x30;

    private Der() { }

    /** The tag of a constructed context-specific element, {@code [n]} in ASN.1 notation. */
    static int contextTag(int n) {
        return 0xA0 | n;
    }

    /**
     * Decodes {@code der} as exactly one element.
     *
     * @throws MalformedException if it is not one well-formed element, or bytes follow it
     */
    static Value parse(byte[] der) throws MalformedException {
        Reader reader = new Reader(der, 0, der.length);
        Value value = reader.next();
        if (reader.hasMore()) {
            throw new MalformedException("unexpected bytes after the DER element, at offset " + reader.position);
        }
        return value;
    }

    /** Decodes the first element of {@code der}, ignoring what follows it. */
    static Value parseFirst(byte[] der) throws MalformedException {
        return new Reader(der, 0, der.length).next();
    }

    /** One element: its tag and the bytes of its content, which may hold further elements. */
    static final class Value {
        private final byte[] buffer;
        private final int start;
        private final int contentStart;
        private final int end;
        private final int tag;

        private Value(byte[] buffer, int start, int contentStart, int end, int tag) {
            this.buffer = buffer;
            this.start = start;
            this.contentStart = contentStart;
            this.end = end;
            this.tag = tag;
        }

        int tag() {
            return tag;
        }

        /** A copy of the content octets. */
        byte[] content() {
            return Arrays.copyOfRange(buffer, contentStart, end);
        }

        /** A copy of the whole element: tag, length and content. */
        byte[] encoded() {
            return Arrays.copyOfRange(buffer, start, end);
        }

        /** Reads the elements inside a constructed element (a SEQUENCE or {@code [n]}). */
        Reader contents() {
            return new Reader(buffer, contentStart, end);
        }

        /** The dotted form of an OBJECT IDENTIFIER, as X.690 section 8.19 encodes it. */
        String oid() throws MalformedException {
            expect(OBJECT_IDENTIFIER);
            if (end == contentStart) {
                throw new MalformedException("empty OBJECT IDENTIFIER");
            }
            StringBuilder dotted = new StringBuilder();
            long arc = 0;
            boolean first = true;
            for (int i = contentStart; i < end; i++) {
                int b = buffer[i] & 0xFF;
                if (arc == 0 && b == 0x80) {
                    throw new MalformedException("OBJECT IDENTIFIER arc with a leading 0x80 byte");
                }
                if (arc > (Long.MAX_VALUE >> 7)) {
                    throw new MalformedException("OBJECT IDENTIFIER arc too large");
                }
                arc = (arc << 7) | (b & 0x7F);
                if ((b & 0x80) == 0) {
                    if (first) {
                        // The first subidentifier packs the first two arcs as 40 * first + second.
                        long top = Math.min(arc / 40, 2);
                        dotted.append(top).append('.').append(arc - 40 * top);
                        first = false;
                    } else {
                        dotted.append('.').append(arc);
                    }
                    arc = 0;
                } else if (i == end - 1) {
                    throw new MalformedException("truncated OBJECT IDENTIFIER");
                }
            }
            return dotted.toString();
        }

        /** The value of a small INTEGER. */
        int intValue() throws MalformedException {
            expect(INTEGER);
            int length = end - contentStart;
            if (length == 0 || length > 4) {
                throw new MalformedException("INTEGER of " + length + " bytes where a small number was expected");
            }
            int value = buffer[contentStart]; // sign-extended: DER integers are two's complement
            for (int i = contentStart + 1; i < end; i++) {
                value = (value << 8) | (buffer[i] & 0xFF);
            }
            return value;
        }

        void expect(int expectedTag) throws MalformedException {
            if (tag != expectedTag) {
                throw new MalformedException(String.format("expected tag 0x%02x, found 0x%02x at offset %d", expectedTag, tag, start));
            }
        }
    }

    /** Reads consecutive elements from a range of bytes. */
    static final class Reader {
        private final byte[] buffer;
        private final int end;
        private int position;

        private Reader(byte[] buffer, int start, int end) {
            this.buffer = buffer;
            this.position = start;
            this.end = end;
        }

        boolean hasMore() {
            return position < end;
        }

        /** The next element, which must have {@code tag}. */
        Value next(int tag) throws MalformedException {
            Value value = next();
            value.expect(tag);
            return value;
        }

        /** The next element if it has {@code tag}; otherwise {@code null}, and nothing is consumed. */
        Value nextIf(int tag) throws MalformedException {
            if (!hasMore() || (buffer[position] & 0xFF) != tag) {
                return null;
            }
            return next();
        }

        Value next() throws MalformedException {
            int start = position;
            if (end - position < 2) {
                throw new MalformedException("truncated DER element at offset " + start);
            }
            int tag = buffer[position++] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new MalformedException("high tag number at offset " + start + " (not used by keys)");
            }
            int first = buffer[position++] & 0xFF;
            long length;
            if (first < 0x80) {
                length = first;
            } else {
                int count = first & 0x7F;
                if (count == 0) {
                    throw new MalformedException("indefinite length at offset " + start + " (BER, not DER)");
                }
                if (count > 4 || end - position < count) {
                    throw new MalformedException("bad length at offset " + start);
                }
                length = 0;
                for (int i = 0; i < count; i++) {
                    length = (length << 8) | (buffer[position++] & 0xFF);
                }
            }
            if (length > end - position) {
                throw new MalformedException("element at offset " + start + " claims " + length
                        + " bytes but only " + (end - position) + " remain (truncated)");
            }
            int contentStart = position;
            position += (int) length;
            return new Value(buffer, start, contentStart, position, tag);
        }
    }

    /** A DER structure that cannot be decoded; the message says where and why. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    // Writing: each method returns one complete element, so structures nest as calls.

    static byte[] sequence(byte[]... elements) {
        return element(SEQUENCE, concat(elements));
    }

    static byte[] octetString(byte[] content) {
        return element(OCTET_STRING, content);
    }

    static byte[] nullValue() {
        return element(NULL, new byte[0]);
    }

    /** A non-negative INTEGER in its minimal two's-complement form. */
    static byte[] integer(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative INTEGER: " + value);
        }
        byte[] bytes = BigInteger.valueOf(value).toByteArray();
        return element(INTEGER, bytes);
    }

    static byte[] objectIdentifier(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length < 2) {
            throw new IllegalArgumentException("an OBJECT IDENTIFIER has at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeBase128(out, Long.parseLong(parts[0]) * 40 + Long.parseLong(parts[1]));
        for (int i = 2; i < parts.length; i++) {
            writeBase128(out, Long.parseLong(parts[i]));
        }
        return element(OBJECT_IDENTIFIER, out.toByteArray());
    }

    /** An element with {@code tag} around {@code content}, the length in X.690 definite form. */
    static byte[] element(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int count = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | count);
            for (int i = count - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static void writeBase128(ByteArrayOutputStream out, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative OBJECT IDENTIFIER arc");
        }
        int groups = Math.max(1, (Long.SIZE - Long.numberOfLeadingZeros(value) + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            int seven = (int) (value >>> (7 * i)) & 0x7F;
            out.write(i == 0 ? seven : seven | 0x80);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
