package dev.glisten.examples;

import dev.glisten.Server;
import dev.glisten.Tls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;

/** The examples {@link Main} can run, each under the name given on the command line. */
enum Example {
    ECHO("sends every byte straight back", true,
            (bindAddress, port, tls) -> running(serve(EchoServer.builder(), bindAddress, port, tls))),
    CHAT("relays every line to all other connected clients", true,
            (bindAddress, port, tls) -> running(serve(ChatServer.builder(), bindAddress, port, tls))),
    LOWLEVEL("echo on ListenSocket and ClientSocket, one client at a time", false, (bindAddress, port, tls) -> {
        LowLevelEcho echo = LowLevelEcho.start(bindAddress, port);
        return new Running(echo.address(), echo::close, echo::awaitTermination);
    });

    private final String description;
    private final boolean servesTls;
    private final Starter starter;

    Example(String description, boolean servesTls, Starter starter) {
        this.description = description;
        this.servesTls = servesTls;
        this.starter = starter;
    }

    /** The name on the command line. */
    String command() {
        return name().toLowerCase(Locale.ROOT);
    }

    String description() {
        return description;
    }

    /** Whether it can serve TLS ({@code --tls-cert}, {@code --tls-key}). */
    boolean servesTls() {
        return servesTls;
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
     * Starts this example.
     *
     * @param tls the certificate to serve TLS with, empty for plain TCP
     * @throws IllegalArgumentException if {@code tls} is given to an example that does not serve TLS
     */
    Running start(String bindAddress, int port, Optional<Tls> tls) throws IOException {
        if (tls.isPresent() && !servesTls) {
            throw new IllegalArgumentException("the " + command() + " example serves plain TCP only");
        }
        return starter.start(bindAddress, port, tls);
    }

    private static Server serve(Server.Builder<?, ?> builder, String bindAddress, int port, Optional<Tls> tls)
            throws IOException {
        tls.ifPresent(builder::tls);
        return builder.bind(bindAddress).start(port);
    }

    private static Running running(Server server) {
        return new Running(server.address(), server::stop, server::awaitTermination);
    }

    @FunctionalInterface
    private interface Starter {
        Running start(String bindAddress, int port, Optional<Tls> tls) throws IOException;
    }

    /**
     * A started example, whichever API it is built on.
     *
     * @param address the bound address, with the real port
     * @param stop stops it, closing every connection, and returns once it has stopped
     * @param termination blocks until it has stopped
     */
    record Running(InetSocketAddress address, Runnable stop, Termination termination) { }

    @FunctionalInterface
    interface Termination {
        void await() throws InterruptedException;
    }
}
