package dev.glisten.internal.loop;

import dev.glisten.CloseReason;
import dev.glisten.FrameDecoder;
import dev.glisten.Framing;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The bytes a connection has read and not yet delivered, cut into packets by its {@link Framing}.
 * Owned by the connection's thread.
 *
 * <p>A read goes into a pooled direct buffer, and the packets cut from it are lent views of that
 * buffer ({@link RealPacket}): nothing is copied or allocated for the bytes. Once they are
 * delivered the buffer goes back to the pool, so a connection between frames holds none. Only the
 * bytes of a partial frame, waiting for the rest, are copied out, into a heap buffer of this
 * connection's that grows up to the maximum frame size and is dropped once the frame is whole.
 */
public final class Inbound {

    /**
     * A frame the connection cannot accept; the connection closes with {@link #reason}. Thrown
     * without a stack trace: it is an answer to the peer's bytes, not a fault.
     */
    static final class Rejected extends Exception {
        final transient CloseReason reason;

        Rejected(CloseReason reason) {
            super(reason.toString(), null, false, false);
            this.reason = reason;
        }
    }

    /**
     * A pooled read buffer, the read-only view packets are cut from (made once per buffer), and a
     * heap array of the same size, made at the first {@link RealPacket#text} of a packet in it: a
     * direct buffer has no array to decode from, and the array spares each decode a copy of its own.
     * Used by one connection's thread at a time, like the buffer.
     */
    static final class Lease {
        final ByteBuffer buffer;
        final ByteBuffer view;
        private byte[] scratch;

        Lease(ByteBuffer buffer) {
            this.buffer = buffer;
            this.view = buffer.asReadOnlyBuffer();
        }

        byte[] scratch() {
            if (scratch == null) {
                scratch = new byte[buffer.capacity()];
            }
            return scratch;
        }
    }

    /** Direct read buffers, lent for a read and the delivery of what it read; shared by a server's connections. */
    public static final class Pool {
        private final int size;
        private final AtomicReferenceArray<Lease> free;

        /**
         * @param size each buffer's size: the most one read takes
         * @param slots how many free buffers are kept; more are made when all are lent
         */
        public Pool(int size, int slots) {
            this.size = size;
            this.free = new AtomicReferenceArray<>(slots);
        }

        Lease take() {
            for (int i = 0; i < free.length(); i++) {
                Lease lease = free.get(i);
                if (lease != null && free.compareAndSet(i, lease, null)) {
                    lease.buffer.clear();
                    return lease;
                }
            }
            return new Lease(ByteBuffer.allocateDirect(size));
        }

        void give(Lease lease) {
            for (int i = 0; i < free.length(); i++) {
                if (free.get(i) == null && free.compareAndSet(i, null, lease)) {
                    return;
                }
            }
            // Every slot is full: more connections are mid-delivery than usual; the GC frees it.
        }
    }

    private final Pool pool;
    private final int maxFrameSize;
    private Framing framing;
    private FrameDecoder decoder;

    // What waits, in reading mode: the leased buffer's bytes while a read's packets are delivered,
    // or `partial` between reads while a frame waits for the rest; null when nothing waits.
    private ByteBuffer bytes;
    private ByteBuffer view;
    private Lease lease;
    private ByteBuffer partial;
    private ByteBuffer partialView;
    // How many bytes from bytes.position() the decoder has seen without finding a frame's end.
    private int examined;
    // The length the decoder announced for the partial frame, 0 if unknown.
    private long announced;
    private RealPacket<?> lent;

    Inbound(Pool pool, Framing framing, int maxFrameSize) {
        this.pool = pool;
        this.maxFrameSize = maxFrameSize;
        framing(framing);
    }

    Framing framing() {
        return framing;
    }

    /** From the next packet on; what waits is framed under it. */
    void framing(Framing framing) {
        this.framing = framing;
        this.decoder = framing.decoder();
        this.examined = 0;
        this.announced = 0;
    }

    /**
     * Reads once from {@code from} without blocking.
     *
     * @return the bytes read, 0 if none had arrived, -1 at the end of the stream
     */
    int read(PeerInput from) throws IOException {
        Lease taken = pool.take();
        int read;
        try {
            read = from.read(taken.buffer);
        } catch (IOException | RuntimeException e) {
            pool.give(taken);
            throw e;
        }
        if (read <= 0) {
            pool.give(taken);
            return read;
        }
        taken.buffer.flip();
        if (partial == null) {
            lease = taken;
            bytes = taken.buffer;
            view = taken.view;
        } else {
            append(taken.buffer);
            pool.give(taken);
        }
        return read;
    }

    /**
     * The next whole packet, lent until {@link #delivered()}; {@code null} when what waits is not a
     * whole frame (the bytes are then kept for the next read, or the buffer released).
     *
     * @throws Rejected if the frame is too large or malformed
     */
    <M> RealPacket<M> next() throws Rejected {
        if (bytes == null) {
            return null;
        }
        int start = bytes.position();
        int available = bytes.remaining();
        if (available == 0) {
            settle();
            return null;
        }
        int skip = 0;
        int length;
        if (decoder == null) {
            length = available;
        } else {
            long frame = frameLength(start, available);
            if (frame == 0 || frame > available) {
                examined = available;
                announced = frame;
                settle();
                return null;
            }
            skip = decoder.headerLength();
            length = (int) frame;
        }
        examined = 0;
        announced = 0;
        bytes.position(start + length);
        // A partial frame's heap buffer decodes in place; the leased direct one through its scratch.
        RealPacket<M> packet = bytes.hasArray()
                ? RealPacket.lent(view, start + skip, length - skip, bytes.array(), null)
                : RealPacket.lent(view, start + skip, length - skip, null, lease);
        lent = packet;
        return packet;
    }

    /** Asks the decoder where the frame at {@code start} ends, and applies the maximum size. */
    private long frameLength(int start, int available) throws Rejected {
        long frame;
        try {
            frame = decoder.frameLength(view.limit(bytes.limit()).position(start), examined);
        } catch (ProtocolException e) {
            throw new Rejected(new CloseReason.FrameMalformed(e));
        } finally {
            view.clear();
        }
        if (frame == 0) {
            if (available >= maxFrameSize) {
                throw new Rejected(new CloseReason.FrameTooLarge(available, maxFrameSize));
            }
            return 0;
        }
        if (frame < 0 || frame < decoder.headerLength()) {
            throw new Rejected(new CloseReason.FrameMalformed(new ProtocolException("the decoder of " + framing
                    + " gave a frame length of " + frame + ", shorter than its " + decoder.headerLength()
                    + "-byte header")));
        }
        if (frame > maxFrameSize) {
            throw new Rejected(new CloseReason.FrameTooLarge(frame, maxFrameSize));
        }
        return frame;
    }

    /** The packet last returned by {@link #next()} has been handled: its loan ends. */
    void delivered() {
        RealPacket<?> packet = lent;
        if (packet != null) {
            lent = null;
            packet.expire();
        }
    }

    /** Whether bytes wait that may hold a whole packet (after a framing switch, say). */
    boolean hasBytes() {
        return bytes != null && bytes.hasRemaining();
    }

    /**
     * No whole frame waits: gives the leased buffer back, keeping the bytes of a partial frame
     * in {@code partial}, sized for the frame when its length is known.
     */
    private void settle() {
        int left = bytes.remaining();
        if (bytes == partial) {
            if (left == 0) {
                dropPartial();
            } else if (bytes.position() > 0) {
                partial.compact().flip();
            }
            return;
        }
        if (left > 0) {
            int room = (int) Math.max(Math.min(announced, maxFrameSize), Math.min(2L * left, maxFrameSize));
            partial = ByteBuffer.allocate(Math.max(room, left));
            partialView = partial.asReadOnlyBuffer();
            partial.put(bytes).flip();
        }
        pool.give(lease);
        lease = null;
        if (left > 0) {
            bytes = partial;
            view = partialView;
        } else {
            bytes = null;
            view = null;
        }
    }

    /** Adds what a read brought to the partial frame, growing its buffer if need be. */
    private void append(ByteBuffer read) {
        int adding = read.remaining();
        if (partial.capacity() - partial.limit() < adding) {
            partial.compact().flip();
            if (partial.capacity() - partial.limit() < adding) {
                int needed = partial.remaining() + adding;
                ByteBuffer larger = ByteBuffer.allocate(Math.max(needed, Math.min(2 * partial.capacity(), maxFrameSize)));
                larger.put(partial).flip();
                partial = larger;
                partialView = larger.asReadOnlyBuffer();
                bytes = partial;
                view = partialView;
            }
        }
        int start = partial.position();
        int end = partial.limit();
        partial.limit(end + adding).position(end);
        partial.put(read).position(start);
    }

    private void dropPartial() {
        partial = null;
        partialView = null;
        bytes = null;
        view = null;
    }

    /** Drops every byte that waits (the plain text after a STARTTLS command). */
    void discard() {
        if (bytes != null) {
            bytes.position(bytes.limit());
            settle();
        }
    }

    /** Once the connection has ended: ends any loan and gives everything back. */
    void release() {
        delivered();
        if (lease != null) {
            pool.give(lease);
            lease = null;
        }
        dropPartial();
    }
}
