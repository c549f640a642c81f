package dev.glisten.examples;

import dev.glisten.DrainReport;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one example from the command line:
 * {@code java -jar examples/target/glisten-examples.jar <echo|chat|http|proxy|lowlevel> [--port N]
 * [--bind ADDRESS] [--unix PATH] [--listen-sockets N] [--tls-cert FILE --tls-key FILE]
 * [--max-connections N] [--idle-timeout SECONDS] [--drain-timeout SECONDS] [--proxy-protocol]
 * [--packet raw|line|1|2|4] [--max-packet BYTES] [--upstream HOST:PORT [--upstream-tls
 * [--upstream-ca FILE] [--upstream-server-name NAME]] [--send-proxy]]} (defaults: port 3000, every
 * IPv4 address, plain TCP, one listen socket, the library's connection limit, no idle timeout, a
 * 10 second drain; for echo, raw packets; proxy needs {@code --upstream}).
 *
 * <p>The contract scripts and tests rely on:
 * <ul>
 *   <li>once listening, exactly one line on standard output, {@code listening on HOST:PORT}, with
 *       the real port (useful with {@code --port 0}) and IPv6 hosts in brackets, the same with TLS
 *       or without; everything else, logs and the line saying that TLS is on included, goes to
 *       standard error. With {@code --unix PATH} (echo, chat and http) the line is
 *       {@code listening on unix:PATH}, the path as given; the socket file is removed when the
 *       server stops;</li>
 *   <li>SIGINT or SIGTERM stops the server gracefully and the process exits: the listen socket
 *       closes, every connection is told ({@link dev.glisten.Message.ShuttingDown}) and has up to
 *       the drain timeout to finish, the rest are closed, and one line on standard error reports
 *       it, {@code glisten-examples: drained 2 connections gracefully, forced 1, in 10004 ms}
 *       ({@link DrainReport}). The lowlevel example closes its client at once. The stop takes at
 *       most the drain timeout plus {@link #STOP_GRACE};</li>
 *   <li>exit status 2 for bad arguments (one line naming the argument, then the usage, on standard
 *       error), an unusable certificate or key file included (the line is then the library's
 *       message, naming the file and the fix); 1 when the server cannot listen.</li>
 * </ul>
 *
 * <p>The runnable jar starts here through {@link Launcher}, which finds a Java 21 or newer first
 * when the {@code java} on the path is older.
 */
public final class Main {

    private static final int EXIT_FAILURE = 1;
    // As getopt-based tools and the shell's builtins do for misuse.
    private static final int EXIT_USAGE = 2;
    /**
     * How much longer than the drain timeout the shutdown hook waits for the server to stop: its
     * stop timeout (handlers still busy after their sockets closed are then interrupted) and a
     * little more for the threads to end. After that the hook gives up and the JVM exits anyway.
     */
    static final Duration STOP_GRACE = Example.STOP_TIMEOUT.plusSeconds(2);

    private Main() { }

    /**
     * Parses the arguments, starts the example, and serves until the JVM is told to stop.
     *
     * @param args the example name and options; {@code --help} lists them
     * @throws InterruptedException if the main thread is interrupted while serving
     */
    public static void main(String[] args) throws InterruptedException {
        CommandLine.Parsed parsed;
        try {
            parsed = CommandLine.parse(List.of(args));
        } catch (CommandLine.UsageException e) {
            System.err.println(CommandLine.PROGRAM + ": " + e.getMessage());
            System.err.print(CommandLine.usage());
            System.exit(EXIT_USAGE);
            return;
        }
        switch (parsed) {
            case CommandLine.Help help -> System.out.print(CommandLine.usage());
            case CommandLine.Run run -> serve(run);
        }
    }

    private static void serve(CommandLine.Run run) throws InterruptedException {
        Example.Running running;
        try {
            running = run.example().start(run);
        } catch (IOException e) {
            System.err.println(CommandLine.PROGRAM + ": " + e.getMessage());
            System.exit(EXIT_FAILURE);
            return;
        }
        // Registered before the line is printed: whoever reads the line may signal at once.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutDown(running, run.drainTimeout()),
                "stop-" + run.example().command()));
        // On standard error, so standard output stays the one line that scripts parse.
        run.tls().ifPresent(tls -> System.err.println(CommandLine.PROGRAM + ": serving TLS with " + tls
                + "; try: openssl s_client " + (running.address() instanceof InetSocketAddress inet
                        ? "-connect " + clientHostAndPort(inet) : "-unix " + run.unixPath().orElseThrow()) + " -quiet"));
        if (run.proxyProtocol()) {
            System.err.println(CommandLine.PROGRAM + ": every connection must begin with a PROXY protocol header"
                    + " (v1 or v2); let only the proxy reach this port");
        }
        run.upstream().ifPresent(upstream -> System.err.println(CommandLine.PROGRAM + ": relaying each connection to "
                + upstream));
        System.out.println("listening on " + (running.address() instanceof InetSocketAddress inet
                ? hostAndPort(inet) : "unix:" + run.unixPath().orElseThrow()));
        System.out.flush();
        running.termination().await();
    }

    /**
     * The shutdown hook: drains, then reports on standard error, within the drain timeout and
     * {@link #STOP_GRACE}. The JVM exits when the hook returns, so the drain runs on a thread of its
     * own that the hook stops waiting for if the server takes longer than it should.
     */
    private static void shutDown(Example.Running running, Duration drainTimeout) {
        FutureTask<DrainReport> drain = new FutureTask<>(() -> running.shutdown().apply(drainTimeout));
        Thread.ofPlatform().name("drain").daemon().start(drain);
        Duration bound = drainTimeout.plus(STOP_GRACE);
        try {
            DrainReport report = drain.get(bound.toNanos(), TimeUnit.NANOSECONDS);
            if (report != null) {
                System.err.println(CommandLine.PROGRAM + ": " + report);
            }
        } catch (TimeoutException e) {
            System.err.println(CommandLine.PROGRAM + ": still stopping " + bound.toMillis() + " ms after the signal;"
                    + " exiting without waiting any longer");
        } catch (ExecutionException e) {
            System.err.println(CommandLine.PROGRAM + ": stopping failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Where a client on this machine reaches {@code address}: loopback when bound to a wildcard. */
    private static String clientHostAndPort(InetSocketAddress address) {
        if (address.getAddress() != null && address.getAddress().isAnyLocalAddress()) {
            return "localhost:" + address.getPort();
        }
        return hostAndPort(address);
    }

    /**
     * {@code host:port} as a URL authority: IPv6 hosts bracketed and in the shortest form of
     * RFC 5952, so {@code [::1]:3000}, never {@code [0:0:0:0:0:0:0:1]:3000}.
     */
    static String hostAndPort(InetSocketAddress address) {
        if (address.getAddress() instanceof Inet6Address ipv6) {
            return "[" + rfc5952(ipv6.getAddress()) + "]:" + address.getPort();
        }
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return host + ":" + address.getPort();
    }

    private static String rfc5952(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // Section 4.2: "::" replaces the longest run of two or more zero groups, the first on a tie.
        int runStart = -1;
        int runLength = 1;
        for (int i = 0; i < 8; i++) {
            int length = 0;
            while (i + length < 8 && groups[i + length] == 0) {
                length++;
            }
            if (length > runLength) {
                runStart = i;
                runLength = length;
            }
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == runStart) {
                text.append("::");
                i += runLength - 1;
            } else {
                if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                    text.append(':');
                }
                text.append(Integer.toHexString(groups[i]));
            }
        }
        return text.toString();
    }
}
