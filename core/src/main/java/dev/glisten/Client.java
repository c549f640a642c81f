package dev.glisten;

import dev.glisten.internal.client.ClientOptions;
import dev.glisten.internal.client.RealClient;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.tls.RealClientTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One outbound connection with the same model as a {@link Server}'s: its own virtual thread runs
 * {@link OnInit}, then your {@link Handler} for every {@link Message} (bytes from the server,
 * values other threads send to this handle, the end of the server's output), then {@link OnClose}
 * exactly once. Framing, the bounded mailbox, {@code send}/{@code sendFile}, the idle timeout and
 * the lifetime behave as on a server, and so does every {@link CloseReason}.
 *
 * <pre>{@code
 * Client<String> client = Client.<Void, String>builder(
 *                 connection -> null,
 *                 (state, message, connection) -> switch (message) {
 *                     case Message.Packet<String> line -> { System.out.println(line.text(UTF_8)); yield Next.continueWith(state); }
 *                     case Message.User<String> say -> { connection.sendFrame((say.message()).getBytes(UTF_8)); yield Next.continueWith(state); }
 *                     default -> Next.continueWith(state);
 *                 })
 *         .framing(Framing.lines())
 *         .tls(ClientTls.defaults())
 *         .connect("chat.example.com", 3000);
 * client.send("hello");                        // to the handler, which writes it
 * client.awaitClose(Duration.ofSeconds(30));   // the CloseReason, once onClose has run
 * }</pre>
 *
 * <p><b>Connecting.</b> {@link Builder#connect(String, int)} runs on the calling thread: it resolves
 * the host, tries each of its addresses in turn (each within {@link Builder#connectTimeout}),
 * sends the {@linkplain Builder#proxyHeader PROXY header} if there is one and starts the
 * connection's thread. A connect that fails throws, naming the address and the cause, and leaves
 * no thread or socket behind. Over {@linkplain Builder#tls TLS} it also waits for the handshake,
 * which the connection's thread runs before {@code onInit}: a handshake that fails (the server's
 * certificate is not trusted or does not match the name) ends the connection with
 * {@link CloseReason.TlsHandshakeFailed}, {@code onClose} runs with a {@code null} state, and the
 * handle returned says so ({@link #closeReason()}). Nothing is sent in plain text meanwhile.
 *
 * <p><b>Threads.</b> Any thread may use this handle. {@link #send(Object)} queues a
 * {@link Message.User} for the handler and never blocks; {@link #connection()} is the same
 * {@link Connection} the handler gets, for sending bytes from another thread (a proxy writes one
 * side's packets to the other side's connection). All client connections of the process share a
 * few socket watchers, started at the first connect and kept for the process's life.
 *
 * @param <M> the type of {@link Message.User} messages the connection accepts
 */
public interface Client<M> extends ConnectionHandle<M>, AutoCloseable {

    /**
     * Starts describing client connections that run {@code handler}.
     *
     * @param onInit makes each connection's initial state, on its own thread, after the TLS
     *     handshake and before the first message
     * @param handler handles each message; returns how to go on
     * @param <S> the per-connection state
     * @param <M> the type of {@link Message.User} messages
     * @return a builder with every option at its default; it can connect any number of times
     */
    static <S, M> Builder<S, M> builder(OnInit<S, M> onInit, Handler<S, M> handler) {
        return new Builder<>(onInit, handler);
    }

    /**
     * The connection's local address (a Unix domain socket's is usually unnamed).
     *
     * @return the local address
     */
    SocketAddress localAddress();

    /**
     * What the TLS handshake settled: protocol, cipher suite, ALPN protocol, the server name sent,
     * and the server's verified certificate chain.
     *
     * @return empty for plain TCP, and for a handshake that failed
     */
    Optional<NegotiatedTls> tls();

    /**
     * The connection as its handler sees it, for sending bytes from any thread
     * ({@link Connection#send(byte[])}, {@link Connection#sendFile}, {@link Connection#shutdownOutput()}).
     *
     * @return the connection
     */
    Connection<M> connection();

    /**
     * Why the connection ended, once {@code onClose} has run.
     *
     * @return empty while it is open or ending
     */
    Optional<CloseReason> closeReason();

    /**
     * Waits until the connection has ended and {@code onClose} has run.
     *
     * @param timeout the longest to wait
     * @return why it ended; empty if it is still open after {@code timeout}
     * @throws InterruptedException if the waiting thread is interrupted
     */
    Optional<CloseReason> awaitClose(Duration timeout) throws InterruptedException;

    /**
     * Completes with why the connection ended, once {@code onClose} has run, on the connection's
     * thread: keep what is chained to it short, or move it to another thread.
     *
     * @return a stage that never completes exceptionally
     */
    CompletionStage<CloseReason> closed();

    /**
     * Describes client connections. Every option has a documented default; each setter checks its
     * value at once and throws {@link IllegalArgumentException} naming the option. A builder is a
     * reusable description: each {@code connect} opens one more connection with the options it
     * has then.
     *
     * @param <S> the per-connection state
     * @param <M> the type of {@link Message.User} messages connections accept
     */
    final class Builder<S, M> extends ConnectionBuilder<S, M, Builder<S, M>> {

        private Duration connectTimeout = Duration.ofSeconds(10);
        private ClientTls tls;
        private ProxyHeader proxyHeader;
        private ProxyProtocol.Version proxyVersion;

        private Builder(OnInit<S, M> onInit, Handler<S, M> handler) {
            super(onInit, handler);
        }


        /**
         * How long each attempt to connect may take: for a host name with several addresses, each
         * address in turn gets this long. Resolving the name is not bounded by it (the system's
         * resolver has its own timeouts). Default 10 seconds.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException naming {@code connectTimeout} if zero, negative or over 36500 days
         */
        public Builder<S, M> connectTimeout(Duration timeout) {
            this.connectTimeout = LoopOptions.positive("connectTimeout", timeout);
            return this;
        }

        /**
         * Speaks TLS: the connection's thread runs the client side of the handshake (within
         * {@link ClientTls.Builder#handshakeTimeout}) before {@link OnInit}, verifying the server's
         * certificate against the trust store and the host name connected to (or
         * {@link ClientTls.Builder#serverName}); {@code connect} returns once it is done. Default:
         * none (plain TCP).
         *
         * @param tls the trust, verification and client certificate, from {@link ClientTls#defaults()}
         *     or {@link ClientTls#builder()}
         * @return this builder
         */
        public Builder<S, M> tls(ClientTls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * Sends a PROXY protocol header first, before the TLS handshake and any byte of the
         * handler's, for a connection opened on behalf of a client: the server (HAProxy with
         * {@code accept-proxy}, or a glisten server with {@link Server.Builder#proxyProtocol})
         * then sees that client's address instead of this one. Default: none.
         *
         * @param header the addresses and TLVs, such as
         *     {@code ProxyHeader.proxied(client.peerAddress(), client.localAddress())}
         * @param version {@link ProxyProtocol.Version#V1} (text; no TLVs) or
         *     {@link ProxyProtocol.Version#V2} (binary, with TLVs)
         * @return this builder
         * @throws IllegalArgumentException if {@code header} cannot be written in {@code version}
         *     (the message says why), or {@code version} is {@code ANY}
         */
        public Builder<S, M> proxyHeader(ProxyHeader header, ProxyProtocol.Version version) {
            Objects.requireNonNull(header, "proxyHeader");
            Objects.requireNonNull(version, "version");
            // Encoded once here, so that a header the version cannot carry fails at build time.
            header.encode(version);
            this.proxyHeader = header;
            this.proxyVersion = version;
            return this;
        }

        /**
         * Opens a connection to {@code host:port}, trying each address the host resolves to in
         * turn, and starts its thread; over TLS, waits for the handshake.
         *
         * @param host a host name or an IP literal
         * @param port 1 to 65535
         * @return the connection's handle
         * @throws IllegalArgumentException naming {@code port} if out of range
         * @throws java.net.UnknownHostException if the host does not resolve
         * @throws java.net.ConnectException if every address refused (nothing listens there)
         * @throws java.net.SocketTimeoutException if the last address tried did not answer in time
         * @throws IOException for other failures; every message names the address
         */
        public Client<M> connect(String host, int port) throws IOException {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
            }
            return RealClient.connect(options(), host, port);
        }

        /**
         * Opens a connection to {@code address}: its IP address if resolved, else its host name as
         * {@link #connect(String, int)} does.
         *
         * @param address where to connect
         * @return the connection's handle
         * @throws IOException as for {@link #connect(String, int)}
         */
        public Client<M> connect(InetSocketAddress address) throws IOException {
            Objects.requireNonNull(address, "address");
            return connect(address.isUnresolved() ? address.getHostString()
                    : address.getAddress().getHostAddress(), address.getPort());
        }

        /**
         * Opens a connection to the Unix domain socket at {@code socketFile}. Over TLS the server's
         * certificate is verified against {@code localhost} unless
         * {@link ClientTls.Builder#serverName} says otherwise.
         *
         * @param socketFile the server's socket file
         * @return the connection's handle
         * @throws java.net.ConnectException if nobody listens there
         * @throws IOException for other failures, naming {@code unix:PATH}
         */
        public Client<M> connect(Path socketFile) throws IOException {
            Objects.requireNonNull(socketFile, "socketFile");
            return RealClient.connect(options(), socketFile);
        }

        private ClientOptions<S, M> options() {
            return new ClientOptions<>(loopOptions(), socketOptions(), readBufferSize(), sendTimeout(), connectTimeout,
                    (RealClientTls) tls, proxyHeader, proxyVersion);
        }
    }
}
