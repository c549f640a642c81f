package dev.glisten.internal.io;

import dev.glisten.NegotiatedTls;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * A connected byte stream with blocking calls: what a connection or a low-level client socket reads
 * from and writes to, whatever carries it.
 */
public interface Transport {

    /** Applies the per-connection socket options (no-delay, keep-alive, linger, buffer sizes). */
    void configure(SocketOptions options) throws IOException;

    /** Reads at least one byte into {@code dst}, blocking; returns -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException;

    /**
     * As {@link #read(ByteBuffer)}, giving up after {@code timeoutMillis} (positive) with a
     * {@link java.net.SocketTimeoutException} that leaves the stream usable.
     */
    int read(ByteBuffer dst, long timeoutMillis) throws IOException;

    /** Writes all remaining bytes of {@code src}, blocking until the kernel took them. */
    void write(ByteBuffer src) throws IOException;

    /** Writes all remaining bytes of every buffer, in order, gathering where the kernel allows. */
    void write(ByteBuffer[] srcs) throws IOException;

    /** Half-closes: the peer reads end of stream, and this side can still read. */
    void shutdownOutput() throws IOException;

    /** Closes, waking any thread blocked in a read or write. Idempotent; never throws. */
    void close();

    boolean isOpen();

    /** What the TLS handshake settled; empty for plain TCP and until the handshake has completed. */
    Optional<NegotiatedTls> tls();

    SocketAddress localAddress();

    SocketAddress peerAddress();

    <T> void setOption(SocketOption<T> option, T value) throws IOException;

    <T> T getOption(SocketOption<T> option) throws IOException;
}
