package dev.glisten.testing;

import dev.glisten.internal.loop.PeerInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * What a {@link TestConnection}'s peer sent, as the connection's loop reads it: each
 * {@link TestConnection#receive(byte[])} is its own read (split only where it exceeds the read
 * buffer, as the kernel would), then the end of the stream or a read error.
 */
final class MemoryInput implements PeerInput {

    /** Queued after the last bytes when the peer closes its side. */
    static final Object END_OF_STREAM = new Object();

    // byte[] chunks, END_OF_STREAM or an IOException, in the order the peer sent them.
    private final ArrayDeque<Object> arrived;
    private int offset;
    private boolean mayHaveMore;

    MemoryInput() {
        this(new ArrayDeque<>());
    }

    private MemoryInput(ArrayDeque<Object> arrived) {
        this.arrived = arrived;
    }

    /** The same stream seen through a new object: what a connection reads from after STARTTLS. */
    MemoryInput upgraded() {
        return new MemoryInput(arrived);
    }

    void add(Object item) {
        arrived.add(item);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Object head = arrived.peek();
        if (head == null) {
            mayHaveMore = false;
            return 0;
        }
        if (head == END_OF_STREAM) {
            return -1;
        }
        if (head instanceof IOException error) {
            arrived.poll();
            throw error;
        }
        byte[] bytes = (byte[]) head;
        int length = Math.min(dst.remaining(), bytes.length - offset);
        dst.put(bytes, offset, length);
        offset += length;
        if (offset == bytes.length) {
            arrived.poll();
            offset = 0;
        }
        mayHaveMore = !arrived.isEmpty();
        return length;
    }

    @Override
    public boolean mayHaveMore() {
        return mayHaveMore;
    }

    @Override
    public boolean startWaiting() {
        return true;
    }

    @Override
    public boolean stillWaiting() {
        return arrived.isEmpty();
    }

    @Override
    public void stopWaiting() {
        // Nothing to undo: no watcher was told.
    }
}
