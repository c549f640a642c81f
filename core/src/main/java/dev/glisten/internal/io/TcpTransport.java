package dev.glisten.internal.io;

import dev.glisten.internal.tls.TlsTransport;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Transport} over a blocking {@link SocketChannel}; also the plain socket under a
 * {@link TlsTransport}, which takes its options, addresses and descriptor from here.
 */
public final class TcpTransport extends ChannelTransport {

    private InputStream timedInput;

    public TcpTransport(SocketChannel channel) throws IOException {
        super(channel);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public int read(ByteBuffer dst, long timeoutMillis) throws IOException {
        // A channel has no read timeout; its socket adaptor has SO_TIMEOUT, which leaves the channel
        // usable after a timeout and parks a virtual thread instead of pinning it.
        if (timedInput == null) {
            timedInput = channel.socket().getInputStream();
        }
        channel.socket().setSoTimeout(soTimeout(timeoutMillis));
        return readInto(timedInput, dst);
    }

    /** {@code timeoutMillis} as {@code SO_TIMEOUT} takes it: an int, and never 0, which means "forever". */
    public static int soTimeout(long timeoutMillis) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeoutMillis));
    }

    /**
     * The {@code SO_TIMEOUT} that waits until {@code deadline} (a {@link System#nanoTime()} value):
     * the whole milliseconds left, rounded up, at least 1.
     */
    public static int soTimeoutUntil(long deadline) {
        long nanos = deadline - System.nanoTime();
        return soTimeout(TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
    }

    /** One read of {@code in} into the remaining space of {@code dst}; -1 at end of stream. */
    public static int readInto(InputStream in, ByteBuffer dst) throws IOException {
        int n;
        if (dst.hasArray()) {
            n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
        } else {
            byte[] bytes = new byte[dst.remaining()];
            n = in.read(bytes);
            if (n > 0) {
                dst.put(bytes, 0, n);
            }
        }
        return n;
    }

    /** Nothing to wait for: the channel is blocking, and its write returns once it took bytes. */
    @Override
    void awaitWritable() {
    }

    @Override
    public void close() {
        Descriptors.release(channel);
    }

    /**
     * The channel's socket adaptor, for layering TLS over this connection: its streams honour
     * {@code SO_TIMEOUT} and park a virtual thread, and closing it closes the channel.
     */
    public Socket socket() {
        return channel.socket();
    }
}
