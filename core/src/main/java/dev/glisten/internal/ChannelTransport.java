package dev.glisten.internal;

import dev.glisten.NegotiatedTls;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * What the plain transports share: a {@link SocketChannel}, its addresses read once (after close
 * the channel no longer reports them, and the caller still wants them), and the calls that only
 * pass through to the channel. Subclasses differ in how they wait: TCP through its socket
 * adaptor's {@code SO_TIMEOUT}, Unix domain sockets through a selector.
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
