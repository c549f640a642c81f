package dev.glisten.micrometer;

import dev.glisten.CloseReason;
import dev.glisten.Server;
import dev.glisten.ServerStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Publishes a {@link Server}'s {@link ServerStats} to a Micrometer {@link MeterRegistry}, under
 * names in the style of Reactor Netty's TCP server metrics ({@code reactor.netty.tcp.server.*}):
 *
 * <table>
 *   <caption>The meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tag</th><th>from</th></tr>
 *   <tr><td>{@code glisten.tcp.server.connections.active}</td><td>gauge</td><td></td>
 *       <td>{@link ServerStats#activeConnections()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.connections.accepted}</td><td>counter</td><td></td>
 *       <td>{@link ServerStats#acceptedConnections()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.connections.closed}</td><td>counter</td>
 *       <td>{@code reason}: the {@link CloseReason} record's simple name, such as {@code PeerClosed}</td>
 *       <td>{@link ServerStats#closed(Class)}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.connections.rejected}</td><td>counter</td>
 *       <td>{@code cause=per_address}</td><td>{@link ServerStats#rejectedPerAddress()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.connections.rejected}</td><td>counter</td>
 *       <td>{@code cause=proxy_header}</td><td>{@link ServerStats#proxyHeaderRejections()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.mailbox.overflows}</td><td>counter</td><td></td>
 *       <td>{@link ServerStats#mailboxOverflows()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.accept.pauses}</td><td>counter</td><td></td>
 *       <td>{@link ServerStats#limitPauses()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.accept.errors}</td><td>counter</td><td></td>
 *       <td>{@link ServerStats#acceptErrors()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.data.received}</td><td>counter, bytes</td><td></td>
 *       <td>{@link ServerStats#bytesReceived()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.data.sent}</td><td>counter, bytes</td><td></td>
 *       <td>{@link ServerStats#bytesSent()}</td></tr>
 *   <tr><td>{@code glisten.tcp.server.tls.handshakes}</td><td>counter</td>
 *       <td>{@code outcome=success} or {@code outcome=failure}</td>
 *       <td>{@link ServerStats#tlsHandshakes()}, {@link ServerStats#tlsHandshakeFailures()}</td></tr>
 * </table>
 *
 * <p>Every meter carries {@code local.address}, the server's bound address as {@code host:port}
 * ({@code [v6-address]:port} for IPv6, {@code unix:PATH} for a Unix domain socket), as Reactor
 * Netty's do, and then the tags given to the constructor, which win over {@code local.address}
 * if they name it too (useful for a server bound to the wildcard address).
 * {@code connections.closed} is registered for every kind of {@link CloseReason} when bound, so
 * each series exists from the start at 0 rather than appearing with its first close. The counters
 * are {@link FunctionCounter}s over the server's own totals: no glisten code path touches
 * Micrometer.
 *
 * <p>Reactor Netty's {@code connections.total} is a gauge of open connections; here that gauge is
 * {@code connections.active}, and the total since the start is the counter
 * {@code connections.accepted}, so that no name means something else than it does there.
 *
 * <p>Reading a meter takes a {@link Server#stats()} snapshot, which walks the open connections to
 * add up their bytes. One snapshot serves every meter read within 100 ms of it, so a scrape of all
 * these meters costs one walk and shows one moment. The meters keep the server reachable until they
 * are removed from the registry; they go on reporting a stopped server's final totals.
 */
public final class GlistenMetrics implements MeterBinder {

    /** How long one stats snapshot serves meter reads: a scrape's worth, too short to notice. */
    private static final Duration SNAPSHOT_REUSE = Duration.ofMillis(100);

    private static final String PREFIX = "glisten.tcp.server.";

    private final Server server;
    private final Iterable<Tag> tags;
    private final StatsSnapshots snapshots;

    /**
     * Meters for {@code server}, tagged with its local address only.
     *
     * @param server a started server
     */
    public GlistenMetrics(Server server) {
        this(server, Tags.empty());
    }

    /**
     * Meters for {@code server}, with {@code tags} on every one, such as
     * {@code Tags.of("name", "echo")} to tell several servers apart.
     *
     * @param server a started server
     * @param tags added to every meter; a {@code local.address} among them replaces the server's
     * @throws NullPointerException if {@code server} or {@code tags} is null
     */
    public GlistenMetrics(Server server, Iterable<Tag> tags) {
        this.server = Objects.requireNonNull(server, "server");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
        this.snapshots = new StatsSnapshots(server::stats, SNAPSHOT_REUSE);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags common = Tags.of("local.address",
                server.unixPath().map(path -> "unix:" + path).orElseGet(() -> format(server.address()))).and(tags);

        Gauge.builder(PREFIX + "connections.active", server, stats(ServerStats::activeConnections))
                .description("Connections open now: accepted and not yet closed")
                .tags(common)
                .register(registry);
        counter(registry, "connections.accepted", common, null, ServerStats::acceptedConnections,
                "Connections accepted since the server started, including those then rejected");
        for (Class<? extends CloseReason> kind : closeReasons(CloseReason.class)) {
            counter(registry, "connections.closed", common.and("reason", kind.getSimpleName()), null,
                    stats -> stats.closed(kind),
                    "Connections ended since the server started, by the reason their OnClose saw");
        }
        // One description for both causes: Prometheus has one HELP line per name.
        String rejected = "Connections closed at once because their address already had the most allowed open"
                + " (per_address) or their PROXY protocol header was missing, malformed or late (proxy_header)";
        counter(registry, "connections.rejected", common.and("cause", "per_address"), null,
                ServerStats::rejectedPerAddress, rejected);
        counter(registry, "connections.rejected", common.and("cause", "proxy_header"), null,
                ServerStats::proxyHeaderRejections, rejected);
        counter(registry, "mailbox.overflows", common, null, ServerStats::mailboxOverflows,
                "Messages not queued because the connection's mailbox was full (a connection closed, or a"
                        + " message refused)");
        counter(registry, "accept.pauses", common, null, ServerStats::limitPauses,
                "Times accepting paused because the server had its maximum of connections open");
        counter(registry, "accept.errors", common, null, ServerStats::acceptErrors,
                "Accepts that failed, for one connection or for want of file descriptors");
        counter(registry, "data.received", common, BaseUnits.BYTES, ServerStats::bytesReceived,
                "Bytes read from peers (decrypted bytes for TLS)");
        counter(registry, "data.sent", common, BaseUnits.BYTES, ServerStats::bytesSent,
                "Bytes sent to peers (before encryption for TLS)");
        // One description for both: Prometheus has one HELP line per name.
        String handshakes = "TLS handshakes, including STARTTLS upgrades, that completed (success) or"
                + " failed or timed out (failure)";
        counter(registry, "tls.handshakes", common.and("outcome", "success"), null, ServerStats::tlsHandshakes,
                handshakes);
        counter(registry, "tls.handshakes", common.and("outcome", "failure"), null, ServerStats::tlsHandshakeFailures,
                handshakes);
    }

    private void counter(MeterRegistry registry, String name, Tags tags, String baseUnit,
            ToLongFunction<ServerStats> count, String description) {
        FunctionCounter.builder(PREFIX + name, server, stats(count))
                .description(description)
                .baseUnit(baseUnit)
                .tags(tags)
                .register(registry);
    }

    /**
     * Micrometer holds a gauge's or function counter's object weakly and its function strongly, and
     * binders are usually dropped once bound: the snapshots live in the function, the object is the
     * server, which its owner keeps.
     */
    private ToDoubleFunction<Server> stats(ToLongFunction<ServerStats> value) {
        return ignored -> value.applyAsLong(snapshots.latest());
    }

    /**
     * The record classes under a sealed {@code CloseReason}, descending into sealed
     * sub-interfaces should one appear, so that a reason added to glisten is counted without a
     * change here.
     */
    private static List<Class<? extends CloseReason>> closeReasons(Class<? extends CloseReason> root) {
        List<Class<? extends CloseReason>> leaves = new ArrayList<>();
        Class<?>[] permitted = root.getPermittedSubclasses();
        if (permitted == null) {
            leaves.add(root);
            return leaves;
        }
        for (Class<?> kind : permitted) {
            leaves.addAll(closeReasons(kind.asSubclass(CloseReason.class)));
        }
        return leaves;
    }

    /** {@code host:port} as Reactor Netty writes it, with IPv6 literals bracketed as in a URI. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address) {
            host = "[" + host + "]";
        }
        return host + ":" + address.getPort();
    }
}
