package dev.glisten.benchmarks;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP point's Netty peer: an HTTP/1.1 hello world written the way Netty's users write one.
 * {@code HttpServerCodec} parses requests and encodes responses; every {@code GET} is answered
 * {@code 200 OK}, {@code text/plain}, {@value #HELLO}, and the connection stays open unless the
 * request asks to close it (RFC 9112, section 9.3). There is no {@code HttpObjectAggregator}: a
 * GET has no body to gather, so the handler answers on the request line and headers and drops the
 * (empty) content parts. Responses are written per request and flushed once per read burst in
 * {@code channelReadComplete}, as {@link NettyEcho} does, so pipelined requests share one write.
 *
 * <p>Native epoll, one boss and one worker event loop: the shape of the {@code netty-epoll} echo
 * row, so the HTTP ratio and the echo ratios compare the same Netty. No {@code Date} header, as
 * in Netty's own hello-world example; the harness reports bytes per response, so a peer that
 * sends more headers shows.
 */
final class NettyHttp {

    /** The body of every {@code 200} answer. */
    static final String HELLO = "Hello, World!";

    private static final byte[] HELLO_BYTES = HELLO.getBytes(StandardCharsets.US_ASCII);

    private NettyHttp() { }

    static Main.EchoServer start(Main.Options options) throws Exception {
        if (options.tls()) {
            throw new UnsupportedOperationException("the Netty HTTP peer serves plain HTTP only");
        }
        HelloHandler hello = new HelloHandler();
        return NettyEcho.bind(options, NettyEcho.Transport.EPOLL, 1,
                channel -> channel.pipeline().addLast(new HttpServerCodec(), hello));
    }

    /** Answers each request as its head arrives; flushes once per read burst. */
    @Sharable
    static final class HelloHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    respond(ctx, request);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private static void respond(ChannelHandlerContext ctx, HttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            FullHttpResponse response;
            if (request.decoderResult().isFailure()) {
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
            } else if (!request.method().equals(HttpMethod.GET)) {
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.METHOD_NOT_ALLOWED);
                response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
            } else {
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(HELLO_BYTES));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
            }
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.write(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            // An HTTP/1.0 client keeps the connection only when the answer says so (RFC 9112, appendix C.2.2).
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.write(response);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // wrk resets its connections at the end of a run; anything else is worth a line.
            if (!(cause instanceof IOException)) {
                System.err.println("netty http: " + cause);
            }
            ctx.close();
        }
    }
}
