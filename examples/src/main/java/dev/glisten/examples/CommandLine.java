package dev.glisten.examples;

import dev.glisten.ClientTls;
import dev.glisten.Tls;
import dev.glisten.socket.SocketOptions;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Parses {@link Main}'s arguments: one example name and any options, in any order.
 *
 * <p>Every option is one entry of {@link #OPTIONS}: its flag, the name of its value (none for a
 * switch), its help text and how it sets a {@link Settings} field. A new option is that entry, the
 * field with its default, and a component of {@link Run}; cross-option checks belong in
 * {@link Settings#run()}. Usage text is generated from the same table.
 */
final class CommandLine {

    static final String PROGRAM = "glisten-examples";
    static final int DEFAULT_PORT = 3000;
    static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    // Server.Builder.maxConnections's default, for the help only: without the flag the builder keeps its own.
    static final int LIBRARY_MAX_CONNECTIONS = 16_384;
    // Server.Builder.maxFrameSize's default and bound, for the help and the check of --max-packet.
    static final int LIBRARY_MAX_FRAME_SIZE = 65_536;
    static final int LARGEST_FRAME_SIZE = 1 << 30;
    // The server turns timeouts into System.nanoTime deadlines, and Duration.toNanos overflows past
    // about 292 years; a year is beyond any real timeout and far from that.
    static final long LONGEST_SECONDS = 365L * 24 * 60 * 60;
    // Plain decimal seconds: no sign, exponent, hexadecimal or "NaN", which Double.parseDouble would take.
    private static final Pattern SECONDS = Pattern.compile("[0-9]+(\\.[0-9]*)?|\\.[0-9]+");

    private static final List<Option> OPTIONS = List.of(
            new Option("--port", "N",
                    "TCP port to listen on; 0 lets the system pick a free one (default " + DEFAULT_PORT + ")",
                    (settings, value) -> {
                        settings.port = port(value);
                        settings.tcpOption = "--port";
                    }),
            new Option("--bind", "ADDRESS",
                    "address to listen on (default " + DEFAULT_BIND_ADDRESS + ", every IPv4 address);"
                            + " :: for every address, 127.0.0.1 or ::1 for loopback only",
                    (settings, value) -> {
                        settings.bindAddress = bindAddress(value);
                        settings.tcpOption = "--bind";
                    }),
            new Option("--unix", "PATH",
                    "listen on a Unix domain socket file instead of TCP (all but lowlevel; not with --port or"
                            + " --bind); a stale socket file there is replaced, the file is removed at exit",
                    (settings, value) -> settings.unixPath = Optional.of(path(value))),
            new Option("--listen-sockets", "N",
                    "open N listen sockets on the port with SO_REUSEPORT, the kernel spreading clients over them"
                            + " (all but lowlevel, TCP only; default 1)",
                    (settings, value) -> settings.listenSockets = OptionalInt.of(listenSockets(value))),
            new Option("--tls-cert", "FILE",
                    "serve TLS with this PEM certificate chain, server's certificate first (all but lowlevel;"
                            + " needs --tls-key; default: plain TCP)",
                    (settings, value) -> settings.tlsCertificate = file("--tls-cert", value)),
            new Option("--tls-key", "FILE",
                    "the PEM private key of --tls-cert, unencrypted (PKCS#8, PKCS#1, SEC1 or Ed25519)",
                    (settings, value) -> settings.tlsKey = file("--tls-key", value)),
            new Option("--max-connections", "N",
                    "the most connections open at once; at the limit new clients wait in the listen backlog until"
                            + " one ends (all but lowlevel; default " + LIBRARY_MAX_CONNECTIONS + ", the library's)",
                    (settings, value) -> settings.maxConnections = OptionalInt.of(maxConnections(value))),
            new Option("--idle-timeout", "SECONDS",
                    "close a connection whose client has sent nothing for this long, whatever it receives; decimals"
                            + " allowed, such as 0.5 (all but lowlevel; default none)",
                    (settings, value) -> settings.idleTimeout = Optional.of(idleTimeout(value))),
            new Option("--drain-timeout", "SECONDS",
                    "on SIGINT or SIGTERM, how long connections may take to finish before the rest are closed;"
                            + " 0 closes them at once, and lowlevel always does (default "
                            + DEFAULT_DRAIN_TIMEOUT.toSeconds() + ")",
                    (settings, value) -> settings.drainTimeout = drainTimeout(value)),
            new Option("--packet", "MODE",
                    "how echo cuts the stream into packets, as Erlang's {packet, ...}: raw (each read as it comes),"
                            + " line (up to and including \\n), or 1, 2 or 4 (a big-endian length header of that many"
                            + " bytes); each whole packet is echoed as it came, header or delimiter included, and an"
                            + " incomplete one never (echo; default raw)",
                    (settings, value) -> {
                        settings.packet = packetMode(value);
                        settings.echoOption = "--packet";
                    }),
            new Option("--max-packet", "BYTES",
                    "the largest packet under --packet line, 1, 2 or 4, header or delimiter included; a longer one"
                            + " closes its connection and no other (echo; default " + LIBRARY_MAX_FRAME_SIZE
                            + ", the library's)",
                    (settings, value) -> {
                        settings.maxPacket = OptionalInt.of(maxPacket(value));
                        settings.echoOption = "--max-packet";
                    }),
            new Option("--proxy-protocol", null,
                    "every connection must begin with a PROXY protocol header, v1 or v2 (HAProxy's send-proxy or"
                            + " send-proxy-v2), which gives the client's address; only behind a trusted proxy (all but"
                            + " lowlevel; default off)",
                    (settings, value) -> settings.proxyProtocol = true),
            new Option("--upstream", "HOST:PORT",
                    "where proxy relays each connection, an IPv6 address in brackets ([::1]:4000); required by proxy",
                    (settings, value) -> settings.upstream = upstream(value)),
            new Option("--upstream-tls", null,
                    "speak TLS to the upstream, verifying its certificate and name (proxy; default plain TCP)",
                    (settings, value) -> settings.upstreamTls = true),
            new Option("--upstream-ca", "FILE",
                    "trust the CA certificates of this PEM file for the upstream, instead of the JDK's (proxy, with"
                            + " --upstream-tls)",
                    (settings, value) -> settings.upstreamCa = file("--upstream-ca", value)),
            new Option("--upstream-server-name", "NAME",
                    "the name the upstream's certificate must carry, also sent as SNI (proxy, with --upstream-tls;"
                            + " default the --upstream host)",
                    (settings, value) -> settings.upstreamServerName = value),
            new Option("--send-proxy", null,
                    "begin each upstream connection with a PROXY protocol v2 header giving the client's address"
                            + " (proxy; default off)",
                    (settings, value) -> settings.sendProxy = true));

    private static final Option HELP = new Option("--help", null, "print this help and exit", (settings, value) -> { });

    private CommandLine() { }

    /** What the arguments ask for. */
    sealed interface Parsed permits Run, Help { }

    /**
     * Run an example until stopped.
     *
     * @param example which one
     * @param port the TCP port, 0 for any free one
     * @param bindAddress the local address to listen on
     * @param tls the loaded certificate and key when {@code --tls-cert} and {@code --tls-key} are
     *     given, empty for plain TCP
     * @param maxConnections the most connections open at once, empty for the library's default
     * @param idleTimeout how long a client may send nothing before it is disconnected, empty for
     *     no limit
     * @param drainTimeout on SIGINT or SIGTERM, how long open connections may take to finish
     * @param unixPath the Unix domain socket file to listen on instead of TCP, empty for TCP
     * @param listenSockets how many SO_REUSEPORT listen sockets, empty for the library's one
     * @param proxyProtocol whether every connection must begin with a PROXY protocol header (v1 or v2)
     * @param packet how the echo example frames its packets; raw for the others
     * @param maxPacket the largest frame under {@code packet}, empty for the library's default
     * @param upstream where the proxy example relays connections, and how; empty for the others
     */
    record Run(Example example, int port, String bindAddress, Optional<Tls> tls, OptionalInt maxConnections,
            Optional<Duration> idleTimeout, Duration drainTimeout, Optional<Path> unixPath,
            OptionalInt listenSockets, boolean proxyProtocol, PacketMode packet, OptionalInt maxPacket,
            Optional<TcpProxy.Upstream> upstream) implements Parsed {
        /** Plain TCP, every other option at its default. */
        Run(Example example, int port, String bindAddress) {
            this(example, port, bindAddress, Optional.empty(), OptionalInt.empty(), Optional.empty(),
                    DEFAULT_DRAIN_TIMEOUT);
        }

        /** TCP on one listen socket, without PROXY protocol, raw packets, no upstream. */
        Run(Example example, int port, String bindAddress, Optional<Tls> tls, OptionalInt maxConnections,
                Optional<Duration> idleTimeout, Duration drainTimeout) {
            this(example, port, bindAddress, tls, maxConnections, idleTimeout, drainTimeout, Optional.empty(),
                    OptionalInt.empty(), false, PacketMode.RAW, OptionalInt.empty(), Optional.empty());
        }
    }

    /** Print the usage and exit. */
    record Help() implements Parsed { }

    /** An argument that cannot be used; the message names it and says why, in one line. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Reads the arguments.
     *
     * @param args as given to {@code main}
     * @return what to do
     * @throws UsageException naming the first argument that is unknown, misses its value or has a
     *     bad one, or when no example or more than one is named
     */
    static Parsed parse(List<String> args) throws UsageException {
        if (args.contains(HELP.flag()) || args.contains("-h")) {
            return new Help();
        }
        Settings settings = new Settings();
        for (Iterator<String> remaining = args.iterator(); remaining.hasNext(); ) {
            String argument = remaining.next();
            if (argument.startsWith("-")) {
                applyOption(argument, remaining, settings);
            } else if (settings.example == null) {
                settings.example = Example.named(argument).orElseThrow(() -> new UsageException(
                        "unknown example \"" + argument + "\": choose " + exampleChoices(" or ")));
            } else {
                throw new UsageException("unexpected argument \"" + argument + "\" after the example "
                        + settings.example.command());
            }
        }
        return settings.run();
    }

    /** The help text, ending with a newline. */
    static String usage() {
        StringBuilder usage = new StringBuilder()
                .append("Usage: java -jar glisten-examples.jar <").append(exampleChoices("|")).append("> [options]\n\n")
                .append("Runs a glisten example server until Ctrl-C or SIGTERM. Once it listens it prints\n")
                .append("\"listening on HOST:PORT\" (\"listening on unix:PATH\" with --unix) on standard output;\n")
                .append("logs go to standard error. On Ctrl-C or\n")
                .append("SIGTERM it gives connections time to finish (--drain-timeout), then reports how they ended\n")
                .append("on standard error.\n\n")
                .append("Examples:\n");
        for (Example example : Example.values()) {
            usage.append(String.format("  %-10s %s\n", example.command(), example.description()));
        }
        usage.append("\nOptions:\n");
        // Two spaces at least between the longest synopsis and its description.
        int width = 1 + Stream.concat(OPTIONS.stream(), Stream.of(HELP)).mapToInt(o -> o.synopsis().length()).max().orElse(0);
        for (Option option : OPTIONS) {
            usage.append(option.usageLine(width));
        }
        return usage.append(HELP.usageLine(width)).toString();
    }

    private static void applyOption(String argument, Iterator<String> remaining, Settings settings)
            throws UsageException {
        int equals = argument.indexOf('=');
        String flag = equals > 0 ? argument.substring(0, equals) : argument;
        Option option = OPTIONS.stream().filter(o -> o.flag().equals(flag)).findFirst()
                .orElseThrow(() -> new UsageException("unknown option " + flag));
        String value = null;
        if (option.takesValue()) {
            if (equals > 0) {
                value = argument.substring(equals + 1);
            } else if (remaining.hasNext()) {
                value = remaining.next();
            } else {
                throw new UsageException(flag + " needs a value: " + flag + " " + option.valueName());
            }
        } else if (equals > 0) {
            throw new UsageException(flag + " takes no value, got \"" + argument + "\"");
        }
        option.setter().set(settings, value);
    }

    private static int port(String value) throws UsageException {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65_535) {
                return port;
            }
        } catch (NumberFormatException notANumber) {
            // Reported below, with the range.
        }
        throw new UsageException("--port must be a whole number from 0 to 65535, got \"" + value + "\"");
    }

    private static int maxConnections(String value) throws UsageException {
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1) {
                return limit;
            }
        } catch (NumberFormatException notANumber) {
            // Reported below, with the range.
        }
        throw new UsageException("--max-connections must be a whole number from 1 to " + Integer.MAX_VALUE
                + ", got \"" + value + "\"");
    }

    private static int listenSockets(String value) throws UsageException {
        try {
            int count = Integer.parseInt(value);
            // The library shares its acceptors (10 by default) out among the listen sockets.
            if (count >= 1 && count <= 10) {
                return count;
            }
        } catch (NumberFormatException notANumber) {
            // Reported below, with the range.
        }
        throw new UsageException("--listen-sockets must be a whole number from 1 to 10, got \"" + value + "\"");
    }

    private static PacketMode packetMode(String value) throws UsageException {
        for (PacketMode mode : PacketMode.values()) {
            if (mode.value().equals(value)) {
                return mode;
            }
        }
        throw new UsageException("--packet must be raw, line, 1, 2 or 4, got \"" + value + "\"");
    }

    private static int maxPacket(String value) throws UsageException {
        try {
            int bytes = Integer.parseInt(value);
            if (bytes >= 1 && bytes <= LARGEST_FRAME_SIZE) {
                return bytes;
            }
        } catch (NumberFormatException notANumber) {
            // Reported below, with the range.
        }
        throw new UsageException("--max-packet must be a whole number of bytes from 1 to " + LARGEST_FRAME_SIZE
                + ", got \"" + value + "\"");
    }

    private static TcpProxy.Upstream upstream(String value) throws UsageException {
        try {
            return TcpProxy.Upstream.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--upstream: " + e.getMessage());
        }
    }

    private static Duration idleTimeout(String value) throws UsageException {
        return seconds(value).filter(timeout -> !timeout.isZero()).orElseThrow(() -> new UsageException(
                "--idle-timeout must be a number of seconds above 0 and at most " + LONGEST_SECONDS
                        + ", such as 30 or 0.5, got \"" + value + "\""));
    }

    private static Duration drainTimeout(String value) throws UsageException {
        return seconds(value).orElseThrow(() -> new UsageException(
                "--drain-timeout must be a number of seconds from 0 to " + LONGEST_SECONDS
                        + ", such as 10 or 0.5, got \"" + value + "\""));
    }

    /**
     * Decimal seconds, from 0 to {@link #LONGEST_SECONDS}; a positive value too small for a
     * nanosecond counts as one, so that it stays positive.
     */
    private static Optional<Duration> seconds(String value) {
        if (!SECONDS.matcher(value).matches()) {
            return Optional.empty();
        }
        BigDecimal seconds = new BigDecimal(value);
        if (seconds.compareTo(BigDecimal.valueOf(LONGEST_SECONDS)) > 0) {
            return Optional.empty();
        }
        long nanos = seconds.movePointRight(9).setScale(0, RoundingMode.CEILING).longValueExact();
        return Optional.of(Duration.ofNanos(nanos));
    }

    private static String bindAddress(String value) throws UsageException {
        try {
            // The library's own check, so the command line accepts exactly what the server does.
            return SocketOptions.builder().bindAddress(value).build().bindAddress();
        } catch (IllegalArgumentException e) {
            throw new UsageException("--bind: " + e.getMessage());
        }
    }

    private static Path file(String flag, String value) throws UsageException {
        if (value.isEmpty()) {
            throw new UsageException(flag + " needs a file name: " + flag + " FILE");
        }
        return Path.of(value);
    }

    private static Path path(String value) throws UsageException {
        if (value.isEmpty()) {
            throw new UsageException("--unix needs a file name: --unix PATH");
        }
        return Path.of(value);
    }

    private static String exampleChoices(String separator) {
        return Arrays.stream(Example.values()).map(Example::command).collect(Collectors.joining(separator));
    }

    /** The options as they are read, starting from the defaults. */
    private static final class Settings {
        Example example;
        int port = DEFAULT_PORT;
        String bindAddress = DEFAULT_BIND_ADDRESS;
        Path tlsCertificate;
        Path tlsKey;
        OptionalInt maxConnections = OptionalInt.empty();
        Optional<Duration> idleTimeout = Optional.empty();
        Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        boolean proxyProtocol;
        Optional<Path> unixPath = Optional.empty();
        OptionalInt listenSockets = OptionalInt.empty();
        PacketMode packet = PacketMode.RAW;
        OptionalInt maxPacket = OptionalInt.empty();
        TcpProxy.Upstream upstream;
        boolean upstreamTls;
        Path upstreamCa;
        String upstreamServerName;
        boolean sendProxy;
        // The last of --port and --bind given, if any: they contradict --unix.
        String tcpOption;
        // The last of --packet and --max-packet given, if any: they apply to echo alone.
        String echoOption;

        Run run() throws UsageException {
            if (example == null) {
                throw new UsageException("no example given: choose " + exampleChoices(", "));
            }
            Optional<Tls> tls = tls();
            if (!example.builtOnServer() && maxConnections.isPresent()) {
                throw new UsageException("the " + example.command() + " example serves one client at a time;"
                        + " --max-connections works with " + serverExamples());
            }
            if (!example.builtOnServer() && idleTimeout.isPresent()) {
                throw new UsageException("the " + example.command() + " example has no idle timeout;"
                        + " --idle-timeout works with " + serverExamples());
            }
            if (!example.builtOnServer() && proxyProtocol) {
                throw new UsageException("the " + example.command() + " example reads no PROXY protocol header;"
                        + " --proxy-protocol works with " + serverExamples());
            }
            if (unixPath.isPresent() && tcpOption != null) {
                throw new UsageException("--unix listens on a socket file instead of TCP; " + tcpOption
                        + " does not go with it");
            }
            if (unixPath.isPresent() && listenSockets.isPresent()) {
                throw new UsageException("--listen-sockets shares a TCP port; it does not go with --unix");
            }
            if (!example.builtOnServer() && (unixPath.isPresent() || listenSockets.isPresent())) {
                throw new UsageException("the " + example.command() + " example listens on TCP only;"
                        + (unixPath.isPresent() ? " --unix" : " --listen-sockets") + " works with " + serverExamples());
            }
            if (echoOption != null && example != Example.ECHO) {
                throw new UsageException(echoOption + " works with echo only; the " + example.command()
                        + " example reads its protocol its own way");
            }
            if (maxPacket.isPresent() && packet == PacketMode.RAW) {
                // Raw packets are single reads, which no frame size bounds: the flag would do nothing.
                throw new UsageException("--max-packet bounds framed packets: give --packet line, 1, 2 or 4 too");
            }
            return new Run(example, port, bindAddress, tls, maxConnections, idleTimeout, drainTimeout, unixPath,
                    listenSockets, proxyProtocol, packet, maxPacket, upstream());
        }

        /** The proxy's upstream, from the options that apply to the proxy alone. */
        private Optional<TcpProxy.Upstream> upstream() throws UsageException {
            if (example != Example.PROXY) {
                String given = upstream != null ? "--upstream" : upstreamTls ? "--upstream-tls"
                        : upstreamCa != null ? "--upstream-ca" : upstreamServerName != null ? "--upstream-server-name"
                        : sendProxy ? "--send-proxy" : null;
                if (given != null) {
                    throw new UsageException(given + " works with proxy only; the " + example.command()
                            + " example connects nowhere");
                }
                return Optional.empty();
            }
            if (upstream == null) {
                throw new UsageException("the proxy example needs --upstream HOST:PORT: where to relay each connection");
            }
            if (!upstreamTls && (upstreamCa != null || upstreamServerName != null)) {
                throw new UsageException((upstreamCa != null ? "--upstream-ca" : "--upstream-server-name")
                        + " is for TLS to the upstream: give --upstream-tls too");
            }
            TcpProxy.Upstream relayed = sendProxy ? upstream.withProxyHeader() : upstream;
            if (!upstreamTls) {
                return Optional.of(relayed);
            }
            ClientTls.Builder tls = ClientTls.builder();
            if (upstreamServerName != null) {
                try {
                    tls.serverName(upstreamServerName);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--upstream-server-name: " + e.getMessage());
                }
            }
            if (upstreamCa != null) {
                tls.trustedCertificates(upstreamCa);
            }
            try {
                // Loaded here, as --tls-cert is: an unusable file is a bad argument, in the library's words.
                return Optional.of(relayed.withTls(tls.build()));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }

        private Optional<Tls> tls() throws UsageException {
            if (tlsCertificate == null && tlsKey == null) {
                return Optional.empty();
            }
            if (!example.builtOnServer()) {
                throw new UsageException("the " + example.command() + " example serves plain TCP only; --tls-cert and"
                        + " --tls-key work with " + serverExamples());
            }
            if (tlsKey == null) {
                throw new UsageException("--tls-cert needs --tls-key too: the PEM file of the certificate's private key");
            }
            if (tlsCertificate == null) {
                throw new UsageException("--tls-key needs --tls-cert too: the PEM file of the certificate chain");
            }
            try {
                // Loaded here, as --bind is checked, so an unusable file is a bad argument (status 2)
                // and the message is the library's own, which names the file and the fix.
                return Optional.of(Tls.fromPemFiles(tlsCertificate, tlsKey));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }

        /** The examples that TLS, the connection limit, the idle timeout and PROXY protocol apply to: "a, b and c". */
        private static String serverExamples() {
            List<String> names = Arrays.stream(Example.values()).filter(Example::builtOnServer).map(Example::command)
                    .toList();
            return names.size() == 1 ? names.get(0)
                    : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
        }
    }

    @FunctionalInterface
    private interface Setter {
        void set(Settings settings, String value) throws UsageException;
    }

    /**
     * One command-line option.
     *
     * @param flag such as {@code --port}
     * @param valueName the placeholder of its value in the usage, {@code null} for a switch
     * @param description one line of help, stating the default
     * @param setter stores the (checked) value
     */
    private record Option(String flag, String valueName, String description, Setter setter) {
        boolean takesValue() {
            return valueName != null;
        }

        String synopsis() {
            return takesValue() ? flag + " " + valueName : flag;
        }

        String usageLine(int width) {
            return String.format("  %-" + width + "s %s\n", synopsis(), description);
        }
    }
}
