package dev.glisten.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One server the soak runs, as the examples jar starts it, and how its clients and abusers talk
 * to it. A new scenario is one entry of {@link #all}: its example and options, its {@link Wire},
 * how connections start ({@link Security}), and which {@link Abuse}s it gets.
 *
 * @param name the name in the report
 * @param example the examples jar's subcommand
 * @param options its options, {@code --port} and {@code --bind} aside
 * @param wire what its protocol looks like
 * @param security how a connection starts
 * @param abuses what abusers do to it during the soak
 * @param upstream for a proxy: the example it relays to, started first on a port of its own and
 *     given as {@code --upstream 127.0.0.1:PORT}
 */
record Target(String name, String example, List<String> options, Wire wire, Security security, List<Abuse> abuses,
        Optional<String> upstream) {

    /** The examples' TLS handshake timeout: the library's default, which the command line keeps. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** The examples' PROXY header timeout: the library's default, which the command line keeps. */
    static final Duration HEADER_TIMEOUT = Duration.ofSeconds(5);
    /** The framed echo's {@code --max-packet}: small, so that oversized frames are cheap to send. */
    static final int MAX_PACKET = 4096;

    /** How a connection starts. */
    enum Security {
        PLAIN,
        /** A TLS handshake, with the run's certificate. */
        TLS,
        /** A PROXY protocol header ({@code --proxy-protocol}). */
        PROXY_HEADER
    }

    /**
     * Every scenario, those whose example the jar lacks left out ({@code proxy} is newer than the
     * others).
     *
     * @param certificate the TLS servers' certificate
     * @param examples the subcommands the jar's {@code --help} lists
     */
    static List<Target> all(Certificate certificate, List<String> examples) {
        List<Target> targets = new ArrayList<>(List.of(
                new Target("echo", "echo", List.of(), Wire.ECHO, Security.PLAIN,
                        List.of(Abuse.SILENT, Abuse.SLOWLORIS, Abuse.RESET_MID_WRITE, Abuse.RESET_MID_READ),
                        Optional.empty()),
                new Target("echo-tls", "echo", certificate.flags(), Wire.ECHO, Security.TLS,
                        List.of(Abuse.TLS_GARBAGE, Abuse.TLS_STALL, Abuse.RESET_MID_WRITE, Abuse.RESET_MID_READ),
                        Optional.empty()),
                new Target("echo-proxy-header", "echo", List.of("--proxy-protocol"), Wire.ECHO, Security.PROXY_HEADER,
                        List.of(Abuse.PROXY_GARBAGE, Abuse.PROXY_LATE, Abuse.SLOWLORIS, Abuse.RESET_MID_READ),
                        Optional.empty()),
                new Target("echo-framed", "echo", List.of("--packet", "2", "--max-packet", Integer.toString(MAX_PACKET)),
                        Wire.FRAMED, Security.PLAIN,
                        List.of(Abuse.OVERSIZED_FRAME, Abuse.SLOWLORIS, Abuse.RESET_MID_WRITE, Abuse.RESET_MID_READ),
                        Optional.empty()),
                new Target("chat", "chat", List.of(), Wire.CHAT, Security.PLAIN,
                        List.of(Abuse.NEVER_READS, Abuse.SILENT, Abuse.SLOWLORIS, Abuse.RESET_MID_WRITE),
                        Optional.empty()),
                new Target("http", "http", List.of(), Wire.HTTP, Security.PLAIN,
                        List.of(Abuse.HTTP_GARBAGE, Abuse.HTTP_OVERSIZED, Abuse.SILENT, Abuse.SLOWLORIS,
                                Abuse.RESET_MID_WRITE, Abuse.RESET_MID_READ),
                        Optional.empty()),
                new Target("proxy", "proxy", List.of(), Wire.ECHO, Security.PLAIN,
                        List.of(Abuse.SILENT, Abuse.SLOWLORIS, Abuse.RESET_MID_WRITE, Abuse.RESET_MID_READ),
                        Optional.of("echo"))));
        targets.removeIf(target -> !examples.contains(target.example()));
        return targets;
    }

    /** The server's own bound on what {@link Abuse#TLS_STALL} and {@link Abuse#PROXY_LATE} withhold. */
    Duration serverTimeout() {
        return switch (security) {
            case TLS -> HANDSHAKE_TIMEOUT;
            case PROXY_HEADER -> HEADER_TIMEOUT;
            case PLAIN -> Duration.ZERO;
        };
    }

    /** What a legitimate client says, or {@code null} for the chat, whose members talk to each other. */
    Conversation conversation() {
        return switch (wire) {
            case ECHO -> EchoConversation.raw();
            case FRAMED -> EchoConversation.framed(MAX_PACKET);
            case HTTP -> new HttpConversation();
            case CHAT -> null;
        };
    }

    /**
     * How many of {@code abuse} run at once against this server, the same in every plan: silent
     * connections are cheap and held for seconds, so many; members that never read need the
     * room's talk to fill them, so a few; every other kind two, each pausing between connections
     * ({@link Abuse#pause}), which with the legitimate clients' pauses keeps the two cores of the
     * machine the figures come from short of saturation in the clean phase.
     */
    int concurrency(Abuse abuse) {
        return switch (abuse) {
            case SILENT -> 50;
            case NEVER_READS -> 8;
            default -> 2;
        };
    }
}
