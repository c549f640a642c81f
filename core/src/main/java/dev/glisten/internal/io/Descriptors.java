package dev.glisten.internal.io;

import java.io.Closeable;
import java.io.IOException;

/** Releasing sockets whose close has nobody to report an error to. */
public final class Descriptors {

    private Descriptors() { }

    /**
     * Closes {@code closeable}, ignoring an error: close(2) frees the descriptor even when it reports
     * one, so there is nothing to retry, and the caller is already ending or abandoning the socket.
     */
    public static void release(Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException ignored) {
            // See above: the descriptor is gone either way.
        }
    }
}
