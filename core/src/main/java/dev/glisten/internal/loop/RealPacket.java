package dev.glisten.internal.loop;

import dev.glisten.Message;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.Objects;

/**
 * A {@link Message.Packet}: a range of a buffer, either lent by the connection's read buffer for one
 * loop call (and {@linkplain #expire() expired} when it returns) or owned.
 *
 * <p>A lent packet holds no copy: its bytes are read from the connection's buffer through
 * absolute gets, and the read-only view {@link #buffer()} hands out is made only when asked for,
 * as a slice of a read-only duplicate the connection keeps, so a handler that sends the packet on
 * costs one small object and no copy of the bytes.
 */
public final class RealPacket<M> implements Message.Packet<M> {

    private final ByteBuffer source;
    private final int offset;
    private final int length;
    private final boolean owned;
    // The array behind source (offsets alike), or null for a direct buffer; see text().
    private final byte[] array;
    // Where a direct buffer's bytes are copied to be decoded, or null.
    private final Inbound.Lease scratchFrom;
    // Confined to the connection's thread, like the call the packet is lent for.
    private boolean expired;
    private ByteBuffer view;

    private RealPacket(ByteBuffer source, int offset, int length, boolean owned, byte[] array,
            Inbound.Lease scratchFrom) {
        this.source = source;
        this.offset = offset;
        this.length = length;
        this.owned = owned;
        this.array = array;
        this.scratchFrom = scratchFrom;
    }

    /** A packet that owns {@code bytes} (not copied) and never expires. */
    public static <M> RealPacket<M> owned(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new RealPacket<>(ByteBuffer.wrap(bytes).asReadOnlyBuffer(), 0, bytes.length, true, bytes, null);
    }

    /**
     * A packet lent for one call: {@code length} bytes of {@code readOnlySource} from {@code offset},
     * absolute positions; the caller {@linkplain #expire() expires} it when the call returns.
     *
     * @param array the array behind the source, at the same offsets, or {@code null}
     * @param scratchFrom for a direct source, the lease whose scratch array text() decodes from
     */
    static <M> RealPacket<M> lent(ByteBuffer readOnlySource, int offset, int length, byte[] array,
            Inbound.Lease scratchFrom) {
        return new RealPacket<>(readOnlySource, offset, length, false, array, scratchFrom);
    }

    /** Ends the loan: every later use throws, and a view handed out has no bytes left. */
    void expire() {
        expired = true;
        if (view != null) {
            view.position(0).limit(0);
        }
    }

    private void checkLent() {
        if (expired) {
            throw new IllegalStateException("this packet was lent for one call of the loop, which has returned; "
                    + "keep packet.bytes(), packet.text(charset) or packet.copy() made during the call instead");
        }
    }

    @Override
    public int length() {
        checkLent();
        return length;
    }

    @Override
    public byte get(int index) {
        checkLent();
        Objects.checkIndex(index, length);
        return source.get(offset + index);
    }

    @Override
    public ByteBuffer buffer() {
        checkLent();
        if (view == null) {
            view = source.slice(offset, length);
        }
        return view.clear();
    }

    @Override
    public byte[] bytes() {
        checkLent();
        byte[] bytes = new byte[length];
        source.get(offset, bytes);
        return bytes;
    }

    @Override
    public String text(Charset charset) {
        checkLent();
        // One copy, the String's own: decoded in place from a heap array, or through the lease's
        // scratch array from a direct buffer, never through a byte[] made for the call.
        if (array != null) {
            return new String(array, offset, length, charset);
        }
        if (scratchFrom != null) {
            byte[] scratch = scratchFrom.scratch();
            source.get(offset, scratch, 0, length);
            return new String(scratch, 0, length, charset);
        }
        return new String(bytes(), charset);
    }

    @Override
    public Message.Packet<M> copy() {
        checkLent();
        return owned ? this : owned(bytes());
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof RealPacket<?> packet)) {
            return false;
        }
        checkLent();
        packet.checkLent();
        return length == packet.length && source.slice(offset, length).equals(packet.source.slice(packet.offset, length));
    }

    @Override
    public int hashCode() {
        checkLent();
        int hash = 1;
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + source.get(offset + i);
        }
        return hash;
    }

    @Override
    public String toString() {
        return "Packet[" + length + " bytes" + (expired ? ", expired" : "") + "]";
    }
}
