/**
 * TCP and TLS servers in which every connection is a lightweight process with its own state, in the model
 * of Gleam's glisten, Elixir's ThousandIsland and Erlang's Ranch, on virtual threads.
 *
 * <h2>A server in ten lines</h2>
 * <pre>{@code
 * try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
 *             if (message instanceof Message.Packet<Void> packet) {
 *                 connection.send(packet.bytes());
 *             }
 *             return Next.continueWith(state);
 *         }).start(3000)) {
 *     server.awaitTermination();
 * }
 * }</pre>
 *
 * <h2>The pieces</h2>
 * <ul>
 *   <li>{@link dev.glisten.Server} builds and runs a server; its builder holds every option with
 *       its default.</li>
 *   <li>{@link dev.glisten.OnInit} makes a connection's state; {@link dev.glisten.Handler} is the
 *       loop {@code (state, message, connection) -> Next}; {@link dev.glisten.OnClose} runs once
 *       when the connection ends, with a {@link dev.glisten.CloseReason}.</li>
 *   <li>{@link dev.glisten.Message} is a {@link dev.glisten.Message.Packet} of bytes read from the
 *       socket or a {@link dev.glisten.Message.User} value sent by another thread through the
 *       connection's {@link dev.glisten.ConnectionHandle}.</li>
 *   <li>{@link dev.glisten.Next} continues with a new state or stops.</li>
 *   <li>{@link dev.glisten.Connection} sends bytes and gives the addresses and the handle.</li>
 *   <li>{@link dev.glisten.Tls} makes the server speak TLS (PEM or PKCS#12 certificates, SNI, ALPN,
 *       client certificates, hot reload); {@link dev.glisten.NegotiatedTls} is what a connection's
 *       handshake settled.</li>
 *   <li>{@link dev.glisten.ServerStats} counts connections and handshakes.</li>
 *   <li>{@link dev.glisten.Client} opens outbound connections that run a handler the same way:
 *       its own virtual thread, the same messages, framing, mailbox and close reasons;
 *       {@link dev.glisten.ClientTls} verifies the server it talks to.</li>
 *   <li>{@link dev.glisten.Framing} cuts bytes into frames; with
 *       {@link dev.glisten.Server.Builder#allowHalfClose} a peer's end of input is a
 *       {@link dev.glisten.Message.EndOfInput} and {@link dev.glisten.Connection#shutdownOutput()}
 *       finishes this side.</li>
 * </ul>
 *
 * <h2>The process tree</h2>
 * <pre>
 * Server
 *  ├─ listen socket
 *  ├─ acceptor 1..n        platform threads, supervised: accept, start the connection, repeat
 *  ├─ socket watcher 1..p  one per processor: a selector that wakes connections when bytes arrive
 *  ├─ tls-files            with {@code Tls.Builder.reloadWhenFilesChange}: reloads renewed certificates
 *  └─ connection 1..m      one virtual thread each: [TLS handshake,] onInit, then read → loop → park ...,
 *                          then onClose
 * </pre>
 *
 * <p>For sockets you manage yourself (listen, accept, receive, send, close), see
 * {@link dev.glisten.socket}.
 */
package dev.glisten;
