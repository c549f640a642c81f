/**
 * The engine behind {@link dev.glisten.Server}, not exported.
 * {@link dev.glisten.internal.RealServer} ties it together,
 * {@link dev.glisten.internal.ServerConfig} is what it was built with, and
 * {@link dev.glisten.internal.Threads} starts every thread it runs. Its parts:
 *
 * <ul>
 *   <li>{@code accept}: listen sockets, acceptors and the connection limits;</li>
 *   <li>{@code connection}: a connection's loop and the server's open connections;</li>
 *   <li>{@code io}: sockets, the watchers that wake connections, the low-level transports;</li>
 *   <li>{@code proxy}: the PROXY protocol header;</li>
 *   <li>{@code tls}: TLS, and its keys and certificates;</li>
 *   <li>{@code events}: the counters behind the stats, and Flight Recorder events.</li>
 * </ul>
 */
package dev.glisten.internal;
