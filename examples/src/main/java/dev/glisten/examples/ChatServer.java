package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Framing;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A chat room, as glisten's "managing connected clients" example: every line a client sends goes
 * to every other connected client.
 *
 * <p>The room is a concurrent set of {@link ConnectionHandle}s: {@link dev.glisten.OnInit} adds the
 * new connection's handle, {@link dev.glisten.OnClose} removes it. The server cuts each client's
 * bytes into lines ({@link Framing#lines()}), however TCP splits or joins them, so every
 * {@link Message.Packet} is one whole line and a connection keeps no state. Each line is sent to
 * the other handles as a {@link Message.User}, and a connection that receives one writes it to its
 * own socket: each connection's socket is written only by its own loop, and a slow reader holds up
 * nobody else.
 *
 * <p>A line may be at most 64 KiB long, its newline not counted; a client that sends a longer one is
 * disconnected ({@link CloseReason.FrameTooLarge}).
 *
 * <p><b>Slow consumers.</b> A member that stops reading cannot take its lines, so its loop waits in
 * a send while the others' lines queue in its mailbox. The mailbox is bounded
 * ({@link Server.Builder#mailboxCapacity(int)}, 1024 lines by default), and the server disconnects
 * a member whose mailbox overflows ({@link CloseReason.MailboxOverflowed}), as NATS disconnects a
 * slow consumer: one client that never reads costs the server at most that many lines, never a
 * queue that grows for as long as the room talks. The sender learns it from
 * {@link ConnectionHandle#send}, drops the member from the room at once, and the disconnection is
 * logged. A client that reads too slowly to follow a busy room is a slow consumer too: a room
 * whose members all send as fast as the server reads them overflows the mailboxes of those that
 * read as well, since each of them is sent every other member's lines.
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

    private static final System.Logger LOG = System.getLogger("dev.glisten.examples.chat");
    /** The longest line, newline not counted: without a bound, a client that never sends one would grow its buffer. */
    private static final int LONGEST_LINE = 64 * 1024;

    private final Set<ConnectionHandle<String>> room = ConcurrentHashMap.newKeySet();

    /**
     * An empty room. {@link #builder()} makes one per server and wires its {@link #join},
     * {@link #handle} and {@link #leave} into it; they are public so that a test can drive the
     * protocol without sockets (several {@code TestConnection}s from {@code dev.glisten.testing} sharing one
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
     * {@link Server.Builder#tls} or a smaller {@link Server.Builder#mailboxCapacity}.
     *
     * @return a builder framing lines of up to 64 KiB, every other option at its default
     */
    public static Server.Builder<Void, String> builder() {
        ChatServer chat = new ChatServer();
        return Server.builder(chat::join, chat::handle).onClose(chat::leave)
                .framing(Framing.lines()).maxFrameSize(LONGEST_LINE + 1);
    }

    /**
     * The server's {@link dev.glisten.OnInit}: adds the connection to the room and greets it.
     *
     * @param connection the new member's connection
     * @return {@code null}: a member has no state
     * @throws IOException if the greeting cannot be sent
     */
    public Void join(Connection<String> connection) throws IOException {
        room.add(connection.handle());
        // Sent after joining, so a client that has read it knows it will see every later line.
        String over = connection.tls().map(tls -> ", over " + tls.protocol()).orElse("");
        connection.send(("welcome: " + (room.size() - 1) + " others here" + over + "\n").getBytes(UTF_8));
        return null;
    }

    /**
     * The server's {@link dev.glisten.Handler}: a packet (one line) goes to the others, a user
     * message (a line from another member) goes to this member's socket, a shutdown notice gets a
     * goodbye and ends the connection.
     *
     * @param state always {@code null}
     * @param message what arrived
     * @param connection this member's connection
     * @return continue, or a stop
     * @throws IOException if sending to this member fails
     */
    public Next<Void> handle(Void state, Message<String> message, Connection<String> connection) throws IOException {
        return switch (message) {
            case Message.Packet<String> line -> {
                // Decoded once for every member: the packet's bytes are only lent for this call.
                broadcast(line.text(UTF_8), connection.handle());
                yield Next.continueWith(state);
            }
            case Message.User<String> line -> {
                connection.send(line.message().getBytes(UTF_8));
                yield Next.continueWith(state);
            }
            case Message.ShuttingDown<String> notice -> {
                connection.send("server shutting down, bye\n".getBytes(UTF_8));
                yield Next.stop();
            }
            // Only with allowHalfClose, which the chat leaves off: a member that finishes sending leaves.
            case Message.EndOfInput<String> end -> Next.stop();
        };
    }

    /**
     * The server's {@link dev.glisten.OnClose}: removes the connection from the room, and logs a
     * slow consumer's disconnection.
     *
     * @param state ignored
     * @param reason why it ended: a member leaves the same way whatever it was
     * @param connection the member's connection
     */
    public void leave(Void state, CloseReason reason, Connection<String> connection) {
        room.remove(connection.handle());
        if (reason instanceof CloseReason.MailboxOverflowed overflowed) {
            LOG.log(Level.INFO, () -> "disconnected " + connection.peerAddress() + ", a slow consumer: "
                    + overflowed.capacity() + " lines were waiting for it to read");
        }
    }

    private void broadcast(String line, ConnectionHandle<String> sender) {
        for (ConnectionHandle<String> member : room) {
            if (member != sender && !member.send(line)) {
                // Not queued: the member has ended, or its mailbox is full. It leaves the room now
                // rather than once its own thread gets to leave(), so the room stops offering it
                // every line meanwhile; and it is closed, which under MailboxOverflow.CLOSE (the
                // default) the server is doing already, and under REFUSE keeps a member from
                // staying connected while silently missing lines.
                room.remove(member);
                member.close();
            }
        }
    }
}
