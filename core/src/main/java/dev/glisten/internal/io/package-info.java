/**
 * Socket I/O. For the server's connections: {@link dev.glisten.internal.io.WatchedSocket}, a
 * connection's non-blocking socket, and {@link dev.glisten.internal.io.SocketWatcher}, one per
 * processor, a selector that wakes a connection's thread when its socket can be read or written;
 * {@link dev.glisten.internal.io.PeerChannel} is what a connection reads and writes, its socket or
 * TLS over it. For the low-level API: {@link dev.glisten.internal.io.Transport}, blocking calls
 * over TCP ({@code TcpTransport}) or a Unix domain socket ({@code UnixTransport}, which waits
 * through a {@code Readiness}).
 */
package dev.glisten.internal.io;
