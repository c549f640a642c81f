package dev.glisten.internal.io;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A {@link Transport} over a Unix domain {@link SocketChannel}. Such a channel has no socket
 * adaptor, so no {@code SO_TIMEOUT}: it stays in non-blocking mode and every call that must wait
 * does so through a {@link Readiness}, one per direction, so a receive and a send can wait at once.
 */
public final class UnixTransport extends ChannelTransport {

    private final Readiness readable;
    private final Readiness writable;

    public UnixTransport(SocketChannel channel) throws IOException {
        super(channel);
        channel.configureBlocking(false);
        this.readable = new Readiness(channel, SelectionKey.OP_READ);
        this.writable = new Readiness(channel, SelectionKey.OP_WRITE);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return read(dst, 0L, 0L);
    }

    @Override
    public int read(ByteBuffer dst, long timeoutMillis) throws IOException {
        return read(dst, timeoutMillis, System.nanoTime() + timeoutMillis * 1_000_000L);
    }

    private int read(ByteBuffer dst, long timeoutMillis, long deadline) throws IOException {
        for (;;) {
            int read = channel.read(dst);
            if (read != 0) {
                return read;
            }
            if (!readable.await(deadline)) {
                throw new SocketTimeoutException("nothing received within " + timeoutMillis + " ms");
            }
        }
    }

    @Override
    void awaitWritable() throws IOException {
        writable.await(0L);
    }

    @Override
    public void close() {
        Descriptors.release(channel);
        readable.close();
        writable.close();
    }
}
