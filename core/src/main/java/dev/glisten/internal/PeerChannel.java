package dev.glisten.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * The byte stream between a connection and its peer, as the connection's thread uses it: plain
 * ({@link WatchedSocket}) or TLS over it ({@link TlsChannel}). Reads never block; the owner waits
 * for bytes by parking between {@link #startWaiting} and {@link #stopWaiting}.
 */
interface PeerChannel {

    /**
     * Owner only: reads what has arrived into {@code dst}, without blocking; at most its remaining
     * bytes.
     *
     * @return the bytes read, 0 if none had arrived, -1 at the end of the stream
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Owner only: whether the last {@link #read} may have left bytes behind (it filled its buffer,
     * or TLS records wait decoded), so the owner should read again before it waits.
     */
    boolean mayHaveMore();

    /**
     * Owner only: announces that the owner is going to park until bytes arrive, so that whoever
     * sees them unparks it; the owner then parks while {@link #stillWaiting} and calls
     * {@link #stopWaiting} when done. Returns {@code false}, announcing nothing, if the stream is
     * closed: there is nothing to wait for, and the next read says so.
     */
    boolean startWaiting();

    /** Owner only, after {@link #startWaiting}: whether no bytes have arrived since and the stream is open. */
    boolean stillWaiting();

    /** Owner only: ends the wait {@link #startWaiting} announced, whether or not bytes came. */
    void stopWaiting();

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

    /** Closes the stream and the socket under it, from any thread. Idempotent; never throws. */
    void close();
}
