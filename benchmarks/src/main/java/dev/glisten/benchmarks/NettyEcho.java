package dev.glisten.benchmarks;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.Version;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Netty's echo server as its own example writes it ({@code io.netty.example.echo.EchoServerHandler}):
 * {@code ctx.write(msg)} for every read buffer and one {@code ctx.flush()} in
 * {@code channelReadComplete}, so a burst of reads costs one flush. Sized for the benchmark: one
 * boss event loop that accepts, and one worker event loop (the right size for the one core the
 * server is pinned to) or two for the {@code netty-epoll-2} row. Netty's defaults otherwise
 * (pooled adaptive allocator, leak detection at its default level).
 *
 * <p>With {@code --tls-cert}/{@code --tls-key}, each connection's pipeline starts with an
 * {@code SslHandler} from the JDK provider, TLS 1.3 only.
 */
final class NettyEcho {

    /** Which Netty transport carries the sockets. */
    enum Transport {
        EPOLL(EpollIoHandler::newFactory, EpollServerSocketChannel.class),
        NIO(NioIoHandler::newFactory, NioServerSocketChannel.class);

        private final Supplier<IoHandlerFactory> ioHandler;
        private final Class<? extends ServerChannel> channel;

        Transport(Supplier<IoHandlerFactory> ioHandler, Class<? extends ServerChannel> channel) {
            this.ioHandler = ioHandler;
            this.channel = channel;
        }
    }

    private NettyEcho() { }

    static String version() {
        Version common = Version.identify().get("netty-common");
        return common == null ? "unknown" : common.artifactVersion();
    }

    static Main.EchoServer start(Main.Options options, Transport transport, int workers) throws Exception {
        SslContext tls = options.tls() ? tls(options) : null;
        EchoHandler echo = new EchoHandler();
        return bind(options, transport, workers, channel -> {
            if (tls != null) {
                channel.pipeline().addLast(tls.newHandler(channel.alloc()));
            }
            channel.pipeline().addLast(echo);
        });
    }

    /**
     * Starts a server of one boss event loop and {@code workers} worker event loops with every
     * benchmark server's socket options (backlog {@link Main#BACKLOG}, {@code TCP_NODELAY}); shared
     * by the echo rows and {@link NettyHttp}, so the Netty peers differ only in their pipelines.
     */
    static Main.EchoServer bind(Main.Options options, Transport transport, int workers,
                                Consumer<SocketChannel> pipeline) throws Exception {
        if (transport == Transport.EPOLL) {
            Epoll.ensureAvailability();
        }
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, transport.ioHandler.get());
        EventLoopGroup worker = new MultiThreadIoEventLoopGroup(workers, transport.ioHandler.get());
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, worker)
                    .channel(transport.channel)
                    .option(ChannelOption.SO_BACKLOG, Main.BACKLOG)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            pipeline.accept(ch);
                        }
                    })
                    .bind(options.bind(), options.port()).sync().channel();
            return new Main.EchoServer() {
                @Override
                public InetSocketAddress address() {
                    return (InetSocketAddress) channel.localAddress();
                }

                @Override
                public void close() {
                    channel.close().syncUninterruptibly();
                    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                    worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                }
            };
        } catch (Exception e) {
            boss.shutdownGracefully();
            worker.shutdownGracefully();
            throw e;
        }
    }

    private static SslContext tls(Main.Options options) throws SSLException {
        return SslContextBuilder.forServer(options.tlsCert(), options.tlsKey())
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3")
                .build();
    }

    /** Netty's example echo handler: write on read, flush once per read burst. */
    @Sharable
    static final class EchoHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset by the load generator at the end of a run is normal; anything else is worth a line.
            if (!(cause instanceof IOException)) {
                System.err.println("netty echo: " + cause);
            }
            ctx.close();
        }
    }
}
