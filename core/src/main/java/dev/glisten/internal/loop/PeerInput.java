package dev.glisten.internal.loop;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a connection's loop gets its bytes: the socket, TLS over it, or a test's memory. Reads
 * never block; the owner waits for bytes by parking between {@link #startWaiting} and
 * {@link #stopWaiting}. Owner only, every method.
 */
public interface PeerInput {

    /**
     * Reads what has arrived into {@code dst}, without blocking; at most its remaining bytes.
     *
     * @return the bytes read, 0 if none had arrived, -1 at the end of the stream
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Whether the last {@link #read} may have left bytes behind (it filled its buffer, or TLS
     * records wait decoded), so the owner should read again before it waits.
     */
    boolean mayHaveMore();

    /**
     * Announces that the owner is going to park until bytes arrive, so that whoever sees them
     * unparks it; the owner then parks while {@link #stillWaiting} and calls {@link #stopWaiting}
     * when done. Returns {@code false}, announcing nothing, if the stream is closed: there is
     * nothing to wait for, and the next read says so.
     */
    boolean startWaiting();

    /** After {@link #startWaiting}: whether no bytes have arrived since and the stream is open. */
    boolean stillWaiting();

    /** Ends the wait {@link #startWaiting} announced, whether or not bytes came. */
    void stopWaiting();
}
