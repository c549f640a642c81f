package dev.glisten.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * SIGTERM in the middle of load on the echo server ({@code --drain-timeout 2}), with three kinds
 * of client whose fate the drain report must tell:
 * <ul>
 *   <li>legitimate clients churning, which at the signal each hold a connection with answered
 *       exchanges, then try one more exchange: it comes back whole or is cut by the close, every
 *       byte that did come verified;</li>
 *   <li>holders: connections with one answered exchange, idle at the signal;</li>
 *   <li>tricklers: slowloris clients that send a byte every 100-200 ms and go on through the
 *       signal, each byte echoed;</li>
 *   <li>stuck writers: clients that write without reading until the server's send blocks, so the
 *       server's loop cannot take the shutdown notice and is closed at the drain timeout.</li>
 * </ul>
 * The first three end by themselves within the drain timeout (the report's {@code gracefully}), the
 * stuck writers at it ({@code forced}); each client notes when its connection closed, and the
 * counts must be the report's. The clients stop changing connections just before the signal, so
 * the server's set and the clients' are the same set.
 */
final class TermFault {

    static final Duration DRAIN = Duration.ofSeconds(2);
    private static final int CHURNERS = 4;
    private static final int HOLDERS = 8;
    private static final int TRICKLERS = 4;
    private static final int STUCK_WRITERS = 3;
    /** For everyone to reach their state at the signal; stuck writers fill megabytes of buffers first. */
    private static final Duration READY = Duration.ofSeconds(20);
    /** The examples' stop: the drain, then at most their STOP_GRACE (7 s) more. */
    static final Duration EXIT = DRAIN.plusSeconds(7);
    /** A graceful close comes at once after the notice; this much later it would be near the timeout. */
    private static final Duration GRACEFUL_WITHIN = DRAIN.dividedBy(2);

    private final Dialer dialer;
    private final AtomicBoolean freeze = new AtomicBoolean();
    private final CountDownLatch ready = new CountDownLatch(CHURNERS + HOLDERS + TRICKLERS + STUCK_WRITERS);
    private final CountDownLatch signalled = new CountDownLatch(1);
    private volatile long signalledAt;
    private final Ledger before = new Ledger();
    private final LongAdder whole = new LongAdder();
    private final LongAdder cut = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder stuckBytesVerified = new LongAdder();
    private final AtomicInteger closedGracefully = new AtomicInteger();
    private final AtomicInteger closedAtTimeout = new AtomicInteger();
    private final List<String> strays = new CopyOnWriteArrayList<>();

    private TermFault(Dialer dialer) {
        this.dialer = dialer;
    }

    static void run(Run run, Report report) throws IOException, InterruptedException {
        Target echo = run.target("echo");
        try (RunningTarget target = RunningTarget.start(echo, "-sigterm", run.setup(), OptionalInt.empty(),
                run.certificate(), run.clientTls(), List.of("--drain-timeout", Long.toString(DRAIN.toSeconds())))) {
            new TermFault(target.dialer()).signalMidLoad(run, target.server(), report);
        }
    }

    private void signalMidLoad(Run run, ServerProcess server, Report report) throws IOException, InterruptedException {
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < CHURNERS; i++) {
            Random random = new Random(run.seed() + 100 + i);
            clients.add(Thread.ofVirtual().name("churner-" + i).start(() -> churn(random)));
        }
        for (int i = 0; i < HOLDERS; i++) {
            Random random = new Random(run.seed() + 200 + i);
            clients.add(Thread.ofVirtual().name("holder-" + i).start(() -> hold(random)));
        }
        for (int i = 0; i < TRICKLERS; i++) {
            Random random = new Random(run.seed() + 400 + i);
            clients.add(Thread.ofVirtual().name("trickler-" + i).start(() -> trickle(random)));
        }
        for (int i = 0; i < STUCK_WRITERS; i++) {
            Random random = new Random(run.seed() + 300 + i);
            clients.add(Thread.ofVirtual().name("stuck-" + i).start(() -> writeUntilStuck(random)));
        }
        Thread.sleep(run.plan().termAfter());
        freeze.set(true);
        boolean allReady = ready.await(READY.toMillis(), TimeUnit.MILLISECONDS);
        signalledAt = System.nanoTime();
        server.signal("TERM");
        signalled.countDown();
        OptionalInt status = server.awaitExit(EXIT);
        long exitedAfter = System.nanoTime() - signalledAt;
        for (Thread client : clients) {
            if (!client.join(EXIT)) {
                client.interrupt();
                strays.add(client.getName() + " still running");
            }
        }
        Optional<ServerProcess.DrainReport> drained = server.drainReport();
        before.firstFailures().forEach(failure -> report.note("SIGTERM, before the signal: " + failure));
        strays.forEach(stray -> report.note("SIGTERM: " + stray));
        report.check("Faults", "SIGTERM mid-load: the process exits",
                status.isEmpty() ? "still running " + EXIT.toSeconds() + " s later"
                        : "status " + status.getAsInt() + " after " + Report.seconds(exitedAfter),
                "143 within the drain timeout (" + DRAIN.toSeconds() + " s) + 7 s",
                status.isPresent() && status.getAsInt() == 143);
        report.check("Faults", "SIGTERM mid-load: exchanges",
                Report.count(before.exchangeCount()) + " answered before the signal, " + before.failureCount()
                        + " failed; after it " + whole.sum() + " whole, " + cut.sum() + " cut by the close with every byte"
                        + " right, " + corrupt.sum() + " corrupt; stuck writers' echoes: "
                        + Report.count(stuckBytesVerified.sum()) + " bytes verified",
                "none fails or is corrupt", before.failureCount() == 0 && corrupt.sum() == 0 && allReady);
        String clientsSaw = closedGracefully.get() + " closed within " + GRACEFUL_WITHIN.toMillis() + " ms, "
                + closedAtTimeout.get() + " at the drain timeout";
        report.check("Faults", "SIGTERM mid-load: drain report vs clients",
                drained.map(d -> "drained " + d.graceful() + " gracefully, forced " + d.forced() + ", in " + d.millis()
                        + " ms; clients: " + clientsSaw).orElse("no drain report; clients: " + clientsSaw),
                "gracefully = " + (CHURNERS + HOLDERS + TRICKLERS) + " idle, churning or trickling, forced = " + STUCK_WRITERS
                        + " stuck writers, as the clients saw",
                drained.isPresent() && drained.get().graceful() == CHURNERS + HOLDERS + TRICKLERS
                        && drained.get().forced() == STUCK_WRITERS
                        && closedGracefully.get() == CHURNERS + HOLDERS + TRICKLERS
                        && closedAtTimeout.get() == STUCK_WRITERS && strays.isEmpty());
    }

    /** Connections of a few exchanges, until the freeze: then one held with an answer, and one more exchange after the signal. */
    private void churn(Random random) {
        Socket socket = null;
        try {
            for (int n = 0; n < 1_000_000 && signalled.getCount() > 0; n++) {
                if (socket == null) {
                    socket = dialer.open(random);
                }
                exchange(socket, random);
                if (freeze.get()) {
                    ready.countDown();
                    awaitSignal();
                    afterSignal(socket, random);
                    return;
                }
                if (random.nextInt(3) == 0) {
                    socket.close();
                    socket = null;
                }
            }
        } catch (IOException e) {
            before.failed("a churning client: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(socket);
        }
    }

    private void hold(Random random) {
        try (Socket socket = dialer.open(random)) {
            exchange(socket, random);
            ready.countDown();
            awaitSignal();
            noteClose(socket);
        } catch (IOException e) {
            before.failed("a holder: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A byte every 100-200 ms, each echo checked, from before the signal until the server closes. */
    private void trickle(Random random) {
        try (Socket socket = dialer.open(random)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            long end = System.nanoTime() + READY.toNanos() + EXIT.toNanos();
            boolean counted = false;
            // A byte per pass, 100 ms apart at least: bounded by the time.
            while (System.nanoTime() - end < 0) {
                byte[] one = {(byte) random.nextInt(256)};
                try {
                    Abuse.write(socket, out, one);
                    Conversation.readExactly(in, one, 0, 1, "a trickled byte");
                } catch (Conversation.Corrupt e) {
                    corrupt.increment();
                    strays.add(e.getMessage());
                    return;
                } catch (IOException closed) {
                    if (signalled.getCount() > 0) {
                        before.failed("a trickler, before the signal: " + closed);
                        return;
                    }
                    noteClose(socket);
                    return;
                }
                if (!counted) {
                    // Its first byte came back: the server has it, and will count it in the drain.
                    ready.countDown();
                    counted = true;
                }
                Abuse.sleepUntil(System.nanoTime() + Duration.ofMillis(100 + random.nextInt(100)).toNanos());
            }
            strays.add("a trickler was never closed");
        } catch (IOException e) {
            before.failed("a trickler: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void exchange(Socket socket, Random random) throws IOException {
        byte[] request = Conversation.payload(random, EchoConversation.LARGEST_RAW);
        long start = System.nanoTime();
        Abuse.write(socket, socket.getOutputStream(), request);
        Conversation.readExactly(socket.getInputStream(), request, 0, request.length, "echo");
        before.exchanged(System.nanoTime() - start, request.length);
    }

    /** One more exchange on a connection the server is draining: whole, or cut with every byte right. */
    private void afterSignal(Socket socket, Random random) throws IOException {
        byte[] request = Conversation.payload(random, EchoConversation.LARGEST_RAW);
        try {
            OutputStream out = socket.getOutputStream();
            Abuse.write(socket, out, request);
            Conversation.readExactly(socket.getInputStream(), request, 0, request.length, "echo after SIGTERM");
            whole.increment();
        } catch (Conversation.Corrupt e) {
            corrupt.increment();
            strays.add(e.getMessage());
        } catch (IOException closed) {
            // The end of the stream or a reset, before the whole echo: the bytes that came were checked.
            cut.increment();
        }
        noteClose(socket);
    }

    /** Waits for the server's close and files it by its time since the signal. */
    private void noteClose(Socket socket) throws IOException {
        long closedAt = Abuse.awaitClose(socket, signalledAt + EXIT.toNanos());
        long after = closedAt - signalledAt;
        if (closedAt != 0 && after < GRACEFUL_WITHIN.toNanos()) {
            closedGracefully.incrementAndGet();
        } else {
            strays.add("a graceful connection closed " + (closedAt == 0 ? "never" : Report.seconds(after)) + " after the signal");
        }
    }

    /**
     * Writes without reading until neither side's buffers take more; after the signal, probes with
     * a byte every 50 ms until a write fails (the server's close), then reads what was echoed.
     */
    private void writeUntilStuck(Random random) {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        try (SocketChannel channel = SocketChannel.open(dialer.address())) {
            channel.configureBlocking(false);
            byte[] chunk = new byte[64 * 1024];
            int idle = 0;
            long deadline = System.nanoTime() + READY.toNanos() / 2;
            // Until 10 writes in a row took nothing (0.5 s), at most 256 MB or half the readiness time.
            while (idle < 10 && written.size() < 256 * 1024 * 1024 && System.nanoTime() - deadline < 0) {
                random.nextBytes(chunk);
                ByteBuffer buffer = ByteBuffer.wrap(chunk);
                int took = channel.write(buffer);
                written.write(chunk, 0, took);
                if (took == 0) {
                    idle++;
                    Thread.sleep(50);
                } else {
                    idle = 0;
                }
            }
            ready.countDown();
            awaitSignal();
            long closedAt = 0;
            for (int probe = 0; probe < 1000 && System.nanoTime() - (signalledAt + EXIT.toNanos()) < 0; probe++) {
                try {
                    ByteBuffer one = ByteBuffer.wrap(new byte[] {(byte) random.nextInt(256)});
                    if (channel.write(one) == 1) {
                        written.write(one.array()[0]);
                    }
                } catch (IOException closedByServer) {
                    closedAt = System.nanoTime();
                    break;
                }
                Thread.sleep(50);
            }
            long after = closedAt - signalledAt;
            if (closedAt != 0 && after >= DRAIN.toNanos() - GRACEFUL_WITHIN.toNanos() / 2) {
                closedAtTimeout.incrementAndGet();
            } else {
                strays.add("a stuck writer closed " + (closedAt == 0 ? "never" : Report.seconds(after)) + " after the signal");
            }
            verifyEcho(channel, written.toByteArray());
        } catch (IOException e) {
            before.failed("a stuck writer: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads what the server echoed before closing, which must be a prefix of what was written. */
    private void verifyEcho(SocketChannel channel, byte[] written) throws IOException {
        channel.configureBlocking(true);
        Socket socket = channel.socket();
        socket.setSoTimeout(2000);
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[64 * 1024];
        int at = 0;
        // A read per pass of at least a byte, or the end: bounded by what was written.
        while (at < written.length) {
            int read;
            try {
                read = in.read(buffer, 0, Math.min(buffer.length, written.length - at));
            } catch (SocketTimeoutException | SocketException endOfEcho) {
                break;
            }
            if (read < 0) {
                break;
            }
            for (int i = 0; i < read; i++) {
                if (buffer[i] != written[at + i]) {
                    corrupt.increment();
                    strays.add("a stuck writer's echo differs at byte " + (at + i));
                    return;
                }
            }
            at += read;
        }
        stuckBytesVerified.add(at);
    }

    private void awaitSignal() throws InterruptedException {
        if (!signalled.await(READY.toMillis() + EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new InterruptedException("no signal came");
        }
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing after the server did: nothing to do.
            }
        }
    }
}
