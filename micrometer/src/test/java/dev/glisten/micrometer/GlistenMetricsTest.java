package dev.glisten.micrometer;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.CloseReason;
import dev.glisten.Handler;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.ProxyProtocol;
import dev.glisten.Server;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GlistenMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] HELLO = "hello\n".getBytes(US_ASCII);

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final List<Socket> clients = new ArrayList<>();
    private Server server;

    @AfterEach
    void stop() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        if (server != null) {
            server.stop();
        }
        registry.close();
    }

    @Test
    void everyMeterExistsAtZeroWithADescriptionAndTheServersTags() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo()));
        new GlistenMetrics(server, Tags.of("name", "echo")).bindTo(registry);

        List<Meter> meters = glistenMeters();
        assertThat(meters.stream().map(meter -> meter.getId().getName()).distinct()).containsExactlyInAnyOrder(
                "glisten.tcp.server.connections.active",
                "glisten.tcp.server.connections.accepted",
                "glisten.tcp.server.connections.closed",
                "glisten.tcp.server.connections.rejected",
                "glisten.tcp.server.mailbox.overflows",
                "glisten.tcp.server.accept.pauses",
                "glisten.tcp.server.accept.errors",
                "glisten.tcp.server.data.received",
                "glisten.tcp.server.data.sent",
                "glisten.tcp.server.tls.handshakes");
        assertThat(meters).allSatisfy(meter -> {
            assertThat(meter.getId().getDescription()).as(meter.getId().getName()).isNotBlank();
            assertThat(meter.getId().getTag("local.address")).isEqualTo("127.0.0.1:" + server.port());
            assertThat(meter.getId().getTag("name")).isEqualTo("echo");
            assertThat(meter.measure()).allSatisfy(measurement -> assertThat(measurement.getValue()).isZero());
        });
        assertThat(registry.get("glisten.tcp.server.data.received").functionCounter().getId().getBaseUnit())
                .isEqualTo("bytes");
        assertThat(registry.get("glisten.tcp.server.tls.handshakes").functionCounters())
                .extracting(counter -> counter.getId().getTag("outcome"))
                .containsExactlyInAnyOrder("success", "failure");
    }

    @Test
    void aClosedCounterForEveryKindOfReasonFromTheStart() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo()));
        new GlistenMetrics(server).bindTo(registry);

        assertThat(registry.get("glisten.tcp.server.connections.closed").functionCounters())
                .extracting(counter -> counter.getId().getTag("reason"))
                .containsExactlyInAnyOrderElementsOf(
                        List.of(CloseReason.class.getPermittedSubclasses()).stream().map(Class::getSimpleName).toList())
                .contains("PeerClosed", "ServerStopped", "TlsHandshakeFailed");
    }

    @Test
    void countsEchoConnectionsTheirBytesAndHowTheyEnded() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo()));
        new GlistenMetrics(server, Tags.of("name", "echo")).bindTo(registry);

        for (int i = 0; i < 3; i++) {
            try (Socket client = connect()) {
                roundTrip(client);
            }
        }

        eventually("3 connections closed by their peers", () -> closed("PeerClosed"), 3);
        assertThat(counter("connections.accepted")).isEqualTo(3);
        assertThat(gauge("connections.active")).isZero();
        // The server counts a connection's close a moment before it adds in its bytes.
        eventually("3 greetings received", () -> counter("data.received"), 3 * HELLO.length);
        eventually("3 greetings sent", () -> counter("data.sent"), 3 * HELLO.length);
        assertThat(closed("Stopped")).isZero();
        assertThat(rejected("per_address")).isZero();
        assertThat(rejected("proxy_header")).isZero();
    }

    @Test
    void theActiveGaugeFollowsOpenConnections() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo()));
        new GlistenMetrics(server).bindTo(registry);

        Socket first = connect();
        roundTrip(first);
        roundTrip(connect());
        eventually("two connections open", () -> gauge("connections.active"), 2);

        first.close();
        eventually("one connection open", () -> gauge("connections.active"), 1);
        eventually("the first closed by its peer", () -> closed("PeerClosed"), 1);
        assertThat(counter("connections.accepted")).isEqualTo(2);
        eventually("both round trips' bytes", () -> counter("data.received"), 2 * HELLO.length);
    }

    @Test
    void countsConnectionsRejectedPerAddress() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo()).maxConnectionsPerAddress(1));
        new GlistenMetrics(server).bindTo(registry);

        roundTrip(connect());
        Socket refused = connect();
        assertThat(refused.getInputStream().read()).as("the server closes the second connection").isEqualTo(-1);

        eventually("one rejected connection", () -> rejected("per_address"), 1);
        assertThat(rejected("proxy_header")).isZero();
        assertThat(counter("connections.accepted")).isEqualTo(2);
        assertThat(gauge("connections.active")).isEqualTo(1);
    }

    @Test
    void theMetersOutliveTheBinder() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo()));
        new GlistenMetrics(server).bindTo(registry);
        // Micrometer keeps a function counter's object weakly; nothing else holds the binder now.
        for (int i = 0; i < 3; i++) {
            System.gc();
        }

        roundTrip(connect());

        eventually("the bytes of the round trip", () -> counter("data.sent"), HELLO.length);
    }

    @Test
    void formatsAddressesAsHostColonPortWithIpv6Bracketed() {
        assertThat(GlistenMetrics.format(new InetSocketAddress("127.0.0.1", 3000))).isEqualTo("127.0.0.1:3000");
        assertThat(GlistenMetrics.format(new InetSocketAddress("::1", 3000))).isEqualTo("[0:0:0:0:0:0:0:1]:3000");
        assertThat(GlistenMetrics.format(new InetSocketAddress(3000))).isEqualTo("0.0.0.0:3000");
    }

    private static Handler<Void, Void> echo() {
        return (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                connection.send(packet.bytes());
            }
            return Next.continueWith(state);
        };
    }

    private static Server startEcho(Server.Builder<Void, Void> builder) throws IOException {
        return builder.bind("127.0.0.1").start(0);
    }

    private Socket connect() throws IOException {
        Socket client = new Socket("127.0.0.1", server.port());
        client.setSoTimeout((int) WAIT.toMillis());
        clients.add(client);
        return client;
    }

    /** Sends {@link #HELLO} and reads it back, so the server has accepted, read and sent. */
    private static void roundTrip(Socket client) throws IOException {
        client.getOutputStream().write(HELLO);
        InputStream in = client.getInputStream();
        assertThat(in.readNBytes(HELLO.length)).isEqualTo(HELLO);
    }

    private List<Meter> glistenMeters() {
        return registry.getMeters().stream()
                .filter(meter -> meter.getId().getName().startsWith("glisten."))
                .collect(Collectors.toList());
    }

    private double counter(String name) {
        return registry.get("glisten.tcp.server." + name).functionCounter().count();
    }

    private double rejected(String cause) {
        return registry.get("glisten.tcp.server.connections.rejected").tag("cause", cause).functionCounter().count();
    }

    @Test
    void countsConnectionsRejectedForTheirProxyHeader() throws IOException {
        server = startEcho(Server.builder(connection -> null, echo())
                .proxyProtocol(ProxyProtocol.required(ProxyProtocol.Version.ANY)));
        new GlistenMetrics(server).bindTo(registry);

        try (Socket client = connect()) {
            client.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(US_ASCII));
            assertThat(client.getInputStream().read()).as("the server closes a connection without a header")
                    .isEqualTo(-1);
        }

        eventually("one rejected connection", () -> rejected("proxy_header"), 1);
        assertThat(rejected("per_address")).isZero();
        assertThat(registry.get("glisten.tcp.server.connections.rejected").functionCounters()).hasSize(2);
    }

    @Test
    void countsMailboxOverflows() throws Exception {
        java.util.concurrent.CompletableFuture<dev.glisten.ConnectionHandle<String>> handle =
                new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        // The loop blocks on its first message, so the next two fill a mailbox of one and overflow it.
        server = Server.<Void, String>builder(connection -> {
            handle.complete(connection.handle());
            return null;
        }, (state, message, connection) -> {
            if (message instanceof Message.User<String>) {
                release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            return Next.continueWith(state);
        }).mailboxCapacity(1).mailboxOverflow(dev.glisten.MailboxOverflow.REFUSE).bind("127.0.0.1").start(0);
        new GlistenMetrics(server).bindTo(registry);
        try (Socket client = connect()) {
            dev.glisten.ConnectionHandle<String> to = handle.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            to.send("busy");
            eventually("the first message taken", () -> to.backlog(), 0);
            assertThat(to.send("queued")).isTrue();
            assertThat(to.send("refused")).isFalse();
            eventually("one overflow", () -> counter("mailbox.overflows"), 1);
        } finally {
            release.countDown();
        }
    }

    private double gauge(String name) {
        return registry.get("glisten.tcp.server." + name).gauge().value();
    }

    private double closed(String reason) {
        FunctionCounter counter = registry.get("glisten.tcp.server.connections.closed").tag("reason", reason)
                .functionCounter();
        return counter.count();
    }

    /** Polls until {@code value} reads {@code expected}: meters reuse a snapshot for a moment. */
    private static void eventually(String what, DoubleSupplier value, double expected) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        double seen;
        while ((seen = value.getAsDouble()) != expected) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + WAIT + " waiting for " + what + ": expected " + expected + ", last " + seen);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
