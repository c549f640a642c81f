package dev.glisten.internal.io;

import dev.glisten.internal.loop.PeerInput;
import dev.glisten.internal.tls.TlsChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.function.LongConsumer;

/**
 * The byte stream between a connection and its peer: plain ({@link WatchedSocket}) or TLS over it
 * ({@link TlsChannel}). The connection's thread reads through {@link PeerInput} (never blocking);
 * any thread writes, one at a time.
 */
public interface PeerChannel extends PeerInput {

    /**
     * Writes {@code single}, or every buffer of {@code gathered}, waiting for room in the kernel's
     * send buffer for at most {@code timeoutNanos} in all. Callers serialize writes.
     *
     * <p>A timeout and not a deadline, so that the common write, which the kernel takes whole at
     * once, reads no clock: the time may be counted from the first wait instead of the call, which
     * differs by one non-blocking write.
     *
     * @return {@code false} if the time ran out first (some bytes may have been written)
     */
    boolean write(ByteBuffer single, ByteBuffer[] gathered, long timeoutNanos) throws IOException;

    /**
     * Writes {@code count} bytes of {@code file} from {@code position} (the channel's own position
     * is neither used nor moved), holding at most one buffer of it in memory. Unlike
     * {@link #write}, which has one deadline for the whole write, a transfer gives up only when it
     * stalls: when no byte (over TLS, no record) goes out for {@code stallNanos}. Tells
     * {@code sent} of every piece that went out, as it goes. Callers serialize writes.
     *
     * @return {@code false} if the transfer stalled (some bytes may have been written)
     * @throws java.io.EOFException if the file ends before {@code position + count}
     */
    boolean transferFrom(FileChannel file, long position, long count, long stallNanos, LongConsumer sent)
            throws IOException;

    /**
     * Finishes this side's stream (half-close): the peer reads the end of the stream after what
     * was written, and may go on sending. Over TLS it sends {@code close_notify} first. Callers
     * serialize it with writes; a write after it fails.
     */
    void shutdownOutput() throws IOException;

    /** Closes the stream and the socket under it, from any thread. Idempotent; never throws. */
    void close();
}
