package dev.glisten.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Direct buffers lent for one system call at a time: a connection takes one, reads into it (or
 * copies bytes to send into it), and gives it back before it runs its handler or waits, so there
 * are about as many in use as threads running at once, not one per connection.
 *
 * <p>Why not let the JDK copy heap buffers itself: {@code SocketChannel.write} of a heap buffer
 * copies it into a temporary direct buffer cached per thread, and with a virtual thread per
 * connection that is a buffer per connection, as large as its largest send, kept as long as the
 * connection: native memory that grows with the connections, and cache misses on every send.
 */
final class DirectBuffers {

    private final int size;
    private final AtomicReferenceArray<ByteBuffer> free;

    DirectBuffers(int size, int slots) {
        this.size = size;
        this.free = new AtomicReferenceArray<>(slots);
    }

    int size() {
        return size;
    }

    ByteBuffer take() {
        for (int i = 0; i < free.length(); i++) {
            ByteBuffer buffer = free.get(i);
            if (buffer != null && free.compareAndSet(i, buffer, null)) {
                return buffer.clear();
            }
        }
        return ByteBuffer.allocateDirect(size);
    }

    void give(ByteBuffer buffer) {
        for (int i = 0; i < free.length(); i++) {
            if (free.get(i) == null && free.compareAndSet(i, null, buffer)) {
                return;
            }
        }
        // Every slot is full: more threads read at once than usual; the garbage collector frees it.
    }
}
