package dev.glisten.examples;

import dev.glisten.DrainReport;
import dev.glisten.ProxyProtocol;
import dev.glisten.Server;
import dev.glisten.examples.http.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/** The examples {@link Main} can run, each under the name given on the command line. */
enum Example {
    ECHO("sends every byte straight back, or whole packets (--packet)",
            run -> Serving.of(EchoServer.builder(run.packet().framing()))),
    CHAT("relays every line to all other connected clients", run -> Serving.of(ChatServer.builder())),
    HTTP("HTTP/1.1: GET any path for a greeting, POST /echo for the body back",
            run -> Serving.of(HttpServer.builder())),
    PROXY("relays each connection to --upstream HOST:PORT and back, byte for byte", run -> {
        TcpProxy proxy = TcpProxy.to(run.upstream().orElseThrow(
                () -> new IllegalArgumentException("the proxy example needs an upstream")));
        return new Serving(proxy.builder(), proxy::shutdown);
    }),
    /** Built on the low-level socket API, so none of {@link Server}'s options apply. */
    LOWLEVEL("echo on ListenSocket and ClientSocket, one client at a time", null);

    /**
     * How long stopping waits for handlers after their sockets are closed, before interrupting
     * them: the library's default, set here so that {@link Main} can bound its shutdown hook.
     */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final String description;
    private final Function<CommandLine.Run, Serving> server;

    Example(String description, Function<CommandLine.Run, Serving> server) {
        this.description = description;
        this.server = server;
    }

    /** The name on the command line. */
    String command() {
        return name().toLowerCase(Locale.ROOT);
    }

    String description() {
        return description;
    }

    /**
     * Whether it is a {@link Server}, so that TLS ({@code --tls-cert}, {@code --tls-key}), the
     * connection limit, the idle timeout and PROXY protocol apply, and stopping drains its connections.
     */
    boolean builtOnServer() {
        return server != null;
    }

    static Optional<Example> named(String command) {
        for (Example example : values()) {
            if (example.command().equals(command)) {
                return Optional.of(example);
            }
        }
        return Optional.empty();
    }

    /**
     * Starts this example as {@code run} says.
     *
     * @param run the parsed command line; its example is not looked at
     * @throws IllegalArgumentException if {@code run} asks an example that is not
     *     {@linkplain #builtOnServer() built on Server} for TLS, a connection limit, an idle
     *     timeout or PROXY protocol (the command line refuses those first)
     * @throws IOException if it cannot listen
     */
    Running start(CommandLine.Run run) throws IOException {
        if (server == null) {
            if (run.tls().isPresent() || run.maxConnections().isPresent() || run.idleTimeout().isPresent()
                    || run.proxyProtocol()) {
                throw new IllegalArgumentException("the " + command()
                        + " example takes no TLS, connection limit, idle timeout or PROXY protocol");
            }
            LowLevelEcho echo = LowLevelEcho.start(run.bindAddress(), run.port());
            // One client at a time and no loop to tell: it stops at once, whatever the drain timeout.
            return new Running(echo.address(), drainTimeout -> echo.shutdown(), echo::awaitTermination);
        }
        Serving serving = server.apply(run);
        Server.Builder<?, ?> builder = serving.builder().bind(run.bindAddress()).stopTimeout(STOP_TIMEOUT);
        run.tls().ifPresent(builder::tls);
        run.maxConnections().ifPresent(builder::maxConnections);
        run.idleTimeout().ifPresent(builder::idleTimeout);
        if (run.proxyProtocol()) {
            builder.proxyProtocol(ProxyProtocol.required(ProxyProtocol.Version.ANY));
        }
        run.listenSockets().ifPresent(builder::listenSockets);
        run.maxPacket().ifPresent(builder::maxFrameSize);
        if (run.unixPath().isPresent()) {
            Server started = builder.start(run.unixPath().get());
            return new Running(UnixDomainSocketAddress.of(run.unixPath().get()),
                    drainTimeout -> serving.shutdown().apply(started, drainTimeout), started::awaitTermination);
        }
        Server started = builder.start(run.port());
        return new Running(started.address(), drainTimeout -> serving.shutdown().apply(started, drainTimeout),
                started::awaitTermination);
    }

    /**
     * What an example built on {@link Server} starts: its builder, and how to stop the server it
     * starts (the proxy also closes its upstream connections at the drain timeout).
     *
     * @param builder the example's server, to be given the command line's options
     * @param shutdown stops a started server gracefully, as {@link Server#shutdown(Duration)} does
     */
    record Serving(Server.Builder<?, ?> builder, BiFunction<Server, Duration, DrainReport> shutdown) {
        static Serving of(Server.Builder<?, ?> builder) {
            return new Serving(builder, Server::shutdown);
        }
    }

    /**
     * A started example, whichever API it is built on.
     *
     * @param address the bound address, with the real port: an {@link InetSocketAddress}, or a
     *     {@link UnixDomainSocketAddress} with {@code --unix}
     * @param shutdown stops it, letting connections finish for at most the given drain timeout, and
     *     returns once it has stopped, with how the connections ended ({@code null} if it was
     *     already stopping)
     * @param termination blocks until it has stopped
     */
    record Running(SocketAddress address, Function<Duration, DrainReport> shutdown, Termination termination) { }

    @FunctionalInterface
    interface Termination {
        void await() throws InterruptedException;
    }
}
