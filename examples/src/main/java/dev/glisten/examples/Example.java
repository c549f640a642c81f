package dev.glisten.examples;

import dev.glisten.Server;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;

/** The examples {@link Main} can run, each under the name given on the command line. */
enum Example {
    ECHO("sends every byte straight back", (bindAddress, port) -> running(EchoServer.start(bindAddress, port))),
    CHAT("relays every line to all other connected clients", (bindAddress, port) -> running(ChatServer.start(bindAddress, port))),
    LOWLEVEL("echo on ListenSocket and ClientSocket, one client at a time", (bindAddress, port) -> {
        LowLevelEcho echo = LowLevelEcho.start(bindAddress, port);
        return new Running(echo.address(), echo::close, echo::awaitTermination);
    });

    private final String description;
    private final Starter starter;

    Example(String description, Starter starter) {
        this.description = description;
        this.starter = starter;
    }

    /** The name on the command line. */
    String command() {
        return name().toLowerCase(Locale.ROOT);
    }

    String description() {
        return description;
    }

    static Optional<Example> named(String command) {
        for (Example example : values()) {
            if (example.command().equals(command)) {
                return Optional.of(example);
            }
        }
        return Optional.empty();
    }

    Running start(String bindAddress, int port) throws IOException {
        return starter.start(bindAddress, port);
    }

    private static Running running(Server server) {
        return new Running(server.address(), server::stop, server::awaitTermination);
    }

    @FunctionalInterface
    private interface Starter {
        Running start(String bindAddress, int port) throws IOException;
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
