package dev.glisten.internal;

import dev.glisten.ProxyProtocol;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.socket.SocketOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a server was built with, already validated by {@link dev.glisten.Server.Builder}.
 *
 * @param <S> the per-connection state
 * @param <M> the type of user messages
 * @param loop what each connection's loop runs (the handler and its callbacks) and its limits
 * @param port the TCP port; unused when {@code unixPath} is set
 * @param unixPath the Unix domain socket file to listen on, or {@code null} for TCP
 * @param listenSockets how many listen sockets share the port ({@code SO_REUSEPORT} when above 1)
 * @param tls how connections speak TLS, or {@code null} for plain TCP
 * @param proxyProtocol {@code null} to read no PROXY protocol header
 */
public record ServerConfig<S, M>(
        LoopOptions<S, M> loop,
        SocketOptions socketOptions,
        int port,
        Path unixPath,
        int listenSockets,
        int acceptors,
        int readBufferSize,
        Duration sendTimeout,
        Duration stopTimeout,
        RealTls tls,
        int maxConnections,
        int maxConnectionsPerAddress,
        ProxyProtocol proxyProtocol) {

    /** The longest any timeout may be: see {@link LoopOptions#LONGEST_TIMEOUT}. */
    public static final Duration LONGEST_TIMEOUT = LoopOptions.LONGEST_TIMEOUT;
}
