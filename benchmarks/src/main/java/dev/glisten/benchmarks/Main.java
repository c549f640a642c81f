package dev.glisten.benchmarks;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Starts one server under test (an echo server, or the HTTP point's Netty peer) and keeps it
 * running until the process is told to stop (SIGTERM or SIGINT):
 *
 * <pre>
 * java -jar benchmarks/target/glisten-benchmarks.jar &lt;server&gt; --port N [--bind 127.0.0.1]
 *                                                    [--tls-cert cert.pem --tls-key key.pem]
 * java -jar benchmarks/target/glisten-benchmarks.jar versions
 * java -jar benchmarks/target/glisten-benchmarks.jar wake-up-cost [--threads N] [--rounds R]
 * </pre>
 *
 * <p>Once the server accepts connections it prints {@code listening on HOST:PORT} (with the real
 * port when started on port 0); the harness ({@code benchmarks/bench}) waits for that line. Every
 * echo server echoes each byte it reads back to the same connection, with {@code TCP_NODELAY} on and
 * a listen backlog of {@value #BACKLOG}, so the servers differ only in how they are built;
 * {@code netty-http} ({@link NettyHttp}) answers HTTP GETs with the same socket settings.
 */
public final class Main {

    /** The listen backlog of every server, the C one included (glisten's default). */
    static final int BACKLOG = 1024;

    private static final String USAGE = """
            usage: java -jar glisten-benchmarks.jar <server> --port N [--bind ADDRESS] [--tls-cert PEM --tls-key PEM]
                   java -jar glisten-benchmarks.jar versions
                   java -jar glisten-benchmarks.jar wake-up-cost [--threads N] [--rounds R]
            servers:
              glisten        this library's echo server (the README's ten lines)
              netty-epoll    Netty, native epoll transport, 1 boss + 1 worker event loop
              netty-epoll-2  Netty, native epoll transport, 1 boss + 2 worker event loops
              netty-nio      Netty, NIO transport, 1 boss + 1 worker event loop
              threads        a platform thread per connection, blocking java.net.Socket
              netty-http     Netty HTTP/1.1 hello world (HttpServerCodec), native epoll, 1 boss + 1 worker event loop:
                             every GET gets 200 text/plain "Hello, World!", keep-alive
            --bind defaults to 127.0.0.1; --port 0 picks a free port. --tls-cert/--tls-key (PEM, PKCS#8 key)
            turn on TLS 1.3 with the JDK provider (glisten and the Netty echo servers; not threads, not netty-http).
            wake-up-cost measures one park and unpark of a virtual thread (no socket; see docs/BENCHMARKS.md).""";

    private Main() { }

    /**
     * Parses the command line, starts the server and blocks until the JVM is asked to exit.
     *
     * @param args the command line, see the class comment
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("versions")) {
            System.out.println("java " + Runtime.version());
            System.out.println("netty " + NettyEcho.version());
            return;
        }
        if (args.length >= 1 && args[0].equals("wake-up-cost")) {
            try {
                WakeUpCost.run(List.of(args).subList(1, args.length), System.out);
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage());
                System.err.println(USAGE);
                System.exit(2);
            }
            return;
        }
        Options options;
        try {
            options = Options.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        EchoServer server;
        try {
            server = start(options);
        } catch (Exception e) {
            System.err.println(options.server() + " could not start: " + e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "stop-server"));
        InetSocketAddress address = server.address();
        System.out.println("listening on " + address.getAddress().getHostAddress() + ":" + address.getPort());
        System.out.flush();
        stopped.await();
    }

    private static EchoServer start(Options options) throws Exception {
        return switch (options.server()) {
            case "glisten" -> GlistenEcho.start(options);
            case "netty-epoll" -> NettyEcho.start(options, NettyEcho.Transport.EPOLL, 1);
            case "netty-epoll-2" -> NettyEcho.start(options, NettyEcho.Transport.EPOLL, 2);
            case "netty-nio" -> NettyEcho.start(options, NettyEcho.Transport.NIO, 1);
            case "threads" -> ThreadPerConnectionEcho.start(options);
            case "netty-http" -> NettyHttp.start(options);
            default -> throw new IllegalStateException("unreachable: " + options.server());
        };
    }

    /** A running server under test of any kind (the name is older than the HTTP peer). */
    interface EchoServer extends AutoCloseable {

        /** @return the bound address, with the real port */
        InetSocketAddress address();

        /** Stops accepting, closes every connection; never throws. */
        @Override
        void close();
    }

    /**
     * The parsed command line.
     *
     * @param server which server to start
     * @param bind the local address to listen on
     * @param port the TCP port, 0 for any
     * @param tlsCert a PEM certificate chain, or null for plain TCP
     * @param tlsKey the PEM (PKCS#8) private key of {@code tlsCert}, or null
     */
    record Options(String server, String bind, int port, File tlsCert, File tlsKey) {

        static final List<String> SERVERS = List.of("glisten", "netty-epoll", "netty-epoll-2", "netty-nio", "threads",
                "netty-http");

        boolean tls() {
            return tlsCert != null;
        }

        static Options parse(List<String> args) {
            if (args.isEmpty() || !SERVERS.contains(args.get(0))) {
                throw new IllegalArgumentException(args.isEmpty() ? "no server given" : "unknown server: " + args.get(0));
            }
            String bind = "127.0.0.1";
            Integer port = null;
            File cert = null;
            File key = null;
            for (int i = 1; i < args.size(); i += 2) {
                String option = args.get(i);
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                String value = args.get(i + 1);
                switch (option) {
                    case "--bind" -> bind = value;
                    case "--port" -> port = port(value);
                    case "--tls-cert" -> cert = new File(value);
                    case "--tls-key" -> key = new File(value);
                    default -> throw new IllegalArgumentException("unknown option: " + option);
                }
            }
            if (port == null) {
                throw new IllegalArgumentException("--port is required");
            }
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException("--tls-cert and --tls-key go together");
            }
            return new Options(args.get(0), bind, port, cert, key);
        }

        private static int port(String value) {
            try {
                int port = Integer.parseInt(value);
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException("--port must be 0..65535, was " + value);
                }
                return port;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--port must be a number, was " + value, e);
            }
        }
    }
}
