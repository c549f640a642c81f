package dev.glisten;

import static dev.glisten.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server#shutdown(Duration)}: the listener closes first (new clients are refused), every
 * loop gets {@link Message.ShuttingDown} and may finish the exchange in progress and say goodbye,
 * loops that ignore the notice are closed at the drain timeout, the {@link DrainReport} tells the
 * two apart, and {@link OnClose} runs for every connection.
 *
 * <p>The protocol under test is line based: {@code echo <text>} answers {@code <text>};
 * {@code slow <n>} waits for the test's go-ahead, then answers {@code ok <n>} and {@code n} bytes of
 * a pattern; {@code ignore} makes the connection ignore the shutdown notice. On the notice a
 * connection finishes the line it has begun, then answers {@code bye} and stops.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GracefulShutdownTest {

    private static final int SLOW_RESPONSE = 1024 * 1024;

    /** One connection's state: the line it has begun and what the notice told it. */
    private static final class Session {
        final StringBuilder line = new StringBuilder();
        boolean ignoreNotice;
        boolean closing;
    }

    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private final CountDownLatch slowRelease = new CountDownLatch(1);
    private final Map<SocketAddress, Duration> notices = new ConcurrentHashMap<>();
    private final RecordingOnClose<Session, Void> onClose = new RecordingOnClose<>();
    private final AtomicReference<Server> self = new AtomicReference<>();
    private final List<Server> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        slowRelease.countDown();
        servers.forEach(Server::stop);
    }

    private Server start() throws IOException {
        Server server = Server.<Session, Void>builder(connection -> new Session(), this::handle)
                .onClose(onClose).bind("127.0.0.1").start(0);
        servers.add(server);
        self.set(server);
        return server;
    }

    private Next<Session> handle(Session session, Message<Void> message, Connection<Void> connection) throws Exception {
        switch (message) {
            case Message.ShuttingDown<Void> notice -> {
                notices.put(connection.peerAddress(), notice.drainTimeout());
                if (session.ignoreNotice) {
                    return Next.continueWith(session);
                }
                session.closing = true;
            }
            case Message.Packet<Void> packet -> {
                for (char c : packet.text(StandardCharsets.US_ASCII).toCharArray()) {
                    if (c == '\n') {
                        answer(session, session.line.toString(), connection);
                        session.line.setLength(0);
                    } else {
                        session.line.append(c);
                    }
                }
            }
            case Message.User<Void> user -> throw new AssertionError("no user messages in this test");
            case Message.EndOfInput<Void> end -> throw new AssertionError("no half-close in this test");
        }
        if (session.closing && session.line.isEmpty()) {
            connection.send(ascii("bye\n"));
            return Next.stop();
        }
        return Next.continueWith(session);
    }

    private void answer(Session session, String line, Connection<Void> connection) throws Exception {
        if (line.startsWith("echo ")) {
            connection.send(ascii(line.substring(5) + "\n"));
        } else if (line.startsWith("slow ")) {
            slowStarted.countDown();
            await(slowRelease, "the test to let the slow request finish");
            int n = Integer.parseInt(line.substring(5));
            connection.send(ascii("ok " + n + "\n"));
            connection.send(pattern(n));
        } else if (line.equals("ignore")) {
            session.ignoreNotice = true;
            connection.send(ascii("ignoring\n"));
        } else if (line.equals("shut down")) {
            // From a handler: shutdown cannot wait for this very connection, so it returns at once.
            Server server = self.get();
            connection.send(ascii((server.shutdown(Duration.ofSeconds(5)) == null ? "started" : "returned a report") + "\n"));
        } else {
            throw new IllegalArgumentException("unknown request: " + line);
        }
    }

    /** Sends {@code request} and checks the answer, which must come before anything else. */
    private static void ask(TestClient client, String request, String answer) throws IOException {
        client.write(request);
        assertThat(client.readString(answer.getBytes(StandardCharsets.UTF_8).length)).isEqualTo(answer);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] pattern(int n) {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) (i * 7 + i / 251);
        }
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Everything the server sends until it closes the connection. */
    private static byte[] restOfStream(TestClient client) throws IOException {
        return client.socket().getInputStream().readAllBytes();
    }

    private static FutureTask<DrainReport> shutdownInBackground(Server server, Duration drainTimeout) {
        FutureTask<DrainReport> shutdown = new FutureTask<>(() -> server.shutdown(drainTimeout));
        Thread.ofPlatform().name("test-shutdown").start(shutdown);
        return shutdown;
    }

    private static void assertRefused(Server server) {
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(TestSupport.loopback4(server), 5_000);
            }
        }).as("a new client once shutdown began").isInstanceOf(ConnectException.class);
    }

    @Test
    void inFlightExchangesCompleteNewClientsAreRefusedAndStragglersAreForced() throws Exception {
        Duration drainTimeout = Duration.ofSeconds(2);
        Server server = start();
        TestClient slow = TestClient.connect(server);
        TestClient idle = TestClient.connect(server);
        TestClient midLine = TestClient.connect(server);
        TestClient straggler = TestClient.connect(server);
        TestClient leaver = TestClient.connect(server);
        SocketAddress slowPeer = slow.socket().getLocalSocketAddress();
        SocketAddress idlePeer = idle.socket().getLocalSocketAddress();
        SocketAddress midLinePeer = midLine.socket().getLocalSocketAddress();
        SocketAddress stragglerPeer = straggler.socket().getLocalSocketAddress();
        SocketAddress leaverPeer = leaver.socket().getLocalSocketAddress();
        try (slow; idle; midLine; straggler; leaver) {
            for (TestClient client : List.of(slow, idle, midLine, straggler, leaver)) {
                ask(client, "echo hi\n", "hi\n");
            }
            ask(straggler, "ignore\n", "ignoring\n");
            ask(leaver, "ignore\n", "ignoring\n");
            midLine.write("echo hal");
            TestSupport.eventually("the server has read the half line", () -> server.connections().stream()
                    .anyMatch(info -> info.peerAddress().equals(midLinePeer) && info.bytesReceived() == 16));
            slow.write("slow " + SLOW_RESPONSE + "\n");
            await(slowStarted, "the slow request to be in progress");

            long started = System.nanoTime();
            FutureTask<DrainReport> shutdown = shutdownInBackground(server, drainTimeout);

            // The idle connection says goodbye at once; the notice goes out after the listener closed.
            assertThat(restOfStream(idle)).asString(StandardCharsets.US_ASCII).isEqualTo("bye\n");
            assertThat(server.isRunning()).isFalse();
            assertRefused(server);

            // The line begun before the notice is finished and answered, then the goodbye.
            midLine.write("f\n");
            assertThat(restOfStream(midLine)).asString(StandardCharsets.US_ASCII).isEqualTo("half\nbye\n");

            // A loop that ignores the notice keeps working until the timeout.
            ask(straggler, "echo still here\n", "still here\n");
            leaver.close();

            // The request in progress when shutdown began completes, every byte of it.
            slowRelease.countDown();
            assertThat(restOfStream(slow)).isEqualTo(
                    concat(ascii("ok " + SLOW_RESPONSE + "\n"), pattern(SLOW_RESPONSE), ascii("bye\n")));

            assertThat(restOfStream(straggler)).as("the straggler is closed without a word").isEmpty();
            Duration stragglerClosedAfter = Duration.ofNanos(System.nanoTime() - started);
            assertThat(stragglerClosedAfter).isBetween(drainTimeout, drainTimeout.plusSeconds(2));

            DrainReport report = shutdown.get(10, TimeUnit.SECONDS);
            assertThat(report.graceful()).as("graceful in " + report).isEqualTo(4);
            assertThat(report.forced()).as("forced in " + report).isEqualTo(1);
            assertThat(report.took()).isBetween(drainTimeout, drainTimeout.plusSeconds(2));
        }
        Map<SocketAddress, CloseReason> reasons = onClose.next(5).stream()
                .collect(Collectors.toMap(each -> each.connection().peerAddress(), RecordingOnClose.Closed::reason));
        onClose.assertNoMoreCalls();
        assertThat(reasons).isEqualTo(Map.of(
                slowPeer, new CloseReason.Stopped(),
                idlePeer, new CloseReason.Stopped(),
                midLinePeer, new CloseReason.Stopped(),
                leaverPeer, new CloseReason.PeerClosed(),
                stragglerPeer, new CloseReason.ServerStopped()));
        assertThat(notices).as("the notice, with the drain timeout, reached every loop still running")
                .containsEntry(slowPeer, drainTimeout).containsEntry(idlePeer, drainTimeout)
                .containsEntry(midLinePeer, drainTimeout).containsEntry(stragglerPeer, drainTimeout);
        TestSupport.assertTerminatesWithin(server, Duration.ofSeconds(1));
        assertThat(server.connectionCount()).isZero();
        ServerStats stats = server.stats();
        assertThat(stats.closed(CloseReason.Stopped.class)).isEqualTo(3);
        assertThat(stats.closed(CloseReason.PeerClosed.class)).isEqualTo(1);
        assertThat(stats.closed(CloseReason.ServerStopped.class)).isEqualTo(1);
        assertThat(stats.acceptedConnections()).isEqualTo(5);
    }

    @Test
    void aRequestWaitingInTheSocketIsAnsweredBeforeTheNotice() throws Exception {
        Server server = start();
        try (TestClient client = TestClient.connect(server)) {
            client.write("slow 10\n");
            await(slowStarted, "the slow request to be in progress");
            // Sent while the handler is busy: it waits in the socket, unread, when shutdown begins.
            client.write("echo queued\n");
            SocketAddress peer = client.socket().getLocalSocketAddress();
            TestSupport.eventually("the second request reached the server's socket",
                    () -> server.connections().stream().anyMatch(info -> info.peerAddress().equals(peer)));
            Thread.sleep(100);
            FutureTask<DrainReport> shutdown = shutdownInBackground(server, Duration.ofSeconds(5));
            TestSupport.eventually("shutdown began", () -> !server.isRunning());
            slowRelease.countDown();
            assertThat(restOfStream(client)).isEqualTo(
                    concat(ascii("ok 10\n"), pattern(10), ascii("queued\nbye\n")));
            assertThat(shutdown.get(10, TimeUnit.SECONDS).graceful()).isEqualTo(1);
        }
    }

    @Test
    void shutdownReturnsAsSoonAsTheLastConnectionSaysGoodbye() throws Exception {
        Server server = start();
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                TestClient client = TestClient.connect(server);
                clients.add(client);
                ask(client, "echo " + i + "\n", i + "\n");
            }
            DrainReport report = server.shutdown(Duration.ofSeconds(20));
            assertThat(report.graceful()).isEqualTo(3);
            assertThat(report.forced()).isZero();
            assertThat(report.took()).isLessThan(Duration.ofSeconds(5));
            for (TestClient client : clients) {
                assertThat(restOfStream(client)).asString(StandardCharsets.US_ASCII).isEqualTo("bye\n");
            }
        } finally {
            for (TestClient client : clients) {
                client.close();
            }
        }
        assertThat(onClose.next(3)).allSatisfy(each -> assertThat(each.reason()).isEqualTo(new CloseReason.Stopped()));
        onClose.assertNoMoreCalls();
        assertThat(server.isRunning()).isFalse();
        assertRefused(server);
    }

    @Test
    void shutdownWithNoConnectionsReportsNothingAndRefusesNewClients() throws Exception {
        Server server = start();
        assertThatThrownBy(() -> server.shutdown(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drainTimeout");
        assertThat(server.isRunning()).isTrue();
        DrainReport report = server.shutdown(Duration.ofSeconds(20));
        assertThat(report.graceful()).isZero();
        assertThat(report.forced()).isZero();
        assertThat(report.took()).isLessThan(Duration.ofSeconds(5));
        assertRefused(server);
        assertThat(server.shutdown(Duration.ofSeconds(1))).as("a second shutdown has nothing to report").isNull();
        assertThatThrownBy(server::suspend).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopCutsADrainShort() throws Exception {
        Duration drainTimeout = Duration.ofSeconds(30);
        Server server = start();
        try (TestClient straggler = TestClient.connect(server)) {
            ask(straggler, "ignore\n", "ignoring\n");
            FutureTask<DrainReport> shutdown = shutdownInBackground(server, drainTimeout);
            TestSupport.eventually("the notice reached the loop", () -> !notices.isEmpty());
            long stopping = System.nanoTime();
            server.stop();
            DrainReport report = shutdown.get(10, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(5));
            assertThat(report.forced()).isEqualTo(1);
            assertThat(report.graceful()).isZero();
            assertThat(restOfStream(straggler)).isEmpty();
        }
        assertThat(onClose.next().reason()).isEqualTo(new CloseReason.ServerStopped());
        onClose.assertNoMoreCalls();
    }

    @Test
    void aHandlerCanStartAShutdownWhichThenDrainsItsOwnConnection() throws Exception {
        Server server = start();
        try (TestClient client = TestClient.connect(server)) {
            client.write("shut down\n");
            assertThat(restOfStream(client)).asString(StandardCharsets.US_ASCII).isEqualTo("started\nbye\n");
        }
        TestSupport.assertTerminatesWithin(server, Duration.ofSeconds(5));
        assertThat(onClose.next().reason()).isEqualTo(new CloseReason.Stopped());
        onClose.assertNoMoreCalls();
    }
}
