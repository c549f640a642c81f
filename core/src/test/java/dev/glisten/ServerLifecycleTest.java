package dev.glisten;

import static dev.glisten.TestSupport.await;
import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@link Server} handle: its port, its connection count, and stopping it from anywhere. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServerLifecycleTest {

    @Test
    void portZeroReportsThePortTheKernelChose() throws Exception {
        try (Server server = TestSupport.startEcho()) {
            assertThat(server.port()).isBetween(1, 65_535).isEqualTo(server.address().getPort());
            assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            try (TestClient client = TestClient.connect(new InetSocketAddress("127.0.0.1", server.port()))) {
                assertThat(client.roundTrip("found")).isEqualTo("found");
            }
        }
    }

    @Test
    void connectionCountFollowsOpenConnections() throws Exception {
        try (Server server = TestSupport.startEcho()) {
            assertThat(server.connectionCount()).isZero();
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    TestClient client = TestClient.connect(server);
                    clients.add(client);
                    assertThat(client.roundTrip("hi")).isEqualTo("hi");
                    assertThat(server.connectionCount()).isEqualTo(i);
                }
                clients.remove(0).close();
                eventually("two connections left", () -> server.connectionCount() == 2);
                clients.remove(0).close();
                eventually("one connection left", () -> server.connectionCount() == 1);
            } finally {
                for (TestClient client : clients) {
                    client.close();
                }
            }
            eventually("no connection left", () -> server.connectionCount() == 0);
        }
    }

    @Test
    void stopIsIdempotentAndEndsRunning() throws Exception {
        Server server = TestSupport.startEcho();
        assertThat(server.isRunning()).isTrue();
        server.stop();
        assertThat(server.isRunning()).isFalse();
        server.stop();
        server.close();
        assertThat(server.isRunning()).isFalse();
        server.awaitTermination();
    }

    @Test
    void concurrentStopsAllReturnAfterTheServerStopped() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose(onClose).bind("127.0.0.1").start(0);
        try (TestClient client = TestClient.connect(server)) {
            assertThat(client.roundTrip("hi")).isEqualTo("hi");
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> stoppers = new ArrayList<>();
            List<Integer> countsAfterStop = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 4; i++) {
                stoppers.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    server.stop();
                    // Whichever stop did the work, each returns only once it is done.
                    countsAfterStop.add(server.connectionCount());
                }));
            }
            go.countDown();
            for (Thread stopper : stoppers) {
                assertThat(stopper.join(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(countsAfterStop).containsExactly(0, 0, 0, 0);
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.ServerStopped());
            onClose.assertNoMoreCalls();
        }
    }

    @Test
    void awaitTerminationReturnsOnceStopped() throws Exception {
        Server server = TestSupport.startEcho();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            waiting.countDown();
            try {
                server.awaitTermination();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await(waiting, "the waiter to start");
        assertThat(waiter.join(Duration.ofMillis(200))).as("awaitTermination returned while running").isFalse();
        server.stop();
        assertThat(waiter.join(Duration.ofSeconds(10))).as("awaitTermination returned after stop").isTrue();
    }

    @Test
    void afterStopConnectingIsRefusedAndThePortIsFree() throws Exception {
        Server server = TestSupport.startEcho();
        int port = server.port();
        server.stop();
        try (Socket socket = new Socket()) {
            assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000))
                    .isInstanceOf(ConnectException.class);
        }
        try (Server again = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .bind("127.0.0.1").start(port);
             TestClient client = TestClient.connect(again)) {
            assertThat(client.roundTrip("same port")).isEqualTo("same port");
        }
    }

    @Test
    void stopFromAHandlerDoesNotDeadlock() throws Exception {
        assertStopFromInsideWorks(false);
    }

    @Test
    void stopFromAHandlerRunningAUserMessageDoesNotDeadlock() throws Exception {
        assertStopFromInsideWorks(true);
    }

    /**
     * One connection asks the loop to stop the server, from a packet or from a user message;
     * another connection is open meanwhile. Both end with ServerStopped.
     */
    private static void assertStopFromInsideWorks(boolean fromUserMessage) throws Exception {
        AtomicReference<Server> self = new AtomicReference<>();
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        BlockingQueue<Duration> stopReturnedAfter = new LinkedBlockingQueue<>();
        BlockingQueue<Boolean> runningAfterStop = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, String> onClose = new RecordingOnClose<>();
        Handler<Void, String> handler = (state, message, connection) -> {
            boolean stop = switch (message) {
                case Message.Packet<String> packet -> {
                    connection.send(packet.bytes());
                    yield packet.text(StandardCharsets.UTF_8).contains("stop");
                }
                case Message.User<String> user -> user.message().equals("stop");
                case Message.ShuttingDown<String> notice -> false;
                case Message.EndOfInput<String> end -> false;
            };
            if (stop) {
                long started = System.nanoTime();
                self.get().stop();
                stopReturnedAfter.add(Duration.ofNanos(System.nanoTime() - started));
                // At once, before the stop's own thread had a chance to run.
                runningAfterStop.add(self.get().isRunning());
            }
            return Next.continueWith(state);
        };
        Server server = Server.<Void, String>builder(connection -> {
                    handles.add(connection.handle());
                    return null;
                }, handler).onClose(onClose).bind("127.0.0.1").start(0);
        self.set(server);
        try (TestClient bystander = TestClient.connect(server); TestClient asker = TestClient.connect(server)) {
            assertThat(bystander.roundTrip("here")).isEqualTo("here");
            assertThat(asker.roundTrip("here too")).isEqualTo("here too");
            if (fromUserMessage) {
                ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
                assertThat(handle).isNotNull();
                handle.send("stop");
            } else {
                asker.write("stop");
            }
            Duration stopTook = stopReturnedAfter.poll(10, TimeUnit.SECONDS);
            assertThat(stopTook).as("stop() returned inside the handler").isNotNull().isLessThan(Duration.ofSeconds(2));
            assertThat(runningAfterStop.poll(10, TimeUnit.SECONDS)).as("isRunning() right after stop()").isFalse();
            TestSupport.assertTerminatesWithin(server, Duration.ofSeconds(3));
            bystander.assertClosedByServer();
            List<RecordingOnClose.Closed<Void, String>> closed = onClose.next(2);
            assertThat(closed).allSatisfy(each -> assertThat(each.reason()).isEqualTo(new CloseReason.ServerStopped()));
            onClose.assertNoMoreCalls();
            assertThat(server.connectionCount()).isZero();
            // stop() from outside, after all that, returns at once.
            server.stop();
        }
    }

    @Test
    void stopFromOnCloseDoesNotDeadlock() throws Exception {
        AtomicReference<Server> self = new AtomicReference<>();
        CountDownLatch stopReturned = new CountDownLatch(1);
        Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose((state, reason, connection) -> {
                    self.get().stop();
                    stopReturned.countDown();
                }).bind("127.0.0.1").start(0);
        self.set(server);
        try (TestClient client = TestClient.connect(server)) {
            assertThat(client.roundTrip("bye")).isEqualTo("bye");
        }
        await(stopReturned, "stop() to return inside onClose");
        TestSupport.assertTerminatesWithin(server, Duration.ofSeconds(3));
        assertThat(server.isRunning()).isFalse();
    }
}
