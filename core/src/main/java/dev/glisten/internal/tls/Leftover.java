package dev.glisten.internal.tls;

import java.nio.ByteBuffer;

/**
 * Bytes one call of a {@link TlsChannel} could not pass on, kept for the next: the start of a
 * record whose rest has not arrived, or decrypted bytes beyond the room a reader gave. Holds no
 * array while empty, so a connection waiting between messages keeps nothing. Confined to the
 * connection's own thread.
 */
final class Leftover {

    private byte[] bytes;
    private int offset;
    private int length;

    boolean isEmpty() {
        return length == 0;
    }

    int length() {
        return length;
    }

    /** Keeps what {@code from} (in reading mode) has left, instead of what was kept. */
    void keep(ByteBuffer from) {
        offset = 0;
        length = from.remaining();
        if (length == 0) {
            bytes = null;
            return;
        }
        if (bytes == null || bytes.length < length) {
            bytes = new byte[length];
        }
        from.get(bytes, 0, length);
    }

    /** Moves as much as fits into {@code to}; returns how much. */
    int moveTo(ByteBuffer to) {
        if (length == 0) {
            return 0;
        }
        int moved = Math.min(to.remaining(), length);
        to.put(bytes, offset, moved);
        offset += moved;
        length -= moved;
        if (length == 0) {
            bytes = null;
        }
        return moved;
    }
}
