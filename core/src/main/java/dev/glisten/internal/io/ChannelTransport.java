package dev.glisten.internal.io;

import dev.glisten.NegotiatedTls;
import dev.glisten.internal.accept.Listeners;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * What the plain transports share: a {@link SocketChannel}, its addresses read once (after close
 * the channel no longer reports them, and the caller still wants them), and the calls that only
 * pass through to the channel, and the write loops. Subclasses differ in how they wait: TCP through
 * its socket adaptor's {@code SO_TIMEOUT}, Unix domain sockets through a selector.
 */
abstract class ChannelTransport implements Transport {

    final SocketChannel channel;
    private final SocketAddress localAddress;
    private final SocketAddress peerAddress;

    ChannelTransport(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.localAddress = channel.getLocalAddress();
        this.peerAddress = channel.getRemoteAddress();
    }

    @Override
    public void configure(SocketOptions options) throws IOException {
        Listeners.configureAccepted(channel, options);
    }

    /**
     * Waits until the channel may take more bytes, after a write that took none. The write loops
     * below are the same for every plain transport; only this wait differs.
     */
    abstract void awaitWritable() throws IOException;

    @Override
    public void write(ByteBuffer src) throws IOException {
        // Even a blocking channel may return after a partial write.
        while (src.hasRemaining()) {
            if (channel.write(src) == 0) {
                awaitWritable();
            }
        }
    }

    @Override
    public void write(ByteBuffer[] srcs) throws IOException {
        int last = srcs.length - 1;
        while (last >= 0 && !srcs[last].hasRemaining()) {
            last--;
        }
        int first = 0;
        while (first <= last) {
            if (channel.write(srcs, first, last - first + 1) == 0) {
                awaitWritable();
            }
            while (first <= last && !srcs[first].hasRemaining()) {
                first++;
            }
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public Optional<NegotiatedTls> tls() {
        return Optional.empty();
    }

    @Override
    public SocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public SocketAddress peerAddress() {
        return peerAddress;
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        channel.setOption(option, value);
    }

    @Override
    public <T> T getOption(SocketOption<T> option) throws IOException {
        return channel.getOption(option);
    }
}
