/**
 * The low-level layer: listen, accept, receive and send on sockets you manage yourself, as glisten's
 * {@code glisten/tcp} module. Most servers want {@link dev.glisten.Server}, which runs one virtual
 * thread per connection and hands your handler each message; drop down to this package for a
 * protocol that needs exact control of every read and write, or for a client.
 *
 * <ul>
 * <li>{@link dev.glisten.socket.ListenSocket}: {@code listen(port, options)} binds; {@code accept()}
 * waits for a connection and configures it.
 * <li>{@link dev.glisten.socket.ClientSocket}: one connection. {@code receive(maxBytes)} blocks for
 * at least one byte, {@code send(...)} for the kernel to take every byte; {@code connect(...)} opens
 * one as a client.
 * <li>{@link dev.glisten.socket.SocketOptions}: where to listen and how each accepted socket is
 * configured.
 * </ul>
 *
 * <p>Every call blocks its thread; on a virtual thread that costs a parked continuation, not an
 * operating-system thread. Timed variants ({@code accept(Duration)}, {@code receive(int, Duration)})
 * throw {@link java.net.SocketTimeoutException} and leave the socket usable. The end of a
 * conversation is an {@link java.io.EOFException} from {@code receive}; a closed socket gives a
 * {@link java.nio.channels.ClosedChannelException}. No call returns {@code null} or an empty array.
 *
 * <p>An echo server that serves clients one by one, each until it disconnects:
 *
 * <pre>{@code
 * import dev.glisten.socket.ClientSocket;
 * import dev.glisten.socket.ListenSocket;
 * import java.io.EOFException;
 * import java.io.IOException;
 * import java.net.SocketException;
 *
 * public class OneByOneEcho {
 *     public static void main(String[] args) throws IOException {
 *         try (ListenSocket listener = ListenSocket.listen(3000)) {
 *             while (true) {
 *                 try (ClientSocket client = listener.accept()) {
 *                     while (true) {
 *                         client.send(client.receive(4096));
 *                     }
 *                 } catch (EOFException | SocketException clientLeft) {
 *                     // The client closed or reset its connection; serve the next one.
 *                 }
 *             }
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Try it with {@code nc localhost 3000}. To serve clients at the same time instead, hand each
 * accepted socket to its own virtual thread ({@code Thread.startVirtualThread(() -> ...)}) - or use
 * {@link dev.glisten.Server}, which does that and supervises it for you.
 */
package dev.glisten.socket;
