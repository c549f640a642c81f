package dev.glisten.internal.tls;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Direct buffers of one size that TLS connections borrow for one step at a time (a record read
 * and decrypted, a piece encrypted and written) and give back before they run a handler, so there
 * are about as many in use as threads running at once, not one per connection; and the kernel
 * reads and writes native memory directly instead of through the JDK's per-thread temporary
 * buffer. Plain reads use the connection loop's own pool ({@code Inbound.Pool}), whose buffers
 * stay lent while their packets are handled.
 */
final class ReadBuffers {

    private final int size;
    private final AtomicReferenceArray<ByteBuffer> free;

    ReadBuffers(int size, int slots) {
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
