package dev.glisten.examples.http;

import dev.glisten.Connection;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.IOException;

/**
 * A small HTTP/1.1 origin server (RFC 9112) built on glisten's framing: each request's head is
 * read as lines, its body as one fixed-length block, and the connection serves the next request.
 *
 * <ul>
 *   <li>{@code GET} (or {@code HEAD}) of any path: 200, {@code text/plain}, a short greeting.</li>
 *   <li>{@code POST /echo}: 200 with the request's body as {@code application/octet-stream}.</li>
 *   <li>Any other method, or {@code POST} elsewhere: 405 with {@code Allow}.</li>
 * </ul>
 *
 * <p>Connections are kept alive by default; {@code Connection: close} ends one after its response,
 * and HTTP/1.0 persists only with {@code Connection: keep-alive}. Pipelined requests are answered in
 * order. A body must come with a {@code Content-Length} of at most {@link #LONGEST_BODY} bytes
 * (413 above it); {@code Expect: 100-continue} is answered with {@code 100 Continue} before the body
 * is read. A chunked body is refused with 411 Length Required (another transfer coding with 501):
 * this server reads bodies of known length only.
 *
 * <p>A head line may be {@value RequestLines#LONGEST_LINE} bytes long and a head may have
 * {@value RequestHead#MOST_FIELDS} fields. A longer request line, or any other malformed head
 * (RFC 9112's musts: one {@code Host} in HTTP/1.1, no whitespace before a field's colon, no
 * folding, agreeing lengths), is answered 400; a longer field line or more fields, 431; an HTTP
 * version other than 1.0 and 1.1, 505. These answers carry {@code Connection: close} and end the
 * connection, since where the next request would begin is unknown. It closes at once, without
 * the lingering close of nginx and Apache (shut down the sending side, then read and drop what
 * the client still sends for a while), which {@link Connection} cannot do: if the client had sent
 * more than the server read, the kernel resets the connection, and a client that has not read the
 * answer by then may lose it (Linux clients keep what already arrived readable).
 *
 * <p>How it is built: the server's framing is {@link RequestLines}, which cuts lines as
 * {@link dev.glisten.Framing#lines()} does but hands an over-long line to the handler, so it can
 * answer 400 or 431 before it closes; the server's maximum frame size is the body's limit, since
 * a body is one frame. Each connection's state is an {@link Exchange}: a {@link RequestHead}
 * parsed in place from the lent packets, and a {@link ResponseWriter} that reuses its buffers. A
 * request with a body switches its connection to {@link dev.glisten.Framing#fixed(int)} for it
 * and back to lines once it is answered.
 *
 * <p>On a graceful shutdown a connection between requests closes at once; one in the middle of a
 * request answers it, with {@code Connection: close}, then closes.
 *
 * <p>Try it: {@code java -jar examples/target/glisten-examples.jar http}, then
 * {@code curl -i localhost:3000/} and {@code curl -i --data-binary hello localhost:3000/echo}.
 */
public final class HttpServer {

    /** The longest request body, 1 MiB; a longer {@code Content-Length} is answered 413. */
    public static final int LONGEST_BODY = 1024 * 1024;

    private HttpServer() { }

    /**
     * Starts an HTTP server.
     *
     * @param bindAddress the local address to listen on, such as {@code "0.0.0.0"} or {@code "::1"}
     * @param port the TCP port, 0 for any free one (see {@link Server#port()})
     * @return the running server; {@link Server#stop()} closes it and every connection
     * @throws IOException if it cannot listen on that address and port
     */
    public static Server start(String bindAddress, int port) throws IOException {
        return builder().bind(bindAddress).start(port);
    }

    /**
     * The HTTP server, not started yet, for adding options such as {@link Server.Builder#tls}
     * (HTTPS) or {@link Server.Builder#idleTimeout} (how long an idle keep-alive connection stays).
     *
     * @return a builder framing request heads as lines and bodies up to {@link #LONGEST_BODY}
     */
    public static Server.Builder<?, Void> builder() {
        // The largest frame is a body: a head line is never more than LONGEST_LINE + 1 bytes (RequestLines).
        return Server.builder(HttpServer::init, HttpServer::handle)
                .framing(RequestLines.FRAMING)
                .maxFrameSize(Math.max(LONGEST_BODY, RequestLines.LONGEST_LINE + 1));
    }

    static Exchange init(Connection<Void> connection) {
        return new Exchange();
    }

    static Next<Exchange> handle(Exchange exchange, Message<Void> message, Connection<Void> connection)
            throws IOException {
        return switch (message) {
            case Message.Packet<Void> packet -> exchange.received(packet, connection);
            case Message.User<Void> nobodySendsThese -> Next.continueWith(exchange);
            case Message.ShuttingDown<Void> notice -> exchange.shutDown() ? Next.stop() : Next.continueWith(exchange);
            case Message.EndOfInput<Void> end -> Next.stop();
        };
    }
}
