package dev.glisten;

import dev.glisten.internal.RealServer;
import dev.glisten.internal.ServerConfig;
import dev.glisten.internal.accept.ConnectionLimit;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A running TCP server: a listen socket, a supervised pool of acceptors, and one virtual thread per
 * connection running your {@link Handler}. Start one with {@link #builder(OnInit, Handler)}:
 *
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
 * <h2>Which thread runs what</h2>
 * <ul>
 *   <li>Acceptors ({@link Builder#acceptors(int)} platform threads) only accept and start
 *       connections; an acceptor that fails is logged and restarted, and on resource exhaustion
 *       (too many open files) it backs off instead of spinning.</li>
 *   <li>Each connection has its own virtual thread, and it makes every call for that connection:
 *       it applies the socket options, runs {@link OnInit}, then loops: read what the socket has,
 *       run the {@link Handler} with the {@link Message.Packet}, run it with each queued
 *       {@link Message.User}, and when there is nothing to do, park. No read happens while the
 *       handler runs, and calls for one connection never overlap, so per-connection data can live
 *       in the state (or in {@link ThreadLocal}s).</li>
 *   <li>Socket watchers (one per processor, each a {@link java.nio.channels.Selector}) wake a
 *       connection's thread when bytes arrive; a {@link ConnectionHandle#send(Object)} wakes it
 *       too. A parked connection holds no read buffer: reads borrow a shared one.</li>
 *   <li>{@link OnClose} runs once, on the connection's thread, after the last handler call.</li>
 *   <li>A send that finds the kernel's send buffer full parks until the watcher sees room, at
 *       most the send timeout.</li>
 * </ul>
 *
 * <h2>Where it listens</h2>
 * {@link Builder#start(int)} listens on a TCP port, with {@link Builder#listenSockets(int)} on
 * several {@code SO_REUSEPORT} sockets sharing it; {@link Builder#start(Path)} on a Unix domain
 * socket file, with the same handler, TLS and lifecycle.
 *
 * <h2>TLS</h2>
 * With {@link Builder#tls(Tls)} every connection's thread runs the TLS handshake (bounded by the
 * handshake timeout) before {@link OnInit}; the handler code is the same as for plain TCP, and
 * {@link Connection#tls()} tells what was negotiated. {@link #reloadTls()} swaps in renewed
 * certificates for new handshakes; a plain connection can upgrade with
 * {@link Connection#startTls(Tls)}.
 *
 * <h2>PROXY protocol</h2>
 * Behind a load balancer, {@link Builder#proxyProtocol(ProxyProtocol)} makes every connection's
 * thread read the PROXY protocol header (v1 or v2) first, within its header timeout and before the
 * TLS handshake, so that {@link Connection#peerAddress()} is the client's address and
 * {@link Connection#proxyHeader()} tells the rest; a bad header ends that connection only
 * ({@link CloseReason.ProxyHeaderRejected}).
 *
 * <h2>Stopping</h2>
 * {@link #stop()} closes the listen socket first, so no new connection is accepted, then closes
 * every connection ({@link OnClose} sees {@link CloseReason.ServerStopped}), waits for their
 * threads, and returns once every thread and file descriptor of the server is released.
 * {@link #shutdown(Duration)} does the same gracefully: after closing the listen socket it sends
 * every loop a {@link Message.ShuttingDown} notice and waits up to a drain timeout for the
 * connections to end by themselves before it closes the rest. {@link #suspend()} and
 * {@link #resume()} close and reopen the listen socket without touching open connections.
 */
public interface Server extends AutoCloseable {

    /**
     * Starts describing a server.
     *
     * @param onInit makes each connection's initial state
     * @param handler the loop run for every message of a connection
     * @param <S> the per-connection state
     * @param <M> the type of {@link Message.User} messages connections accept
     * @return a builder with every option at its default
     */
    static <S, M> Builder<S, M> builder(OnInit<S, M> onInit, Handler<S, M> handler) {
        return new Builder<>(onInit, handler);
    }

    /**
     * The address the server is bound to, with the real port (when started on port 0, the one the
     * operating system chose).
     *
     * @return the bound address
     * @throws IllegalStateException for a server on a Unix domain socket, which has no IP address
     *     or port; see {@link #unixPath()}
     */
    InetSocketAddress address();

    /**
     * The bound port.
     *
     * @return {@code address().getPort()}
     * @throws IllegalStateException for a server on a Unix domain socket; see {@link #unixPath()}
     */
    default int port() {
        return address().getPort();
    }

    /**
     * The socket file of a server started with {@link Builder#start(Path)}.
     *
     * @return the path it listens on; empty for a TCP server
     */
    Optional<Path> unixPath();

    /**
     * How many connections are open now.
     *
     * @return the number of accepted connections whose {@link OnClose} has not yet run
     */
    int connectionCount();

    /**
     * Counters since the server started. Each call makes one pass over the open connections (to
     * add up their bytes), so it costs a little more with each; call it for a dashboard or a
     * metrics scrape, not per message. Byte and close totals never go down between calls.
     *
     * @return a snapshot; each call makes a new one
     */
    ServerStats stats();

    /**
     * Reads the server's TLS files again ({@link Tls#reloaded()}) and uses the result for every
     * handshake from now on; connections already open keep the material they started with. A
     * renewed certificate is picked up without a restart.
     *
     * @throws IllegalArgumentException naming the file and the fix if the new material is
     *     unusable; the server keeps the material it had
     * @throws IllegalStateException if the server was built without {@link Builder#tls(Tls)}
     */
    void reloadTls();

    /**
     * Uses {@code replacement} for every handshake from now on; connections already open keep the
     * material they started with.
     *
     * @param replacement the new configuration, already loaded and checked by its builder
     * @throws IllegalStateException if the server was built without {@link Builder#tls(Tls)}
     */
    void reloadTls(Tls replacement);

    /**
     * Whether the server is running: it has not begun to {@linkplain #stop() stop} or
     * {@linkplain #shutdown(Duration) shut down}. A {@linkplain #suspend() suspended} server is
     * running.
     *
     * @return {@code false} once {@link #stop()} or {@link #shutdown(Duration)} has begun
     */
    boolean isRunning();

    /**
     * The open connections at this moment, with their addresses, age, bytes each way and handles.
     * Sending each a {@link Message.User} through its handle is how to broadcast.
     *
     * <p>The message type is the caller's to state, unchecked: a {@code Server} is not generic, so
     * that the code that starts, stops, drains and watches servers (a supervisor, a metrics binder,
     * a test extension) needs no type arguments for handlers it never sees, and one list can hold
     * servers of different protocols. Only the code that built the server knows its {@code M}, and
     * it is the code that broadcasts: {@code server.<Chat>connections()}. A wrong {@code M} fails
     * with a {@link ClassCastException} in the handler that receives the message, not here.
     *
     * @param <M> the type of {@link Message.User} messages this server's connections accept (the
     *     {@code M} of its {@link Builder})
     * @return a snapshot, in no particular order; connections that end afterwards stay in it (their
     *     handles then refuse messages)
     */
    <M> List<ConnectionInfo<M>> connections();

    /**
     * Changes the most connections open at once on a running server. Lowering it below the number
     * open closes none: the server accepts again once enough have ended.
     *
     * @param limit at least 1
     * @throws IllegalArgumentException naming {@code maxConnections} if below 1
     */
    void maxConnections(int limit);

    /**
     * Stops accepting new connections without touching open ones: the listen socket is closed, so
     * new clients are refused at once (as Ranch and ThousandIsland do) rather than left waiting.
     * Does nothing if already suspended.
     *
     * @throws IllegalStateException if the server is stopping
     */
    void suspend();

    /**
     * Accepts connections again after {@link #suspend()}, on the same address and port. Does
     * nothing if not suspended.
     *
     * @throws IOException if the port cannot be bound again (another process took it meanwhile)
     * @throws IllegalStateException if the server is stopping
     */
    void resume() throws IOException;

    /**
     * Whether the server is {@linkplain #suspend() suspended}.
     *
     * @return {@code true} between {@link #suspend()} and {@link #resume()}
     */
    boolean isSuspended();

    /**
     * Shuts down gracefully: closes the listen socket first (new clients are refused), sends every
     * open connection's loop a {@link Message.ShuttingDown} notice so its protocol can finish the
     * exchange in progress and say goodbye, waits up to {@code drainTimeout} for connections to end,
     * then closes the rest ({@link CloseReason.ServerStopped}) and stops like {@link #stop()}.
     * {@link OnClose} runs for every connection. A {@link #stop()} meanwhile cuts the wait short.
     * Called from one of the server's own handlers it cannot wait for that handler's connection:
     * it then starts the shutdown on another thread and returns {@code null}.
     *
     * @param drainTimeout how long to wait for connections to end by themselves; zero to send no
     *     notice and close every connection at once, as {@link #stop()} does
     * @return how many connections ended by themselves and how many were closed at the timeout,
     *     or {@code null} if the caller is a handler, or if the server was already stopping (the
     *     call then waits until it has stopped)
     * @throws IllegalArgumentException naming {@code drainTimeout} if negative
     */
    DrainReport shutdown(Duration drainTimeout);

    /**
     * Stops the server: closes the listen socket, then every connection, and waits (up to the stop
     * timeout, then interrupting the stragglers) until every connection's {@link OnClose} has run and
     * every thread has ended. Safe to call more than once and from any thread. Called from a
     * handler or {@link OnClose}, it starts stopping and returns at once, since that handler's own
     * connection cannot end until it returns.
     */
    void stop();

    /** Same as {@link #stop()}. */
    @Override
    void close();

    /**
     * Blocks until the server has stopped, for a {@code main} that serves until it is told to stop
     * (for example by a shutdown hook calling {@link #stop()}).
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    void awaitTermination() throws InterruptedException;

    /**
     * Describes a server. Every option has a documented default; each setter checks its value at
     * once and throws {@link IllegalArgumentException} naming the option.
     *
     * @param <S> the per-connection state
     * @param <M> the type of {@link Message.User} messages connections accept
     */
    final class Builder<S, M> extends ConnectionBuilder<S, M, Builder<S, M>> {
        private int acceptors = 10;
        private int listenSockets = 1;
        private Duration stopTimeout = Duration.ofSeconds(5);
        private Tls tls;
        private int maxConnections = 16_384;
        private int maxConnectionsPerAddress = Integer.MAX_VALUE;
        private ProxyProtocol proxyProtocol;

        private Builder(OnInit<S, M> onInit, Handler<S, M> handler) {
            super(onInit, handler);
        }


        /**
         * Listens on {@code address}; shorthand for {@code socketOptions(o -> o.bindAddress(address))}.
         *
         * @param address see {@link SocketOptions.Builder#bindAddress(String)}
         * @return this builder
         */
        public Builder<S, M> bind(String address) {
            return socketOptions(options -> options.bindAddress(address));
        }

        /**
         * How many acceptor threads take connections from the listen socket (from all of them,
         * with {@link #listenSockets(int)}). Default 10, as in glisten. Acceptors are platform threads that only accept; more of them only help when
         * accepting is slow.
         *
         * @param acceptors at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code acceptors} if below 1
         */
        public Builder<S, M> acceptors(int acceptors) {
            if (acceptors < 1) {
                throw new IllegalArgumentException("acceptors (pool size) must be at least 1, got " + acceptors);
            }
            this.acceptors = acceptors;
            return this;
        }

        /**
         * How many listen sockets to open on the port, as ThousandIsland's and Ranch's
         * {@code num_listen_sockets}. Above 1 each is opened with {@code SO_REUSEPORT} and the
         * kernel spreads new connections over them (Linux hashes each connection's addresses to
         * one socket), so acceptors stop contending for one accept queue; this helps only at high
         * connection rates. The {@link #acceptors(int)} are shared out among the sockets as evenly
         * as possible, so there must be at least as many acceptors as listen sockets. Default 1.
         * {@link #start(int)} fails with an {@link IOException} naming {@code SO_REUSEPORT} on a
         * platform without it, and {@link #start(Path)} refuses more than 1 (Unix domain sockets
         * have no port to share).
         *
         * @param count at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code listenSockets} if below 1
         */
        public Builder<S, M> listenSockets(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("listenSockets must be at least 1, got " + count);
            }
            this.listenSockets = count;
            return this;
        }

        /**
         * How long {@link Server#stop()} waits for handlers to return after their sockets are
         * closed, before it interrupts their threads. Default 5 seconds.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException naming {@code stopTimeout} if zero, negative or over 36500 days
         */
        public Builder<S, M> stopTimeout(Duration timeout) {
            this.stopTimeout = positive("stopTimeout", timeout);
            return this;
        }

        /**
         * Serves TLS instead of plain TCP: every connection's thread runs the handshake (within
         * {@link Tls.Builder#handshakeTimeout}) before {@link OnInit}, and the handler sees
         * decrypted bytes. Default: none (plain TCP).
         *
         * @param tls the certificate and options, from {@link Tls#builder()} or
         *     {@link Tls#fromPemFiles}
         * @return this builder
         */
        public Builder<S, M> tls(Tls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * The most connections open at once. At the limit the acceptors stop taking connections
         * until one ends, and new clients wait in the kernel's listen backlog (as in Ranch) instead
         * of being refused; {@link ServerStats#limitPauses()} counts those pauses. Change it on a
         * running server with {@link Server#maxConnections(int)}. Default 16384, as in
         * ThousandIsland: it guards memory and file descriptors against a flood; raise it (and
         * {@code ulimit -n}) for more.
         *
         * @param limit at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code maxConnections} if below 1
         */
        public Builder<S, M> maxConnections(int limit) {
            this.maxConnections = ConnectionLimit.check(limit);
            return this;
        }

        /**
         * The most connections open at once from one IP address. A connection beyond it is closed
         * as soon as it is accepted (with {@link #proxyProtocol}, as soon as its header is read),
         * before {@link OnInit} and without {@link OnClose}, and counted in
         * {@link ServerStats#rejectedPerAddress()}. Default: no limit. Clients behind one NAT
         * share an address; size it for them.
         *
         * @param limit at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code maxConnectionsPerAddress} if below 1
         */
        public Builder<S, M> maxConnectionsPerAddress(int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("maxConnectionsPerAddress must be at least 1, got " + limit);
            }
            this.maxConnectionsPerAddress = limit;
            return this;
        }

        /**
         * Reads a PROXY protocol header (HAProxy's {@code send-proxy}, {@code send-proxy-v2}) at the
         * start of every connection, before the TLS handshake and {@link OnInit}, so that
         * {@link Connection#peerAddress()} is the original client's address rather than the
         * proxy's. A missing (when required), malformed or late header closes that connection
         * ({@link CloseReason.ProxyHeaderRejected}). Only for a port that nothing but trusted proxies
         * can reach: anyone who can connect can claim any address. See {@link ProxyProtocol}.
         * Default: none (no header is read).
         *
         * <p>{@link #maxConnectionsPerAddress(int)} then counts the clients' addresses from the
         * headers, checked once the header is read (a connection from a proxy is not limited by the
         * proxy's own address, and one with no header is counted by its socket's peer).
         *
         * @param options the versions accepted, whether the header is required, the header timeout;
         *     such as {@code ProxyProtocol.required(ProxyProtocol.Version.ANY)}
         * @return this builder
         */
        public Builder<S, M> proxyProtocol(ProxyProtocol options) {
            this.proxyProtocol = Objects.requireNonNull(options, "proxyProtocol");
            return this;
        }

        /**
         * Binds and starts accepting.
         *
         * @param port the TCP port, 0 to let the operating system choose (see {@link Server#port()})
         * @return the running server
         * @throws IllegalArgumentException naming {@code port} if outside 0-65535
         * @throws IOException if the server cannot listen; the message names the address and the
         *     cause ({@link java.net.BindException} when the port is in use or the address is not
         *     local, {@link java.net.UnknownHostException} when a host name does not resolve)
         */
        public Server start(int port) throws IOException {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
            }
            return start(port, null);
        }

        /**
         * Binds a Unix domain socket at {@code socketFile} and starts accepting: the same server,
         * handler and options for local clients, without TCP. A socket file left by a server that is
         * gone is removed first; the server removes its own when it stops (and while it is
         * {@linkplain Server#suspend() suspended}). Socket options that only TCP has
         * ({@code noDelay}, {@code keepAlive}, {@code linger}, the bind address, {@code ipv6},
         * {@code reuseAddress}) are ignored; the backlog and buffer sizes apply. Peers have a
         * {@link java.net.UnixDomainSocketAddress} (usually unnamed), and
         * {@link #maxConnectionsPerAddress(int)} does not apply to them. TLS works as over TCP.
         *
         * @param socketFile where to create the socket file; its directory must exist, and its
         *     length is limited by the platform (about 100 bytes)
         * @return the running server; {@link Server#unixPath()} tells the path and
         *     {@link Server#address()} throws
         * @throws IllegalArgumentException naming {@code listenSockets} if set above 1
         * @throws IOException naming {@code unix:PATH} and the cause if the server cannot listen: a
         *     {@link java.net.BindException} when another live server listens there ("address in
         *     use"; it is left alone), a plain {@code IOException} when the path is a regular file,
         *     a directory or anything else that is not a socket (it is never deleted)
         */
        public Server start(Path socketFile) throws IOException {
            Objects.requireNonNull(socketFile, "socketFile");
            if (listenSockets > 1) {
                throw new IllegalArgumentException("listenSockets must be 1 for a Unix domain socket (SO_REUSEPORT"
                        + " shares TCP ports only), got " + listenSockets);
            }
            return start(0, socketFile);
        }

        private Server start(int port, Path socketFile) throws IOException {
            if (acceptors < listenSockets) {
                throw new IllegalArgumentException("acceptors (" + acceptors + ") must be at least listenSockets ("
                        + listenSockets + "): each listen socket needs an acceptor");
            }
            return RealServer.start(new ServerConfig<>(loopOptions(), socketOptions(), port, socketFile, listenSockets,
                    acceptors, readBufferSize(), sendTimeout(), stopTimeout, (RealTls) tls, maxConnections,
                    maxConnectionsPerAddress, proxyProtocol));
        }

        private static Duration positive(String option, Duration timeout) {
            return LoopOptions.positive(option, timeout);
        }
    }
}
