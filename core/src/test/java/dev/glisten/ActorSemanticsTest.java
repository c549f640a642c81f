package dev.glisten;

import static dev.glisten.TestSupport.await;
import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection is an actor: its loop calls never overlap, each sees the state the previous one
 * returned, and {@link Message.User} messages from any thread reach it in per-sender order, whether
 * it is busy with packets or blocked reading.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ActorSemanticsTest {

    /** A numbered message from one of the sending threads. */
    record Numbered(int sender, int sequence) { }

    /**
     * An immutable tally: each call returns a new one, so a call that saw an older state than the
     * previous call returned shows up as an identity mismatch.
     */
    record Tally(long bytes, int users, int[] lastSequence) {
        Tally withBytes(int n) {
            return new Tally(bytes + n, users, lastSequence);
        }

        Tally withUser(Numbered numbered) {
            int[] last = lastSequence.clone();
            last[numbered.sender()] = numbered.sequence();
            return new Tally(bytes, users + 1, last);
        }
    }

    @Test
    void userMessagesFromManyThreadsWhileTheClientStreams() throws Exception {
        int senders = 8;
        int perSender = 500;
        int chunks = 400;
        int chunkSize = 1000;
        long expectedBytes = (long) chunks * chunkSize;

        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger staleStates = new AtomicInteger();
        ConcurrentLinkedQueue<String> orderViolations = new ConcurrentLinkedQueue<>();
        AtomicReference<Tally> lastReturned = new AtomicReference<>();
        AtomicInteger packetCalls = new AtomicInteger();
        BlockingQueue<ConnectionHandle<Numbered>> handles = new LinkedBlockingQueue<>();
        RecordingOnClose<Tally, Numbered> onClose = new RecordingOnClose<>();

        Handler<Tally, Numbered> handler = (state, message, connection) -> {
            if (inFlight.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            try {
                if (state != lastReturned.get()) {
                    staleStates.incrementAndGet();
                }
                Tally next = switch (message) {
                    case Message.Packet<Numbered> packet -> {
                        packetCalls.incrementAndGet();
                        yield state.withBytes(packet.bytes().length);
                    }
                    case Message.User<Numbered> user -> {
                        Numbered numbered = user.message();
                        int expected = state.lastSequence()[numbered.sender()] + 1;
                        if (numbered.sequence() != expected) {
                            orderViolations.add("sender " + numbered.sender() + ": got " + numbered.sequence()
                                    + ", expected " + expected);
                        }
                        yield state.withUser(numbered);
                    }
                    case Message.ShuttingDown<Numbered> notice -> state;
                    case Message.EndOfInput<Numbered> end -> state;
                };
                // Yield the carrier now and then so the other thread gets a chance to overlap, if it can.
                if ((next.users() + packetCalls.get()) % 64 == 0) {
                    Thread.yield();
                }
                lastReturned.set(next);
                if (next.bytes() == expectedBytes && next.users() == senders * perSender) {
                    connection.send(new byte[] {'D'});
                }
                return Next.continueWith(next);
            } finally {
                inFlight.decrementAndGet();
            }
        };
        try (Server server = Server.<Tally, Numbered>builder(connection -> {
                    Tally initial = new Tally(0, 0, filled(senders, -1));
                    lastReturned.set(initial);
                    handles.add(connection.handle());
                    return initial;
                    // Room for every message at once: this test is about order, not the bound.
                }, handler).onClose(onClose).mailboxCapacity(senders * perSender).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            ConnectionHandle<Numbered> handle = handles.poll(10, TimeUnit.SECONDS);
            assertThat(handle).isNotNull();

            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger refused = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                threads.add(Thread.ofPlatform().name("test-sender-" + s).start(() -> {
                    awaitQuietly(go);
                    for (int i = 0; i < perSender; i++) {
                        if (!handle.send(new Numbered(sender, i))) {
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            Thread streamer = Thread.ofPlatform().name("test-streamer").start(() -> {
                awaitQuietly(go);
                try {
                    OutputStream out = client.socket().getOutputStream();
                    byte[] chunk = new byte[chunkSize];
                    for (int i = 0; i < chunks; i++) {
                        out.write(chunk);
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            go.countDown();
            for (Thread thread : threads) {
                assertThat(thread.join(Duration.ofSeconds(30))).as(thread.getName() + " finished").isTrue();
            }
            assertThat(streamer.join(Duration.ofSeconds(30))).as("the streamer finished").isTrue();
            assertThat(refused).as("sends refused by an open connection").hasValue(0);

            assertThat(client.readString(1)).as("the loop saw everything").isEqualTo("D");
            client.socket().shutdownOutput();
            client.assertClosedByServer();

            RecordingOnClose.Closed<Tally, Numbered> closed = onClose.next();
            onClose.assertNoMoreCalls();
            assertThat(closed.reason()).isEqualTo(new CloseReason.PeerClosed());
            assertThat(closed.state().bytes()).isEqualTo(expectedBytes);
            assertThat(closed.state().users()).isEqualTo(senders * perSender);
            assertThat(closed.state().lastSequence()).containsOnly(perSender - 1);
        }
        assertThat(overlaps).as("overlapping loop calls").hasValue(0);
        assertThat(staleStates).as("calls that did not see the previous call's state").hasValue(0);
        assertThat(orderViolations).as("messages out of per-sender order").isEmpty();
    }

    private static int[] filled(int length, int value) {
        int[] array = new int[length];
        java.util.Arrays.fill(array, value);
        return array;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void packetCallsNeverOverlapAndEachSeesThePreviousState() throws Exception {
        // Several clients at once, so connection threads compete for the carriers.
        int clients = 4;
        int roundTrips = 200;
        Map<ConnectionHandle<Void>, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        Map<ConnectionHandle<Void>, AtomicInteger> calls = new ConcurrentHashMap<>();
        AtomicInteger violations = new AtomicInteger();
        Handler<Integer, Void> handler = (state, message, connection) -> {
            AtomicInteger running = inFlight.computeIfAbsent(connection.handle(), h -> new AtomicInteger());
            if (running.incrementAndGet() != 1) {
                violations.incrementAndGet();
            }
            try {
                int call = calls.computeIfAbsent(connection.handle(), h -> new AtomicInteger()).getAndIncrement();
                if (state != call) {
                    violations.incrementAndGet();
                }
                connection.send(((Message.Packet<Void>) message).bytes());
                return Next.continueWith(state + 1);
            } finally {
                running.decrementAndGet();
            }
        };
        try (Server server = Server.<Integer, Void>builder(connection -> 0, handler).bind("127.0.0.1").start(0)) {
            List<Thread> threads = new ArrayList<>();
            AtomicInteger failures = new AtomicInteger();
            for (int c = 0; c < clients; c++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try (TestClient client = TestClient.connect(server)) {
                        for (int i = 0; i < roundTrips; i++) {
                            // One byte per round trip, so every call is one packet and the count is exact.
                            String text = String.valueOf((char) ('a' + i % 26));
                            if (!client.roundTrip(text).equals(text)) {
                                failures.incrementAndGet();
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        failures.incrementAndGet();
                    }
                }));
            }
            for (Thread thread : threads) {
                assertThat(thread.join(Duration.ofSeconds(30))).isTrue();
            }
            assertThat(failures).hasValue(0);
        }
        assertThat(calls).hasSize(clients);
        calls.values().forEach(count -> assertThat(count).hasValue(roundTrips));
        assertThat(violations).hasValue(0);
    }

    @Test
    void onInitEveryLoopCallAndOnCloseRunOnTheConnectionsOwnThread() throws Exception {
        // Packets and user messages (sent from other threads, also while the connection waits for
        // bytes) all reach the loop on the thread that ran onInit, so ThreadLocals work.
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        AtomicReference<Thread> initThread = new AtomicReference<>();
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        CountDownLatch closed = new CountDownLatch(1);
        AtomicInteger userMessages = new AtomicInteger();
        Handler<Void, String> handler = (state, message, connection) -> {
            seen.add(Thread.currentThread());
            if (message instanceof Message.Packet<String> packet) {
                connection.send(packet.bytes());
            } else {
                userMessages.incrementAndGet();
            }
            return Next.continueWith(state);
        };
        try (Server server = Server.<Void, String>builder(connection -> {
                    initThread.set(Thread.currentThread());
                    handles.add(connection.handle());
                    return null;
                }, handler).onClose((state, reason, connection) -> {
                    seen.add(Thread.currentThread());
                    closed.countDown();
                }).bind("127.0.0.1").start(0)) {
            TestClient client = TestClient.connect(server);
            ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
            assertThat(handle).isNotNull();
            List<Thread> senders = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                senders.add(Thread.ofPlatform().start(() -> {
                    for (int j = 0; j < 100; j++) {
                        handle.send("message");
                    }
                }));
            }
            for (int i = 0; i < 20; i++) {
                assertThat(client.roundTrip("packet " + i)).isEqualTo("packet " + i);
            }
            for (Thread sender : senders) {
                sender.join(10_000);
            }
            eventually("all 400 user messages delivered", () -> userMessages.get() == 400);
            // The peer closing ends the connection, so onClose runs on the connection's thread too.
            client.close();
            await(closed, "onClose");
        }
        assertThat(seen).containsExactly(initThread.get());
    }

    @Test
    void aUserMessageReachesAConnectionBlockedReading() throws Exception {
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        Handler<Void, String> handler = (state, message, connection) -> {
            if (message instanceof Message.User<String> user) {
                connection.send(user.message().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return Next.continueWith(state);
        };
        try (Server server = Server.builder(recordingHandles(handles), handler).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
            assertThat(handle).isNotNull();
            // The client never writes: the connection's thread is parked waiting for bytes. Several
            // rounds, so both a first message and later ones get through.
            for (int i = 0; i < 20; i++) {
                long started = System.nanoTime();
                assertThat(handle.send("ping" + (i % 10))).isTrue();
                assertThat(client.readString(5)).isEqualTo("ping" + (i % 10));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to be connected
    void messagesSentDuringOnInitArriveAfterItInOrder() throws Exception {
        AtomicBoolean initRunning = new AtomicBoolean();
        AtomicBoolean calledDuringInit = new AtomicBoolean();
        CountDownLatch handlerCalled = new CountDownLatch(1);
        BlockingQueue<List<Integer>> received = new LinkedBlockingQueue<>();
        Handler<List<Integer>, Integer> handler = (state, message, connection) -> {
            handlerCalled.countDown();
            if (initRunning.get()) {
                calledDuringInit.set(true);
            }
            List<Integer> next = new ArrayList<>(state);
            next.add(((Message.User<Integer>) message).message());
            if (next.size() == 10) {
                received.add(next);
            }
            return Next.continueWith(next);
        };
        OnInit<List<Integer>, Integer> onInit = connection -> {
            initRunning.set(true);
            try {
                ConnectionHandle<Integer> handle = connection.handle();
                for (int i = 1; i <= 5; i++) {
                    handle.send(i);
                }
                // And from another thread, while onInit still runs: delivered after it, in order.
                Thread other = Thread.ofVirtual().start(() -> {
                    for (int i = 6; i <= 10; i++) {
                        handle.send(i);
                    }
                });
                other.join();
                // Give a delivery that does not wait for onInit the time to happen (and be caught).
                handlerCalled.await(200, TimeUnit.MILLISECONDS);
                return List.of();
            } finally {
                initRunning.set(false);
            }
        };
        try (Server server = Server.builder(onInit, handler).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            List<Integer> messages = received.poll(10, TimeUnit.SECONDS);
            assertThat(messages).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
            assertThat(calledDuringInit).as("a loop call ran while onInit was running").isFalse();
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to be connected
    void handleSendReturnsFalseOnceTheConnectionEnded() throws Exception {
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        AtomicInteger userMessages = new AtomicInteger();
        RecordingOnClose<Void, String> onClose = new RecordingOnClose<>();
        Handler<Void, String> handler = (state, message, connection) -> {
            if (message instanceof Message.User<String>) {
                userMessages.incrementAndGet();
            }
            return Next.continueWith(state);
        };
        try (Server server = Server.builder(recordingHandles(handles), handler).onClose(onClose).bind("127.0.0.1").start(0)) {
            ConnectionHandle<String> handle;
            try (TestClient client = TestClient.connect(server)) {
                handle = handles.poll(10, TimeUnit.SECONDS);
                assertThat(handle).isNotNull();
                assertThat(handle.send("while open")).isTrue();
                eventually("the message is delivered", () -> userMessages.get() == 1);
            }
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.PeerClosed());
            assertThat(handle.isOpen()).isFalse();
            assertThat(handle.send("too late")).isFalse();
            assertThat(handle.send(null)).isFalse();
            onClose.assertNoMoreCalls();
            assertThat(userMessages).hasValue(1);
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to be connected
    void aNullUserMessageIsDeliveredAsUserNull() throws Exception {
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        BlockingQueue<Message<String>> delivered = new LinkedBlockingQueue<>();
        Handler<Void, String> handler = (state, message, connection) -> {
            delivered.add(message);
            return Next.continueWith(state);
        };
        try (Server server = Server.builder(recordingHandles(handles), handler).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
            assertThat(handle).isNotNull();
            assertThat(handle.send(null)).isTrue();
            assertThat(handle.send("after null")).isTrue();
            assertThat(handle.send(null)).isTrue();
            assertThat(delivered.poll(10, TimeUnit.SECONDS)).isEqualTo(new Message.User<String>(null));
            assertThat(delivered.poll(10, TimeUnit.SECONDS)).isEqualTo(new Message.User<>("after null"));
            assertThat(delivered.poll(10, TimeUnit.SECONDS)).isEqualTo(new Message.User<String>(null));
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to be connected
    void onCloseNeverRunsDuringALoopCall() throws Exception {
        // A user message keeps the loop busy while the peer closes; onClose must wait for that call
        // to return.
        BlockingQueue<ConnectionHandle<String>> handles = new LinkedBlockingQueue<>();
        AtomicBoolean inCall = new AtomicBoolean();
        AtomicBoolean overlapped = new AtomicBoolean();
        CountDownLatch callStarted = new CountDownLatch(1);
        CountDownLatch peerClosed = new CountDownLatch(1);
        RecordingOnClose<String, String> recorder = new RecordingOnClose<>();
        Handler<String, String> handler = (state, message, connection) -> {
            inCall.set(true);
            try {
                callStarted.countDown();
                await(peerClosed, "the peer to close");
                // Give a wrongly concurrent onClose time to run.
                Thread.sleep(100);
                return Next.continueWith("after the call");
            } finally {
                inCall.set(false);
            }
        };
        try (Server server = Server.<String, String>builder(connection -> {
                    handles.add(connection.handle());
                    return "initial";
                }, handler).onClose((state, reason, connection) -> {
                    if (inCall.get()) {
                        overlapped.set(true);
                    }
                    recorder.onClose(state, reason, connection);
                }).bind("127.0.0.1").start(0)) {
            try (TestClient client = TestClient.connect(server)) {
                ConnectionHandle<String> handle = handles.poll(10, TimeUnit.SECONDS);
                assertThat(handle).isNotNull();
                handle.send("work");
                await(callStarted, "the call to start");
            }
            peerClosed.countDown();
            RecordingOnClose.Closed<String, String> closed = recorder.next();
            recorder.assertNoMoreCalls();
            assertThat(overlapped).as("onClose ran while a loop call was running").isFalse();
            assertThat(closed.reason()).isEqualTo(new CloseReason.PeerClosed());
            assertThat(closed.state()).isEqualTo("after the call");
        }
    }

    /** An onInit that hands each new connection's handle to the test and keeps no state. */
    private static <M> OnInit<Void, M> recordingHandles(BlockingQueue<ConnectionHandle<M>> handles) {
        return connection -> {
            handles.add(connection.handle());
            return null;
        };
    }
}
