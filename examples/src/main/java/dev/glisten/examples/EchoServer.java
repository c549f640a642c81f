package dev.glisten.examples;

import dev.glisten.Connection;
import dev.glisten.FrameDecoder;
import dev.glisten.Framing;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.IOException;

/**
 * The smallest glisten server: every {@link Message.Packet} is sent straight back to its
 * connection. Connections need no state, and nobody sends them {@link Message.User} messages, so
 * both type parameters are {@link Void}.
 *
 * <p>By default packets are what each read returned ({@link Framing#raw()}), forwarded from the
 * server's read buffer without a copy. Given a {@link Framing}, it echoes whole frames instead, as
 * Erlang's {@code {packet, line | 1 | 2 | 4}} sockets do: each frame goes back as it came, a line
 * with its delimiter, a length-prefixed frame with its header, however the peer's writes cut it;
 * the bytes of a frame not yet complete are held, never echoed, and a frame over the server's
 * {@linkplain Server.Builder#maxFrameSize(int) maximum size} closes its connection only.
 *
 * <p>On a graceful {@linkplain Server#shutdown(java.time.Duration) shutdown} each connection closes
 * at the {@link Message.ShuttingDown} notice. Nothing is left to finish by then: every packet the
 * loop has received was sent back before the call returned, and the notice comes between calls (a
 * frame still incomplete is dropped, as at any close). Echo (RFC 862) has no goodbye message, and
 * any bytes of one would corrupt the echoed stream, so the close itself tells the client; bytes it
 * sends after the notice are not echoed.
 *
 * <p>Try it: {@code java -jar examples/target/glisten-examples.jar echo}, then
 * {@code nc localhost 3000} ({@code echo --packet line} sends back only whole lines). The same
 * server speaks TLS when its builder is given a certificate:
 * {@code EchoServer.builder().tls(Tls.fromPemFiles(cert, key)).start(3443)}; the handler does not
 * change, since packets carry decrypted bytes and sends encrypt.
 */
public final class EchoServer {

    private EchoServer() { }

    /**
     * Starts an echo server.
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
     * The echo server, not started yet, for adding options such as {@link Server.Builder#tls}.
     *
     * @return a builder with every option at its default: raw packets, echoed as read
     */
    public static Server.Builder<Void, Void> builder() {
        return Server.builder(EchoServer::init, EchoServer::handle);
    }

    /**
     * The echo server of whole frames, not started yet.
     *
     * @param framing how to cut the stream: {@link Framing#lines()}, {@link Framing#lengthPrefixed(int)},
     *     or any framing whose header, if the packet leaves one out, {@link Connection#sendFrame}
     *     can write back
     * @return a builder with every other option at its default (frames up to 64 KiB: see
     *     {@link Server.Builder#maxFrameSize(int)})
     */
    public static Server.Builder<Void, Void> builder(Framing framing) {
        return builder().framing(framing);
    }

    /**
     * The server's {@link dev.glisten.OnInit}: an echo connection keeps no state. Public, as
     * {@link #handle} is, so that a test can run the protocol without a socket (with
     * {@code TestConnection} from {@code dev.glisten.testing}); {@link #builder()} is what serves it.
     *
     * @param connection the new connection
     * @return {@code null}, the only {@link Void}
     */
    public static Void init(Connection<Void> connection) {
        return null;
    }

    /**
     * The server's {@link dev.glisten.Handler}: sends each packet back as it came, ignores user
     * messages, and ends the connection at a shutdown notice. Public for tests; see {@link #init}.
     *
     * @param state always {@code null}
     * @param message what arrived
     * @param connection the connection it arrived on
     * @return continue, or stop at a shutdown notice
     * @throws IOException if sending fails
     */
    public static Next<Void> handle(Void state, Message<Void> message, Connection<Void> connection) throws IOException {
        return switch (message) {
            case Message.Packet<Void> packet -> {
                echo(packet, connection);
                yield Next.continueWith(state);
            }
            case Message.User<Void> nobodySendsThese -> Next.continueWith(state);
            case Message.ShuttingDown<Void> notice -> Next.stop();
            case Message.EndOfInput<Void> end -> Next.stop();
        };
    }

    private static void echo(Message.Packet<Void> packet, Connection<Void> connection) throws IOException {
        FrameDecoder decoder = connection.framing().decoder();
        if (decoder != null && decoder.headerLength() > 0) {
            // The packet is the payload alone: the length header goes back in front of it.
            connection.sendFrame(packet.buffer());
        } else {
            // A raw read, or a line with its delimiter, is already the frame as it came: sent from
            // the server's read buffer, never copied.
            connection.send(packet);
        }
    }
}
