/**
 * The low-level layer: listen, accept, receive and send on sockets you manage yourself, as glisten's
 * {@code glisten/tcp} module. Most servers want {@link dev.glisten.Server}, which runs one virtual
 * thread per connection and hands your handler each message; drop down to this package for a
 * protocol that needs exact control of every read and write, or for a client.
 *
 * <ul>
 * <li>{@link dev.glisten.socket.ListenSocket}: {@code listen(port, options)} binds, and
 * {@code listen(port, options, tls)} binds for TLS; {@code accept()} waits for a connection and
 * configures it.
 * <li>{@link dev.glisten.socket.ClientSocket}: one connection. {@code receive(maxBytes)} blocks for
 * at least one byte, {@code send(...)} for the kernel to take every byte; {@code connect(...)} opens
 * one as a client. Over TLS, {@code handshake(timeout)} runs the handshake, {@code startTls(tls,
 * timeout)} upgrades a plain accepted socket (STARTTLS), and {@code tls()} tells what was negotiated.
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
 *
 * <h2>TLS</h2>
 *
 * <p>TLS uses the same calls. Given a {@link dev.glisten.Tls}, {@code listen} returns a listen
 * socket whose every accepted socket speaks TLS: receives return decrypted bytes, sends encrypt,
 * a timed-out receive leaves the socket usable, and {@code close()} sends the close_notify alert
 * first. Accepting never runs the handshake, so a client that connects and sends nothing cannot
 * hold up the accepting thread. The thread serving the connection runs it with
 * {@code handshake(timeout)}, which bounds the whole handshake and returns the
 * {@link dev.glisten.NegotiatedTls} (ALPN protocol, server name, client certificates); otherwise
 * the first receive or send runs it within {@link dev.glisten.Tls#handshakeTimeout()}. A handshake
 * that fails throws {@link javax.net.ssl.SSLException}, one that runs out of time
 * {@link java.net.SocketTimeoutException}, and either closes that socket only.
 *
 * <pre>{@code
 * import dev.glisten.Tls;
 * import dev.glisten.socket.ClientSocket;
 * import dev.glisten.socket.ListenSocket;
 * import dev.glisten.socket.SocketOptions;
 * import java.io.IOException;
 * import java.nio.file.Path;
 * import java.time.Duration;
 *
 * public class TlsEcho {
 *     public static void main(String[] args) throws IOException {
 *         Tls tls = Tls.fromPemFiles(Path.of("fullchain.pem"), Path.of("privkey.pem"));
 *         try (ListenSocket listener = ListenSocket.listen(8443, SocketOptions.defaults(), tls)) {
 *             while (true) {
 *                 ClientSocket client = listener.accept();
 *                 Thread.startVirtualThread(() -> {
 *                     try (client) {
 *                         client.handshake(Duration.ofSeconds(5));
 *                         while (true) {
 *                             client.send(client.receive(4096));
 *                         }
 *                     } catch (IOException endedOrFailed) {
 *                         // End of stream, a failed handshake or a broken connection: this client only.
 *                     }
 *                 });
 *             }
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Try it with {@code openssl s_client -connect localhost:8443}. For a protocol that starts in
 * plain text and switches (SMTP's, IMAP's and PostgreSQL's STARTTLS), listen without a
 * {@code Tls} and call {@code startTls(tls, timeout)} on the accepted socket when the client asks.
 */
package dev.glisten.socket;
