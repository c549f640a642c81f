/**
 * A connection on the server: {@code ConnectionProcess} runs the connection's
 * {@link dev.glisten.internal.loop.ConnectionLoop} on its own virtual thread over its socket, reads
 * its PROXY header, runs its TLS handshake and sends; {@link OpenConnections} is the server's set
 * of them, how they are admitted, counted, told of a shutdown and closed.
 */
package dev.glisten.internal.connection;
