package dev.glisten;

import static dev.glisten.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Server#stop()} ends every connection once, frees every thread and descriptor, and is not
 * held up for long by a loop that will not return.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StopTest {

    /**
     * Starts a server, opens idle connections and one whose loop is blocked sending to a client that
     * does not read, stops the server, then closes the clients. Returns the server's port.
     */
    private static int runAndStop() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        CountDownLatch sending = new CountDownLatch(1);
        Handler<Void, Void> handler = (state, message, connection) -> {
            byte[] bytes = ((Message.Packet<Void>) message).bytes();
            if (bytes[0] == 'F') {
                sending.countDown();
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 1024; i++) {
                    connection.send(chunk);
                }
            }
            connection.send(bytes);
            return Next.continueWith(state);
        };
        Server server = Server.<Void, Void>builder(connection -> null, handler)
                .onClose(onClose).bind("127.0.0.1").start(0);
        int port = server.port();
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                TestClient client = TestClient.connect(server);
                clients.add(client);
                assertThat(client.roundTrip("idle " + i)).isEqualTo("idle " + i);
            }
            TestClient flooded = TestClient.connect(server);
            clients.add(flooded);
            flooded.write("Flood me");
            await(sending, "the loop to start flooding");
            // The dump must show virtual threads, or the check after stop would prove nothing.
            List<String> running = TestSupport.glistenThreadNames();
            assertThat(running).filteredOn(name -> name.startsWith("glisten-" + port + "-connection-")).hasSize(6);
            assertThat(running).filteredOn(name -> name.startsWith("glisten-" + port + "-acceptor-")).hasSize(10);
            assertThat(running).filteredOn(name -> name.startsWith("glisten-" + port + "-watcher-"))
                    .hasSize(Runtime.getRuntime().availableProcessors());
            server.stop();
            assertThat(onClose.next(6)).allSatisfy(each ->
                    assertThat(each.reason()).isEqualTo(new CloseReason.ServerStopped()));
            onClose.assertNoMoreCalls();
        } finally {
            server.stop();
            for (TestClient client : clients) {
                client.close();
            }
        }
        return port;
    }

    @Test
    void stopReleasesEveryThreadAndFileDescriptor() throws Exception {
        TestSupport.assertStopReleasesEverything(StopTest::runAndStop);
    }

    @Test
    void aStuckLoopIsInterruptedAfterTheStopTimeout() throws Exception {
        Duration stopTimeout = Duration.ofMillis(500);
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        Handler<Void, Void> handler = (state, message, connection) -> {
            stuck.countDown();
            try {
                // Bounded, so a failing test cannot leave it behind forever.
                never.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
            return Next.continueWith(state);
        };
        Server server = Server.<Void, Void>builder(connection -> null, handler)
                .stopTimeout(stopTimeout).onClose(onClose).bind("127.0.0.1").start(0);
        try (TestClient client = TestClient.connect(server)) {
            client.write("x");
            await(stuck, "the loop to get stuck");
            long started = System.nanoTime();
            server.stop();
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            // The stop timeout, then up to a second for the interrupted threads to finish.
            assertThat(took).isGreaterThanOrEqualTo(stopTimeout).isLessThan(stopTimeout.plusMillis(1500));
            assertThat(interrupted).isTrue();
            RecordingOnClose.Closed<Void, Void> closed = onClose.next();
            assertThat(closed.reason()).isEqualTo(new CloseReason.ServerStopped());
            onClose.assertNoMoreCalls();
            assertThat(server.connectionCount()).isZero();
            client.assertClosedByServer();
        } finally {
            never.countDown();
        }
    }

    @Test
    void aStopThatInterruptsASendIsReportedAsServerStopped() throws Exception {
        // CloseReason's contract: the first cause wins, and the send failure the stop provokes is not it.
        CountDownLatch sending = new CountDownLatch(1);
        AtomicBoolean sendFailed = new AtomicBoolean();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        Handler<Void, Void> handler = (state, message, connection) -> {
            sending.countDown();
            byte[] chunk = new byte[64 * 1024];
            try {
                for (int i = 0; i < 1024; i++) {
                    connection.send(chunk);
                }
            } catch (IOException e) {
                sendFailed.set(true);
                throw e;
            }
            return Next.stopAbnormal("64 MiB went out to a peer that does not read");
        };
        Server server = Server.<Void, Void>builder(connection -> null, handler)
                .onClose(onClose).bind("127.0.0.1").start(0);
        try (TestClient client = TestClient.connect(server)) {
            client.write("x");
            await(sending, "the loop to start sending");
            server.stop();
            RecordingOnClose.Closed<Void, Void> closed = onClose.next();
            assertThat(closed.reason()).isEqualTo(new CloseReason.ServerStopped());
            assertThat(sendFailed).isTrue();
            onClose.assertNoMoreCalls();
        }
    }

    @Test
    void stoppingWhileMessagesPourInEndsEachConnectionOnce() throws Exception {
        int connections = 4;
        BlockingQueue<ConnectionHandle<Integer>> handles = new LinkedBlockingQueue<>();
        AtomicInteger delivered = new AtomicInteger();
        RecordingOnClose<Void, Integer> onClose = new RecordingOnClose<>();
        Handler<Void, Integer> handler = (state, message, connection) -> {
            if (message instanceof Message.User<Integer>) {
                delivered.incrementAndGet();
            } else {
                connection.send(((Message.Packet<Integer>) message).bytes());
            }
            return Next.continueWith(state);
        };
        // Senders pour faster than the loop drains: an unbounded-enough mailbox keeps this test
        // about the stop, not about MailboxOverflowed.
        Server server = Server.<Void, Integer>builder(connection -> {
                    handles.add(connection.handle());
                    return null;
                }, handler).onClose(onClose).mailboxCapacity(1 << 24).bind("127.0.0.1").start(0);
        List<TestClient> clients = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        AtomicBoolean stopped = new AtomicBoolean();
        AtomicInteger acceptedAfterStop = new AtomicInteger();
        try {
            for (int i = 0; i < connections; i++) {
                clients.add(TestClient.connect(server));
                ConnectionHandle<Integer> handle = handles.poll(10, TimeUnit.SECONDS);
                assertThat(handle).isNotNull();
                senders.add(Thread.ofPlatform().start(() -> {
                    // Until the stop has returned, then a few more to see them refused.
                    for (int n = 0; n < 10_000_000; n++) {
                        boolean afterStop = stopped.get();
                        if (handle.send(n) && afterStop) {
                            acceptedAfterStop.incrementAndGet();
                        }
                        if (afterStop && n % 100 == 99) {
                            return;
                        }
                    }
                }));
            }
            TestSupport.eventually("messages are flowing", () -> delivered.get() > 1000);
            server.stop();
            stopped.set(true);
            for (Thread sender : senders) {
                assertThat(sender.join(Duration.ofSeconds(20))).isTrue();
            }
            assertThat(acceptedAfterStop).as("sends accepted by ended connections").hasValue(0);
            assertThat(onClose.next(connections)).allSatisfy(each ->
                    assertThat(each.reason()).isEqualTo(new CloseReason.ServerStopped()));
            onClose.assertNoMoreCalls();
            assertThat(TestSupport.glistenThreadNames())
                    .noneMatch(name -> name.startsWith("glisten-" + server.port() + "-"));
        } finally {
            stopped.set(true);
            server.stop();
            for (TestClient client : clients) {
                client.close();
            }
        }
    }
}
