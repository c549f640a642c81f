/**
 * Small servers written against glisten's public API, each runnable from the command line
 * ({@link dev.glisten.examples.Main}) or started in-process on any address and port:
 *
 * <ul>
 *   <li>{@link dev.glisten.examples.EchoServer}: the ten-line server; every packet goes straight
 *       back. Start here. Given a {@link dev.glisten.Tls}, the same handler serves TLS; given a
 *       {@link dev.glisten.Framing}, it echoes whole lines or length-prefixed frames.</li>
 *   <li>{@link dev.glisten.examples.ChatServer}: connections that talk to each other through their
 *       {@link dev.glisten.ConnectionHandle}s, on lines the server frames; a member that stops
 *       reading is disconnected when its bounded mailbox overflows. Over TLS its greeting names
 *       the negotiated protocol ({@link dev.glisten.Connection#tls()}).</li>
 *   <li>{@link dev.glisten.examples.http.HttpServer}: HTTP/1.1 with keep-alive and pipelining,
 *       switching its framing per request: lines for the head, one fixed-length frame for the
 *       body.</li>
 *   <li>{@link dev.glisten.examples.TcpProxy}: a {@link dev.glisten.Server} whose every connection
 *       opens a {@link dev.glisten.Client} to the upstream; one handler relays both ways, each
 *       packet sent on from the buffer it was read into, with backpressure and half-close.</li>
 *   <li>{@link dev.glisten.examples.LowLevelEcho}: the echo again on
 *       {@link dev.glisten.socket.ListenSocket} and {@link dev.glisten.socket.ClientSocket}, for code
 *       that manages its own sockets.</li>
 * </ul>
 *
 * <p>This package is the module {@code dev.glisten.examples}, which requires {@code dev.glisten}
 * like any application would: it cannot reach the library's internals, so nothing here depends on
 * more than the exported API.
 */
package dev.glisten.examples;
