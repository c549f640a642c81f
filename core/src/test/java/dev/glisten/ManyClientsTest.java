package dev.glisten;

import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A thousand clients at once, each echoing random payloads, every byte checked. */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ManyClientsTest {

    private static final int CLIENTS = 1000;
    private static final int ROUND_TRIPS = 4;
    private static final int MAX_PAYLOAD = 64 * 1024;
    private static final Duration BUDGET = Duration.ofSeconds(60);

    @Test
    void aThousandConcurrentClientsEchoEveryByte() throws Exception {
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        long seed = System.nanoTime();
        AtomicLong bytesChecked = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long started = System.nanoTime();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .onClose(onClose).bind("127.0.0.1").start(0)) {
            // Every client connects and completes one round trip; then all hold their connection
            // open until the others are there, so the server really has a thousand at once.
            CountDownLatch allConnected = new CountDownLatch(CLIENTS);
            CountDownLatch proceed = new CountDownLatch(1);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                SplittableRandom random = new SplittableRandom(seed + c);
                int id = c;
                clients.add(Thread.ofVirtual().name("test-client-" + c).start(() -> {
                    try (TestClient client = TestClient.connect(server)) {
                        client.socket().setSoTimeout(30_000);
                        for (int trip = 0; trip < ROUND_TRIPS; trip++) {
                            if (trip == 1) {
                                allConnected.countDown();
                                if (!proceed.await(BUDGET.toMillis(), TimeUnit.MILLISECONDS)) {
                                    failures.add("client " + id + ": never told to proceed");
                                    return;
                                }
                            }
                            byte[] payload = new byte[1 + random.nextInt(MAX_PAYLOAD)];
                            random.nextBytes(payload);
                            byte[] echoed = echo(client.socket(), payload);
                            if (!Arrays.equals(payload, echoed)) {
                                failures.add("client " + id + " trip " + trip + ": echo differs (" + payload.length
                                        + " bytes sent, seed " + seed + ")");
                                return;
                            }
                            bytesChecked.addAndGet(payload.length);
                        }
                    } catch (IOException | RuntimeException e) {
                        failures.add("client " + id + ": " + e);
                        allConnected.countDown();
                    } catch (InterruptedException e) {
                        failures.add("client " + id + " interrupted");
                    }
                }));
            }
            long deadline = started + BUDGET.toNanos();
            assertThat(allConnected.await(BUDGET.toMillis(), TimeUnit.MILLISECONDS)).as("all connected").isTrue();
            assertThat(server.connectionCount()).as("connections open at once; failures: " + failures)
                    .isEqualTo(CLIENTS);
            proceed.countDown();
            for (Thread client : clients) {
                long left = Math.max(1, deadline - System.nanoTime());
                assertThat(client.join(Duration.ofNanos(left))).as(client.getName() + " finished in time").isTrue();
            }
            assertThat(failures).as("client failures").isEmpty();
            assertThat(bytesChecked.get()).isPositive();

            List<RecordingOnClose.Closed<Void, Void>> closed = onClose.next(CLIENTS);
            assertThat(closed).allSatisfy(each -> assertThat(each.reason()).isEqualTo(new CloseReason.PeerClosed()));
            onClose.assertNoMoreCalls();
            eventually("the server counts no connection", () -> server.connectionCount() == 0);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(BUDGET);
    }

    /**
     * Writes on one virtual thread while reading on this one: the payload may exceed what the
     * socket buffers hold, and a client that wrote everything before reading could deadlock with
     * the echoing server.
     */
    private static byte[] echo(Socket socket, byte[] payload) throws IOException, InterruptedException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        AtomicInteger writeFailed = new AtomicInteger();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                out.write(payload);
                out.flush();
            } catch (IOException e) {
                writeFailed.incrementAndGet();
            }
        });
        byte[] echoed = in.readNBytes(payload.length);
        if (!writer.join(Duration.ofSeconds(30)) || writeFailed.get() > 0) {
            throw new IOException("the write did not complete");
        }
        return echoed;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void clientsArrivingOneAtATimeOnAnIdleServerAreEachServed() throws Exception {
        // Each client connects only after the previous one got its echo, so the server is idle
        // whenever a connection arrives: the shape in which a new connection's start could be
        // announced to a watcher that had just looked and then blocked (found by the idle-memory
        // benchmark after about 960 connections).
        List<TestClient> clients = new ArrayList<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.<Void, Void>echo())
                .bind("127.0.0.1").start(0)) {
            for (int i = 0; i < 2_000; i++) {
                TestClient client = TestClient.connect(server);
                clients.add(client);
                assertThat(client.roundTrip("client " + i)).isEqualTo("client " + i);
            }
        } finally {
            for (TestClient client : clients) {
                client.close();
            }
        }
    }
}
