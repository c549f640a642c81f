package dev.glisten;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outbound connections through the public API, against real servers on loopback. */
class ClientTest {

    private static final Duration WAIT = TestSupport.WAIT;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final List<CloseReason> closes = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        toClose.add(closeable);
        return closeable;
    }

    /** A line client: lines from the server are recorded, user messages are written as lines. */
    private Client.Builder<Void, String> lineClient() {
        return Client.<Void, String>builder(connection -> null, (state, message, connection) -> {
            switch (message) {
                case Message.Packet<String> line -> received.add(line.text(UTF_8).strip());
                case Message.User<String> say -> connection.sendFrame(say.message().getBytes(UTF_8));
                case Message.EndOfInput<String> end -> received.add("<end>");
                case Message.ShuttingDown<String> notice -> { }
            }
            return Next.continueWith(state);
        }).framing(Framing.lines()).onClose((state, reason, connection) -> closes.add(reason));
    }

    private Server startEcho() throws IOException {
        return closing(TestSupport.startEcho());
    }

    @Test
    void sendsAndReceivesThroughItsOwnLoopAndClosesOnce() throws Exception {
        Server server = startEcho();
        Client<String> client = lineClient().connect("127.0.0.1", server.port());
        assertThat(client.send("hello")).isTrue();
        assertThat(client.send("world")).isTrue();
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("world");
        assertThat(client.peerAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", server.port()));
        assertThat(((InetSocketAddress) client.localAddress()).getPort()).isPositive();
        assertThat(client.tls()).isEmpty();
        assertThat(client.closeReason()).isEmpty();

        client.close();
        assertThat(client.awaitClose(WAIT)).contains(new CloseReason.ClosedLocally());
        assertThat(client.closeReason()).contains(new CloseReason.ClosedLocally());
        assertThat(client.closed().toCompletableFuture().get(1, TimeUnit.SECONDS))
                .isEqualTo(new CloseReason.ClosedLocally());
        assertThat(client.isOpen()).isFalse();
        assertThat(client.send("late")).isFalse();
        assertThat(closes).containsExactly(new CloseReason.ClosedLocally());
    }

    @Test
    void anotherThreadSendsBytesThroughTheConnection() throws Exception {
        Server server = startEcho();
        Client<String> client = closing(lineClient().connect(new InetSocketAddress("127.0.0.1", server.port())));
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                client.connection().send("from another thread\n".getBytes(UTF_8));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        sender.join(WAIT);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("from another thread");
    }

    @Test
    void theServerClosingEndsTheClientWithPeerClosed() throws Exception {
        Server server = closing(Server.<Void, Void>builder(connection -> null,
                (state, message, connection) -> Next.stop()).bind("127.0.0.1").start(0));
        Client<String> client = lineClient().connect("127.0.0.1", server.port());
        client.send("bye");
        assertThat(client.awaitClose(WAIT)).contains(new CloseReason.PeerClosed());
    }

    @Test
    void aRefusedConnectNamesTheAddressAndLeavesNoDescriptorBehind() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        // The runtime's watchers are made at the first connect and kept; make them first.
        Server server = startEcho();
        Client<String> first = lineClient().connect("127.0.0.1", server.port());
        first.close();
        first.awaitClose(WAIT);
        // The server's side of that connection too: its acceptor may take it from the backlog only
        // now, and a descriptor it opens after the count below would read as one the loop leaked.
        TestSupport.eventually("the server ended its side", () -> server.stats().closedTotal() == 1
                && server.stats().activeConnections() == 0);
        long descriptors = openDescriptors();
        for (int i = 0; i < 50; i++) {
            assertThatThrownBy(() -> lineClient().connect("127.0.0.1", port))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageContaining("cannot connect to 127.0.0.1:" + port);
        }
        // Each refused connect that kept its socket would leave one: 50 above the count.
        TestSupport.eventually("no descriptor left by the refused connects", () -> {
            try {
                return openDescriptors() <= descriptors;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        TestSupport.eventually("no client connection thread left", () -> clientConnectionThreads().isEmpty());
    }

    @Test
    void anUnknownHostIsNamed() {
        assertThatThrownBy(() -> lineClient().connect("no-such-host.invalid", 80))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("no-such-host.invalid:80");
    }

    @Test
    void aConnectThatGetsNoAnswerTimesOut() throws Exception {
        // A listener that never accepts, whose backlog is full: Linux then drops further SYNs.
        ServerSocketChannel listener = closing(ServerSocketChannel.open(StandardProtocolFamily.INET));
        listener.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        InetSocketAddress address = (InetSocketAddress) listener.getLocalAddress();
        SocketTimeoutException timedOut = null;
        // The first connects fill the backlog (and are kept open, as clients); a later one times out.
        for (int i = 0; i < 8 && timedOut == null; i++) {
            try {
                closing(lineClient().connectTimeout(Duration.ofMillis(300)).connect(address));
            } catch (SocketTimeoutException e) {
                timedOut = e;
            }
        }
        assertThat(timedOut).as("a connect to a full backlog times out").isNotNull();
        assertThat(timedOut).hasMessageContaining("127.0.0.1:" + address.getPort()).hasMessageContaining("PT0.3S");
    }

    @Test
    void badOptionsFailAtOnceNamingTheOption() {
        Client.Builder<Void, String> builder = lineClient();
        assertThatThrownBy(() -> builder.connectTimeout(Duration.ZERO)).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> builder.mailboxCapacity(0)).hasMessageContaining("mailboxCapacity");
        assertThatThrownBy(() -> builder.connect("127.0.0.1", 0)).hasMessageContaining("port");
        assertThatThrownBy(() -> builder.proxyHeader(ProxyHeader.local(), ProxyProtocol.Version.ANY))
                .hasMessageContaining("ANY");
    }

    @Test
    void theIdleTimeoutAndTheMailboxBoundApplyAsOnAServer() throws Exception {
        Server server = startEcho();
        Client<String> idle = lineClient().idleTimeout(Duration.ofMillis(200)).connect("127.0.0.1", server.port());
        assertThat(idle.awaitClose(WAIT)).contains(new CloseReason.IdleTimedOut(Duration.ofMillis(200)));

        // A handler that blocks on its first message cannot take the next ones: the bound refuses them.
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Client<String> busy = closing(Client.<Void, String>builder(connection -> null, (state, message, connection) -> {
            release.await(10, TimeUnit.SECONDS);
            return Next.continueWith(state);
        }).mailboxCapacity(2).mailboxOverflow(MailboxOverflow.REFUSE).connect("127.0.0.1", server.port()));
        assertThat(busy.send("first")).isTrue();
        TestSupport.eventually("the handler took the first", () -> busy.backlog() == 0);
        assertThat(busy.send("a")).isTrue();
        assertThat(busy.send("b")).isTrue();
        assertThat(busy.send("over")).isFalse();
        assertThat(busy.backlog()).isEqualTo(2);
        release.countDown();
        assertThat(busy.isOpen()).isTrue();
    }

    @Test
    void connectsToAUnixDomainSocket(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("echo.sock");
        closing(Server.<Void, Void>builder(connection -> null, TestSupport.echo()).start(file));
        Client<String> client = closing(lineClient().connect(file));
        client.send("over a socket file");
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("over a socket file");
        assertThatThrownBy(() -> lineClient().connect(dir.resolve("nobody.sock")))
                .isInstanceOf(IOException.class).hasMessageContaining("unix:" + dir.resolve("nobody.sock"));
    }

    @Test
    void aProxyHeaderGoesFirstAndTheServerSeesTheClientItNames() throws Exception {
        BlockingQueue<Object> peers = new LinkedBlockingQueue<>();
        Server server = closing(Server.<Void, Void>builder(connection -> {
            peers.add(connection.peerAddress());
            return null;
        }, TestSupport.echo()).proxyProtocol(ProxyProtocol.required(ProxyProtocol.Version.ANY))
                .bind("127.0.0.1").start(0));
        InetSocketAddress claimed = new InetSocketAddress("192.0.2.7", 40_000);
        for (ProxyProtocol.Version version : List.of(ProxyProtocol.Version.V1, ProxyProtocol.Version.V2)) {
            Client<String> client = closing(lineClient()
                    .proxyHeader(ProxyHeader.proxied(claimed, new InetSocketAddress("198.51.100.1", 443)), version)
                    .connect("127.0.0.1", server.port()));
            client.send("after the header " + version);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("after the header " + version);
            assertThat(peers.poll(10, TimeUnit.SECONDS)).isEqualTo(claimed);
        }
    }

    @Test
    void halfCloseBothWaysAnswersARequestEndedByEndOfInput() throws Exception {
        // The server reads a request to its end, then answers and finishes its own side.
        List<CloseReason> serverCloses = new CopyOnWriteArrayList<>();
        Server server = closing(Server.<StringBuilder, Void>builder(connection -> new StringBuilder(),
                (request, message, connection) -> {
                    if (message instanceof Message.Packet<Void> packet) {
                        request.append(packet.text(UTF_8));
                    } else if (message instanceof Message.EndOfInput<Void>) {
                        connection.send(("got " + request.length() + " bytes\n").getBytes(UTF_8));
                        connection.shutdownOutput();
                        assertThatThrownBy(() -> connection.send(new byte[1])).isInstanceOf(SocketException.class);
                    }
                    return Next.continueWith(request);
                }).allowHalfClose(true).onClose((state, reason, connection) -> serverCloses.add(reason))
                .bind("127.0.0.1").start(0));
        Client<String> client = lineClient().allowHalfClose(true).connect("127.0.0.1", server.port());
        client.connection().send("a request without an end marker".getBytes(UTF_8));
        client.connection().shutdownOutput();
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("got 31 bytes");
        // The client finished first, so the server's end of output completes its close (with no
        // EndOfInput: there is nothing left to answer with); the server's handler finished last.
        assertThat(client.awaitClose(WAIT)).contains(new CloseReason.PeerClosed());
        assertThat(received).isEmpty();
        TestSupport.eventually("the server's connection ended", () -> serverCloses.size() == 1);
        assertThat(serverCloses).containsExactly(new CloseReason.Stopped());
    }

    @Test
    void halfCloseAnswersAPlainSocketThatShutItsOutput() throws Exception {
        Server server = closing(Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.EndOfInput<Void>) {
                connection.send("answer after EOF\n".getBytes(UTF_8));
                return Next.stop();
            }
            return Next.continueWith(state);
        }).allowHalfClose(true).bind("127.0.0.1").start(0));
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write("request".getBytes(UTF_8));
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readAllBytes(), UTF_8)).isEqualTo("answer after EOF\n");
        }
    }

    @Test
    void withoutHalfCloseThePeersEndOfInputEndsTheConnectionAsBefore() throws Exception {
        List<CloseReason> serverCloses = new CopyOnWriteArrayList<>();
        Server server = closing(Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose((state, reason, connection) -> serverCloses.add(reason)).bind("127.0.0.1").start(0));
        Client<String> client = lineClient().connect("127.0.0.1", server.port());
        client.connection().shutdownOutput();
        TestSupport.eventually("the server's connection ended", () -> serverCloses.size() == 1);
        assertThat(serverCloses).containsExactly(new CloseReason.PeerClosed());
        assertThat(client.awaitClose(WAIT)).contains(new CloseReason.PeerClosed());
    }

    private static List<String> clientConnectionThreads() {
        try {
            return TestSupport.glistenThreadNames().stream()
                    .filter(name -> name.startsWith("glisten-client-connection-")).toList();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static long openDescriptors() throws IOException {
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            return list.count();
        }
    }
}
