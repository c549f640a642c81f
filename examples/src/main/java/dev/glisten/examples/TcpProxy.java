package dev.glisten.examples;

import dev.glisten.Client;
import dev.glisten.ClientTls;
import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.DrainReport;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import dev.glisten.Server;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy: every connection the server accepts opens one connection to the upstream server
 * ({@link Client}), and the bytes flow both ways unchanged until both sides have finished. Over
 * TLS on either side (the server's {@link Server.Builder#tls}, the upstream's {@link ClientTls})
 * the bytes relayed are the decrypted ones.
 *
 * <p><b>One handler, both directions.</b> Each of the two connections has its own thread, which
 * reads only its own socket and writes only to the other connection: its state is the other side's
 * {@link Connection}, and {@link #relay} sends each {@link Message.Packet} there with
 * {@link Connection#send(Message.Packet)}, straight from the read buffer the packet was lent from.
 * No byte is copied or buffered in Java code, whichever way it goes.
 *
 * <p><b>Backpressure.</b> A send blocks while the receiving peer does not read (up to the send
 * timeout, 30 seconds by default), and a thread blocked in a send does not read its own socket: its
 * kernel buffers fill and TCP stops the sender. A client that writes and never reads is therefore
 * held by TCP after some megabytes of kernel buffers, not in the heap. The two directions do not
 * wait for each other: a send waits for the receiving peer to read, never for the other thread, so
 * an upstream that stops reading does not stop its answers reaching the client. A side that reads
 * nothing for the whole send timeout ends both connections ({@link CloseReason.SendTimedOut}).
 *
 * <p><b>Half-close.</b> Both connections allow it ({@link Server.Builder#allowHalfClose}): when one
 * peer finishes sending ({@link Message.EndOfInput}) the proxy finishes the other connection's
 * output ({@link Connection#shutdownOutput()}, a FIN, or over TLS a {@code close_notify}), and
 * each connection ends once both its directions have. A request that its client ends with EOF (as
 * {@code nc -N} does) gets its whole answer.
 *
 * <p><b>Failures.</b> The server's {@link dev.glisten.OnInit} connects before the client's first
 * byte is read: an upstream that refuses, does not answer within the connect timeout (10 seconds)
 * or fails the TLS handshake (its certificate is not trusted, or does not carry the expected name)
 * ends the client's connection at once, without a byte, and is logged as a warning; the next
 * client is served as usual. Once both are open, whichever connection ends (its peer left or
 * reset, a send failed or timed out) closes the other, through {@link Connection#close()}, which
 * also cuts short a send another thread is waiting in.
 *
 * <p><b>Stopping.</b> A proxy cannot know where the relayed protocol's exchanges end, so at a
 * graceful shutdown's notice ({@link Message.ShuttingDown}) it goes on relaying, and the
 * connections still open at the drain timeout are closed: use {@link #shutdown(Server, Duration)},
 * which also closes their upstream connections then.
 *
 * <p><b>Cost.</b> A request and its answer wake each of the two threads once, where an event loop
 * such as HAProxy's switches to nothing: on the machine of {@code docs/BENCHMARKS.md} this proxy
 * spends 1.14-1.27x HAProxy's CPU per round trip (one thread each, 100 connections), the rest of
 * the difference being the JDK's {@code read}/{@code write} against HAProxy's {@code recv}/{@code send}.
 *
 * <p>Try it: {@code java -jar examples/target/glisten-examples.jar echo --port 4000}, then
 * {@code java -jar examples/target/glisten-examples.jar proxy --port 3000 --upstream localhost:4000}
 * and {@code nc localhost 3000}.
 */
public final class TcpProxy {

    private static final System.Logger LOG = System.getLogger("dev.glisten.examples.proxy");
    /**
     * How long after the drain timeout {@link #shutdown} closes the upstream connections: just
     * after the server has closed the client connections left, so that its report counts those as
     * forced rather than as ended by themselves.
     */
    private static final Duration AFTER_DRAIN = Duration.ofMillis(100);

    private final Upstream upstream;
    // The upstream side of every open client connection, for closing them all at the drain timeout.
    private final Set<Connection<Void>> upstreams = ConcurrentHashMap.newKeySet();

    private TcpProxy(Upstream upstream) {
        this.upstream = upstream;
    }

    /**
     * Where the proxy connects for each client, and how.
     *
     * @param host the upstream server's host name or IP address
     * @param port its TCP port, 1 to 65535
     * @param tls how to speak TLS to it (trusted CAs, the name its certificate must carry, sent as
     *     SNI); empty for plain TCP
     * @param sendProxyHeader whether each upstream connection begins with a PROXY protocol v2
     *     header giving the client's address, for an upstream that reads one (HAProxy's
     *     {@code send-proxy-v2}; a glisten server with {@link Server.Builder#proxyProtocol})
     */
    public record Upstream(String host, int port, Optional<ClientTls> tls, boolean sendProxyHeader) {

        /**
         * Checks the components.
         *
         * @throws IllegalArgumentException if {@code port} is out of range or {@code host} empty
         */
        public Upstream {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(tls, "tls");
            if (host.isEmpty()) {
                throw new IllegalArgumentException("the upstream host is empty");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("the upstream port must be from 1 to 65535, got " + port);
            }
        }

        /**
         * Plain TCP to {@code host:port}, without a PROXY header.
         *
         * @param host a host name or an IP address
         * @param port 1 to 65535
         * @return the upstream
         */
        public static Upstream of(String host, int port) {
            return new Upstream(host, port, Optional.empty(), false);
        }

        /**
         * Reads {@code HOST:PORT}, an IPv6 address in brackets ({@code [::1]:4000}).
         *
         * @param hostAndPort as written on a command line
         * @return plain TCP to it
         * @throws IllegalArgumentException saying what is wrong
         */
        public static Upstream parse(String hostAndPort) {
            int colon = hostAndPort.lastIndexOf(':');
            if (colon <= 0 || colon == hostAndPort.length() - 1) {
                throw new IllegalArgumentException("expected HOST:PORT, such as localhost:4000, got \"" + hostAndPort
                        + "\"");
            }
            String host = hostAndPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException("an IPv6 address goes in brackets, such as [::1]:4000, got \""
                        + hostAndPort + "\"");
            }
            int port;
            try {
                port = Integer.parseInt(hostAndPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the port of \"" + hostAndPort + "\" is not a number");
            }
            return of(host, port);
        }

        /**
         * The same upstream over TLS.
         *
         * @param tls the trust and the name to verify
         * @return a new upstream
         */
        public Upstream withTls(ClientTls tls) {
            return new Upstream(host, port, Optional.of(tls), sendProxyHeader);
        }

        /**
         * The same upstream, each connection beginning with a PROXY protocol v2 header.
         *
         * @return a new upstream
         */
        public Upstream withProxyHeader() {
            return new Upstream(host, port, tls, true);
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port + (tls.isPresent() ? " over TLS" : "")
                    + (sendProxyHeader ? " with a PROXY v2 header" : "");
        }
    }

    /**
     * A proxy to {@code upstream}; {@link #builder()} makes its server.
     *
     * @param upstream where each client's connection is relayed
     * @return the proxy, with no connection open yet
     */
    public static TcpProxy to(Upstream upstream) {
        return new TcpProxy(Objects.requireNonNull(upstream, "upstream"));
    }

    /**
     * The proxy's server, not started yet, for adding options such as {@link Server.Builder#tls}
     * (to terminate TLS) or {@link Server.Builder#proxyProtocol} (the clients' addresses from a
     * proxy in front, passed on by {@link Upstream#sendProxyHeader()}). Half-close is on; the
     * server's {@link Server.Builder#sendTimeout} bounds the sends to clients, the upstream
     * connections keep the library's 30 seconds.
     *
     * @return a builder whose connections are relayed to the upstream
     */
    public Server.Builder<Connection<Void>, Void> builder() {
        return Server.builder(this::connectUpstream, TcpProxy::relay)
                .allowHalfClose(true)
                .onClose(this::clientLeft);
    }

    /**
     * The server's {@link dev.glisten.OnInit}: opens the client's upstream connection, on the
     * client connection's thread, before any byte of the client's is read.
     *
     * @param client the connection just accepted
     * @return the upstream connection; {@code null} if it could not be opened, the client's
     *     connection being closed then
     */
    private Connection<Void> connectUpstream(Connection<Void> client) throws InterruptedException {
        // Its onClose closes the client's connection whatever the state: after a failed handshake
        // onInit has not run, and the state is null.
        Client.Builder<Connection<Void>, Void> builder = Client.<Connection<Void>, Void>builder(
                        upstreamSide -> client, TcpProxy::relay)
                .allowHalfClose(true)
                .onClose((state, reason, upstreamSide) -> client.close());
        upstream.tls().ifPresent(builder::tls);
        if (upstream.sendProxyHeader()) {
            builder.proxyHeader(headerFor(client), ProxyProtocol.Version.V2);
        }
        Client<Void> connected;
        try {
            connected = builder.connect(upstream.host(), upstream.port());
        } catch (IOException e) {
            return refuse(client, e.getMessage());
        }
        if (!connected.isOpen()) {
            // The TLS handshake failed (or the upstream closed at once): the connection has ended,
            // and its reason is recorded as its onClose returns.
            Optional<CloseReason> failed = connected.awaitClose(Duration.ofSeconds(1));
            return refuse(client, failed.map(reason -> reason instanceof CloseReason.TlsHandshakeFailed handshake
                    ? handshake.error().getMessage() : reason.toString()).orElse("closed at once"));
        }
        Connection<Void> upstreamSide = connected.connection();
        upstreams.add(upstreamSide);
        return upstreamSide;
    }

    private Connection<Void> refuse(Connection<Void> client, String why) {
        LOG.log(Level.WARNING, () -> "closing the connection from " + client.peerAddress() + ": cannot reach "
                + upstream + ": " + why);
        // Closed before its thread reads anything: the client gets the end of the stream, no byte.
        client.close();
        return null;
    }

    /**
     * The client's own address and the one it connected to; a header without addresses if they
     * cannot be written in one header (a PROXY header from in front gave a Unix socket client).
     */
    private static ProxyHeader headerFor(Connection<Void> client) {
        SocketAddress source = client.peerAddress();
        try {
            return ProxyHeader.proxied(source, client.localAddress());
        } catch (IllegalArgumentException differentKinds) {
            return ProxyHeader.local();
        }
    }

    /**
     * The handler of both connections: relays what one peer sends to the other side.
     *
     * @param other the other side's connection: the upstream for a client's connection, the
     *     client's for an upstream one
     * @param message what arrived on {@code self}
     * @param self the connection it arrived on
     * @return continue, or stop once either side has failed
     */
    static Next<Connection<Void>> relay(Connection<Void> other, Message<Void> message, Connection<Void> self) {
        try {
            switch (message) {
                case Message.Packet<Void> packet -> other.send(packet);
                case Message.EndOfInput<Void> end -> other.shutdownOutput();
                // Relaying goes on until the drain timeout: the proxy cannot tell where the
                // protocol's exchanges end.
                case Message.ShuttingDown<Void> notice -> { }
                case Message.User<Void> nobodySendsThese -> { }
            }
            return Next.continueWith(other);
        } catch (IOException otherSideEnded) {
            // The other side is closed, or its peer stopped reading for the send timeout: this one
            // has nowhere to send. close() rather than only stopping, since it also wakes a send
            // the other thread waits in on this connection.
            LOG.log(Level.DEBUG, () -> "relay from " + self.peerAddress() + " ended: " + otherSideEnded.getMessage());
            self.close();
            return Next.stop();
        }
    }

    /** The server's {@link dev.glisten.OnClose}: the client's connection ended, so does its upstream one. */
    private void clientLeft(Connection<Void> upstreamSide, CloseReason reason, Connection<Void> client) {
        if (upstreamSide != null) {
            upstreams.remove(upstreamSide);
            upstreamSide.close();
        }
    }

    /**
     * Stops {@code server} gracefully ({@link Server#shutdown(Duration)}): it stops accepting,
     * connections go on relaying for up to {@code drainTimeout}, then those still open are closed
     * with their upstream connections (a tenth of a second later). Closing the upstream ones here
     * matters for a client connection whose thread waits in a send to an upstream that does not
     * read: the server's close of the client's socket does not reach that thread, the close of
     * the upstream's does, and without it the server would wait for the send timeout.
     *
     * @param server the server {@link #builder()} started
     * @param drainTimeout how long connections may go on
     * @return how the connections ended; {@code null} if the server was already stopping
     */
    public DrainReport shutdown(Server server, Duration drainTimeout) {
        Thread closer = Thread.ofVirtual().name("proxy-drain-deadline").start(() -> {
            try {
                Thread.sleep(drainTimeout.plus(AFTER_DRAIN));
            } catch (InterruptedException shutdownEndedFirst) {
                return;
            }
            closeUpstreams();
        });
        try {
            return server.shutdown(drainTimeout);
        } finally {
            closer.interrupt();
            closeUpstreams();
        }
    }

    private void closeUpstreams() {
        upstreams.forEach(Connection::close);
    }
}
