package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A chat room, as glisten's "managing connected clients" example: every line a client sends goes
 * to every other connected client.
 *
 * <p>The room is a concurrent set of {@link ConnectionHandle}s: {@link dev.glisten.OnInit} adds the
 * new connection's handle, {@link dev.glisten.OnClose} removes it. A connection's state is the
 * start of a line whose {@code "\n"} has not arrived yet, since TCP may split a line across
 * packets or put several in one. Each complete line is sent to the other handles as a
 * {@link Message.User}, and a connection that receives one writes it to its own socket: each
 * connection's socket is written only by its own loop, and a slow reader holds up nobody else.
 *
 * <p>A line may be at most 64 KiB long; a client that sends a longer one is disconnected.
 *
 * <p>A new client is first greeted with one line starting {@code "welcome"} (which, over TLS, names
 * the protocol the handshake settled, from {@link Connection#tls()}); from then on it receives
 * every line the others send. Try it: {@code java -jar examples/target/glisten-examples.jar chat},
 * then {@code nc localhost 3000} in two terminals.
 *
 * <p>On a graceful {@linkplain Server#shutdown(java.time.Duration) shutdown} every client gets the
 * line {@code "server shutting down, bye"} and is disconnected, after the lines already on their
 * way to it (up to 64: the server delivers at most that many queued messages before the notice, so
 * a room that keeps talking cannot hold the goodbye back).
 */
public final class ChatServer {

    private static final byte NEWLINE = '\n';
    // Without a bound, a client that never sends a newline would grow its state until memory runs out.
    private static final int LONGEST_LINE = 64 * 1024;

    private final Set<ConnectionHandle<String>> room = ConcurrentHashMap.newKeySet();

    /**
     * An empty room. {@link #builder()} makes one per server and wires its {@link #join},
     * {@link #handle} and {@link #leave} into it; they are public so that a test can drive the
     * protocol without sockets (several {@code TestConnection}s from glisten-testkit sharing one
     * room), not for an application to call.
     */
    public ChatServer() { }

    /**
     * Starts a chat server with an empty room.
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
     * A chat server with an empty room, not started yet, for adding options such as
     * {@link Server.Builder#tls}.
     *
     * @return a builder with every other option at its default
     */
    public static Server.Builder<byte[], String> builder() {
        ChatServer chat = new ChatServer();
        return Server.builder(chat::join, chat::handle).onClose(chat::leave);
    }

    /**
     * The server's {@link dev.glisten.OnInit}: adds the connection to the room and greets it.
     *
     * @param connection the new member's connection
     * @return the state: no line started yet
     * @throws IOException if the greeting cannot be sent
     */
    public byte[] join(Connection<String> connection) throws IOException {
        room.add(connection.handle());
        // Sent after joining, so a client that has read it knows it will see every later line.
        String over = connection.tls().map(tls -> ", over " + tls.protocol()).orElse("");
        connection.send(("welcome: " + (room.size() - 1) + " others here" + over + "\n").getBytes(UTF_8));
        return new byte[0];
    }

    /**
     * The server's {@link dev.glisten.Handler}: a packet's complete lines go to the others, a user
     * message (a line from another member) goes to this member's socket, a shutdown notice gets a
     * goodbye and ends the connection.
     *
     * @param unfinishedLine the start of a line whose newline has not arrived yet
     * @param message what arrived
     * @param connection this member's connection
     * @return the new unfinished line, or a stop
     * @throws IOException if sending to this member fails
     */
    public Next<byte[]> handle(byte[] unfinishedLine, Message<String> message, Connection<String> connection)
            throws IOException {
        return switch (message) {
            case Message.Packet<String> packet -> {
                byte[] rest = broadcastCompleteLines(concat(unfinishedLine, packet.bytes()), connection.handle());
                yield rest.length > LONGEST_LINE
                        ? Next.stopAbnormal("line longer than " + LONGEST_LINE + " bytes")
                        : Next.continueWith(rest);
            }
            case Message.User<String> line -> {
                connection.send(line.message().getBytes(UTF_8));
                yield Next.continueWith(unfinishedLine);
            }
            case Message.ShuttingDown<String> notice -> {
                connection.send("server shutting down, bye\n".getBytes(UTF_8));
                yield Next.stop();
            }
        };
    }

    /**
     * The server's {@link dev.glisten.OnClose}: removes the connection from the room.
     *
     * @param unfinishedLine ignored: a line without its newline is never sent
     * @param reason ignored: a member leaves the same way however it ended
     * @param connection the member's connection
     */
    public void leave(byte[] unfinishedLine, CloseReason reason, Connection<String> connection) {
        room.remove(connection.handle());
    }

    /** Sends every {@code "\n"}-terminated line in {@code bytes} to the others; returns the rest. */
    private byte[] broadcastCompleteLines(byte[] bytes, ConnectionHandle<String> sender) {
        int lineStart = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == NEWLINE) {
                // Only whole lines are decoded, so a UTF-8 character split across packets stays whole.
                broadcast(new String(bytes, lineStart, i + 1 - lineStart, UTF_8), sender);
                lineStart = i + 1;
            }
        }
        return Arrays.copyOfRange(bytes, lineStart, bytes.length);
    }

    private void broadcast(String line, ConnectionHandle<String> sender) {
        for (ConnectionHandle<String> member : room) {
            if (member != sender) {
                member.send(line);
            }
        }
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
