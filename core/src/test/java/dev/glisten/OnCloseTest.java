package dev.glisten;

import static dev.glisten.TestSupport.await;
import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.RecordingOnClose.Closed;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link OnClose} runs exactly once, with the right {@link CloseReason} and the final state, for
 * every way a connection can end.
 *
 * <p>The loop under test echoes and counts the bytes it has seen in its state, until a packet holds
 * {@code '!'}: then it does what the test asks. Every test sends "hello" first, so the final state
 * is 5 unless the last call returned a new one.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OnCloseTest {

    private static final String HELLO = "hello";

    /** What the loop does on {@code '!'}. */
    @FunctionalInterface
    interface Trigger {
        Next<Integer> fire(int state, Connection<String> connection) throws Exception;
    }

    private final RecordingOnClose<Integer, String> onClose = new RecordingOnClose<>();
    private final AtomicInteger handlerCalls = new AtomicInteger();
    private final List<Server> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(Server::stop);
    }

    private Server start(Trigger trigger) throws IOException {
        return start(Server.builder(connection -> 0, echoUntil(trigger)));
    }

    private Server start(Server.Builder<Integer, String> builder) throws IOException {
        Server server = builder.onClose(onClose).bind("127.0.0.1").start(0);
        servers.add(server);
        return server;
    }

    private Handler<Integer, String> echoUntil(Trigger trigger) {
        return (state, message, connection) -> {
            handlerCalls.incrementAndGet();
            byte[] bytes = ((Message.Packet<String>) message).bytes();
            if (new String(bytes, StandardCharsets.UTF_8).contains("!")) {
                return trigger.fire(state, connection);
            }
            connection.send(bytes);
            return Next.continueWith(state + bytes.length);
        };
    }

    /** Connects and checks an echo, so the connection is established and its state is 5. */
    private static TestClient connectAndGreet(Server server) throws IOException {
        TestClient client = TestClient.connect(server);
        assertThat(client.roundTrip(HELLO)).isEqualTo(HELLO);
        return client;
    }

    /** The single onClose call expected, after which none follows and the server has no connections. */
    private Closed<Integer, String> onlyClose(Server server) throws InterruptedException {
        Closed<Integer, String> closed = onClose.next();
        onClose.assertNoMoreCalls();
        eventually("the server counts no connection", () -> server.connectionCount() == 0);
        return closed;
    }

    @Test
    void peerClosingItsSideIsPeerClosed() throws Exception {
        Server server = start((state, connection) -> Next.continueWith(state));
        try (TestClient client = connectAndGreet(server)) {
            client.socket().shutdownOutput();
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isEqualTo(new CloseReason.PeerClosed());
        assertThat(closed.reason().isNormal()).isTrue();
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void nextStopIsStopped() throws Exception {
        Server server = start((state, connection) -> Next.stop());
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isEqualTo(new CloseReason.Stopped());
        assertThat(closed.reason().isNormal()).isTrue();
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void nextStopAbnormalIsStoppedAbnormallyWithTheReason() throws Exception {
        Server server = start((state, connection) -> Next.stopAbnormal("the client asked for it"));
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isEqualTo(new CloseReason.StoppedAbnormally("the client asked for it"));
        assertThat(closed.reason().isNormal()).isFalse();
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void handlerExceptionIsHandlerFailedWithThatException() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom (thrown on purpose by the test)");
        Server server = start((state, connection) -> {
            throw boom;
        });
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isInstanceOf(CloseReason.HandlerFailed.class);
        assertThat(((CloseReason.HandlerFailed) closed.reason()).error()).isSameAs(boom);
        assertThat(closed.reason().isNormal()).isFalse();
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void handlerReturningNullIsHandlerFailed() throws Exception {
        Server server = start((state, connection) -> null);
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isInstanceOf(CloseReason.HandlerFailed.class);
        assertThat(((CloseReason.HandlerFailed) closed.reason()).error()).isInstanceOf(NullPointerException.class);
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void onInitExceptionIsInitFailedWithNullStateAndNoHandlerCall() throws Exception {
        IllegalStateException boom = new IllegalStateException("init boom (thrown on purpose by the test)");
        Server server = start(Server.<Integer, String>builder(connection -> {
            throw boom;
        }, echoUntil((state, connection) -> Next.continueWith(state))));
        try (TestClient client = TestClient.connect(server)) {
            client.write(HELLO);
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isInstanceOf(CloseReason.InitFailed.class);
        assertThat(((CloseReason.InitFailed) closed.reason()).error()).isSameAs(boom);
        assertThat(closed.state()).isNull();
        assertThat(handlerCalls).as("the loop never runs without a state").hasValue(0);
    }

    @Test
    void aGreetingFromOnInitToAPeerThatResetIsSendFailedAndNoError() throws Exception {
        // Found by the reliability suite: clients that reset at once made the chat, which greets
        // in onInit, log an error with a stack trace for each of them.
        CountDownLatch clientReset = new CountDownLatch(1);
        AtomicReference<IOException> thrown = new AtomicReference<>();
        Server server = start(Server.<Integer, String>builder(connection -> {
            sendAfterTheResetUntilItFails(clientReset, thrown, connection);
            return 0;
        }, echoUntil((state, connection) -> Next.continueWith(state))));
        try (RecordingLog log = RecordingLog.of("dev.glisten")) {
            try (TestClient client = TestClient.connect(server)) {
                client.reset();
            }
            clientReset.countDown();
            Closed<Integer, String> closed = onlyClose(server);

            assertThat(closed.reason()).isInstanceOf(CloseReason.SendFailed.class);
            assertThat(((CloseReason.SendFailed) closed.reason()).error()).isSameAs(thrown.get()).isNotNull();
            assertThat(closed.state()).as("onInit did not return").isNull();
            assertThat(handlerCalls).hasValue(0);
            assertThat(log.entries()).as("a peer's reset is not the application's error")
                    .noneMatch(entry -> entry.level().equals("SEVERE") || entry.level().equals("WARNING"));
        }
    }

    @Test
    void resetWhileTheServerReadsIsSocketError() throws Exception {
        Server server = start((state, connection) -> Next.continueWith(state));
        try (TestClient client = connectAndGreet(server)) {
            client.reset();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isInstanceOf(CloseReason.SocketError.class);
        assertThat(((CloseReason.SocketError) closed.reason()).error()).isInstanceOf(IOException.class);
        assertThat(closed.reason().isNormal()).isFalse();
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void sendingToAPeerThatResetIsSendFailed() throws Exception {
        CountDownLatch clientReset = new CountDownLatch(1);
        AtomicReference<IOException> thrown = new AtomicReference<>();
        Server server = start((state, connection) -> {
            sendAfterTheResetUntilItFails(clientReset, thrown, connection);
            return Next.stopAbnormal("the send never failed");
        });
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.reset();
        }
        clientReset.countDown();
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isInstanceOf(CloseReason.SendFailed.class);
        assertThat(((CloseReason.SendFailed) closed.reason()).error()).isSameAs(thrown.get()).isNotNull();
        assertThat(closed.state()).isEqualTo(5);
    }

    @Test
    void aFailedSendEndsTheConnectionEvenWhenTheLoopCatchesIt() throws Exception {
        CountDownLatch clientReset = new CountDownLatch(1);
        AtomicBoolean failed = new AtomicBoolean();
        Server server = start((state, connection) -> {
            await(clientReset, "the client to reset");
            try {
                sendUntilItFails(connection);
            } catch (IOException swallowed) {
                failed.set(true);
            }
            return Next.continueWith(state + 1);
        });
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.reset();
        }
        clientReset.countDown();
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(failed).isTrue();
        assertThat(closed.reason()).isInstanceOf(CloseReason.SendFailed.class);
        assertThat(closed.state()).as("the state the last call returned").isEqualTo(6);
    }

    /** Waits for the client's reset, then sends until a send fails, keeping what it threw in {@code thrown}. */
    private static void sendAfterTheResetUntilItFails(CountDownLatch clientReset, AtomicReference<IOException> thrown,
            Connection<String> connection) throws IOException, InterruptedException {
        await(clientReset, "the client to reset");
        try {
            sendUntilItFails(connection);
        } catch (IOException e) {
            thrown.set(e);
            throw e;
        }
    }

    /** Sends until a send fails; the reset reaches the server at once, so a few sends suffice. */
    private static void sendUntilItFails(Connection<String> connection) throws IOException {
        byte[] chunk = new byte[1024];
        for (int i = 0; i < 1000; i++) {
            connection.send(chunk);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    void aPeerThatStopsReadingIsSendTimedOut() throws Exception {
        Duration sendTimeout = Duration.ofMillis(300);
        AtomicReference<IOException> thrown = new AtomicReference<>();
        AtomicLong blockedFor = new AtomicLong();
        Server server = start(Server.<Integer, String>builder(connection -> 0, echoUntil((state, connection) -> {
            byte[] chunk = new byte[64 * 1024];
            long started = System.nanoTime();
            try {
                // At most 64 MiB: far more than the kernel buffers between us and a peer that never reads.
                for (int i = 0; i < 1024; i++) {
                    connection.send(chunk);
                }
            } catch (IOException e) {
                blockedFor.set(System.nanoTime() - started);
                thrown.set(e);
                throw e;
            }
            return Next.stopAbnormal("64 MiB went out to a peer that does not read");
        })).sendTimeout(sendTimeout).socketOptions(options -> options.sendBufferSize(4096)));
        try (TestClient client = TestClient.connect(TestSupport.loopback4(server),
                socket -> setReceiveBuffer(socket, 4096))) {
            assertThat(client.roundTrip(HELLO)).isEqualTo(HELLO);
            client.write("!");
            // ...and never read again.
            Closed<Integer, String> closed = onlyClose(server);
            assertThat(closed.reason()).isEqualTo(new CloseReason.SendTimedOut(sendTimeout));
            assertThat(closed.reason().isNormal()).isFalse();
            assertThat(closed.state()).isEqualTo(5);
        }
        assertThat(thrown.get()).isInstanceOf(SocketTimeoutException.class);
        assertThat(Duration.ofNanos(blockedFor.get())).isGreaterThanOrEqualTo(sendTimeout)
                .isLessThan(Duration.ofSeconds(5));
    }

    private static void setReceiveBuffer(java.net.Socket socket, int bytes) {
        try {
            socket.setReceiveBufferSize(bytes);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void connectionCloseFromTheLoopIsClosedLocallyAfterTheCallReturns() throws Exception {
        AtomicBoolean sendAfterCloseFailed = new AtomicBoolean();
        AtomicBoolean onCloseRanDuringTheCall = new AtomicBoolean();
        Server server = start((state, connection) -> {
            connection.close();
            connection.close();
            try {
                connection.send(new byte[] {'?'});
            } catch (IOException expected) {
                sendAfterCloseFailed.set(true);
            }
            onCloseRanDuringTheCall.set(onClose.connections() > 0);
            return Next.continueWith(state + 1);
        });
        try (TestClient client = connectAndGreet(server)) {
            client.write("!");
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isEqualTo(new CloseReason.ClosedLocally());
        assertThat(closed.reason().isNormal()).isTrue();
        assertThat(closed.state()).as("the state the closing call returned").isEqualTo(6);
        assertThat(sendAfterCloseFailed).isTrue();
        assertThat(onCloseRanDuringTheCall).isFalse();
    }

    @Test
    void handleCloseFromAnotherThreadIsClosedLocally() throws Exception {
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        Server server = start(Server.<Integer, String>builder(connection -> {
            handles.add(connection.handle());
            return 0;
        }, echoUntil((state, connection) -> Next.continueWith(state))));
        try (TestClient client = connectAndGreet(server)) {
            ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
            assertThat(handle).isNotNull();
            assertThat(handle.isOpen()).isTrue();
            // The connection is idle: its thread is blocked reading.
            handle.close();
            client.assertClosedByServer();
            Closed<Integer, String> closed = onlyClose(server);
            assertThat(closed.reason()).isEqualTo(new CloseReason.ClosedLocally());
            assertThat(closed.state()).isEqualTo(5);
            assertThat(closed.connection().handle()).isSameAs(handle);
            assertThat(handle.isOpen()).isFalse();
            handle.close();
        }
        onClose.assertNoMoreCalls();
    }

    @Test
    void serverStopClosesEveryOpenConnectionOnceAsServerStopped() throws Exception {
        Server server = start((state, connection) -> Next.continueWith(state));
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                clients.add(connectAndGreet(server));
            }
            assertThat(server.connectionCount()).isEqualTo(5);
            server.stop();
            assertThat(server.connectionCount()).as("stop returns after every onClose").isZero();
            List<Closed<Integer, String>> closed = onClose.next(5);
            onClose.assertNoMoreCalls();
            Set<ConnectionHandle<String>> distinct = new HashSet<>();
            for (Closed<Integer, String> each : closed) {
                assertThat(each.reason()).isEqualTo(new CloseReason.ServerStopped());
                assertThat(each.reason().isNormal()).isTrue();
                assertThat(each.state()).isEqualTo(5);
                distinct.add(each.connection().handle());
            }
            assertThat(distinct).hasSize(5);
            for (TestClient client : clients) {
                client.assertClosedByServer();
            }
        } finally {
            for (TestClient client : clients) {
                client.close();
            }
        }
    }

    @Test
    void anExceptionFromOnCloseIsContained() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Server server = Server.<Integer, String>builder(connection -> 0,
                        echoUntil((state, connection) -> Next.stop()))
                .onClose((state, reason, connection) -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("onClose boom (thrown on purpose by the test)");
                })
                .bind("127.0.0.1").start(0);
        servers.add(server);
        for (int i = 0; i < 3; i++) {
            try (TestClient client = connectAndGreet(server)) {
                client.write("!");
                client.assertClosedByServer();
            }
        }
        eventually("onClose ran for all three", () -> calls.get() == 3);
        eventually("the server counts no connection", () -> server.connectionCount() == 0);
        try (TestClient client = connectAndGreet(server)) {
            assertThat(client.roundTrip("still serving")).isEqualTo("still serving");
        }
    }

    @Test
    void connectionCloseFromOnInitIsClosedLocallyWithTheInitialStateAndNoLoopCall() throws Exception {
        Server server = start(Server.<Integer, String>builder(connection -> {
            // A message queued before the close must not reach the loop of a closed connection.
            connection.handle().send("queued before the close");
            connection.close();
            return 42;
        }, (state, message, connection) -> {
            handlerCalls.incrementAndGet();
            return Next.continueWith(state + 1);
        }));
        try (TestClient client = TestClient.connect(server)) {
            client.assertClosedByServer();
        }
        Closed<Integer, String> closed = onlyClose(server);
        assertThat(closed.reason()).isEqualTo(new CloseReason.ClosedLocally());
        assertThat(closed.state()).isEqualTo(42);
        assertThat(handlerCalls).as("loop calls after close()").hasValue(0);
    }

    /**
     * A user message wakes an idle connection whose thread was waiting for bytes, and the loop
     * ends the connection from it; the end is reported once.
     */
    @Test
    void anEndDecidedOnAUserMessageIsReportedOnce() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom (thrown on purpose by the test)");
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        Server server = start(Server.<Integer, String>builder(connection -> {
            handles.add(connection.handle());
            return 0;
        }, (state, message, connection) -> switch (message) {
            case Message.Packet<String> packet -> {
                connection.send(packet.bytes());
                yield Next.continueWith(state + packet.bytes().length);
            }
            case Message.User<String> user -> switch (user.message()) {
                case "stop" -> Next.stop();
                case "abort" -> Next.stopAbnormal("aborted");
                case "close" -> {
                    connection.close();
                    yield Next.continueWith(state + 1);
                }
                default -> throw boom;
            };
            case Message.ShuttingDown<String> notice -> Next.continueWith(state);
            case Message.EndOfInput<String> end -> Next.continueWith(state);
        }));
        List<String> commands = List.of("stop", "abort", "close", "throw");
        List<CloseReason> expected = List.of(new CloseReason.Stopped(), new CloseReason.StoppedAbnormally("aborted"),
                new CloseReason.ClosedLocally(), new CloseReason.HandlerFailed(boom));
        List<Integer> expectedStates = List.of(5, 5, 6, 5);
        for (int i = 0; i < commands.size(); i++) {
            try (TestClient client = connectAndGreet(server)) {
                ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
                assertThat(handle).isNotNull();
                assertThat(handle.send(commands.get(i))).isTrue();
                client.assertClosedByServer();
                Closed<Integer, String> closed = onClose.next();
                onClose.assertNoMoreCalls();
                assertThat(closed.reason()).as(commands.get(i)).isEqualTo(expected.get(i));
                assertThat(closed.state()).as(commands.get(i)).isEqualTo(expectedStates.get(i));
            }
        }
    }
}
