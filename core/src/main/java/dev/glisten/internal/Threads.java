package dev.glisten.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Every thread a server starts is started here, so that stopping can wait for all of them and
 * nothing outlives the server unnoticed. All are virtual threads: they park on socket I/O instead
 * of holding a carrier.
 */
final class Threads {

    /** Comfortably past HotSpot's default threshold for compiling a method (200 calls at tier 3). */
    private static final int WARM_UP_THREADS = 1_000;
    private static final Duration WARM_UP_JOIN_TIMEOUT = Duration.ofSeconds(1);
    private static final AtomicBoolean WARMED_UP = new AtomicBoolean();
    private static final BooleanSupplier NO_STEPS = () -> false;

    private final String prefix;
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger watcherCount = new AtomicInteger();
    // Factories, not builders: a builder is not safe for concurrent use, and acceptors start
    // connections concurrently.
    private final ThreadFactory acceptorFactory;
    private final ThreadFactory connectionFactory;

    Threads(String serverName) {
        this.prefix = "glisten-" + serverName + "-";
        // Acceptors are platform threads: the kernel schedules them beside the carriers, so a burst
        // of new connections (each started as a virtual thread on the carriers) cannot queue the
        // acceptors behind it while the listen backlog overflows.
        this.acceptorFactory = Thread.ofPlatform().daemon().name(prefix + "acceptor-", 0).factory();
        this.connectionFactory = Thread.ofVirtual().name(prefix + "connection-", 0).factory();
    }

    Thread startAcceptor(Runnable body) {
        return start(acceptorFactory, body);
    }

    /**
     * Starts a connection's thread, which calls {@code step} until it returns {@code false}. Its
     * stack keeps only these frames and the JDK's beneath them for the connection's life; see
     * {@link ConnectionProcess#step()} and {@link #warmUp()}.
     */
    Thread startConnection(BooleanSupplier step) {
        return startSteps(connectionFactory, step);
    }

    private Thread startSteps(ThreadFactory factory, BooleanSupplier step) {
        return start(factory, () -> runSteps(step));
    }

    private static void runSteps(BooleanSupplier step) {
        while (step.getAsBoolean()) {
            // Each step returns; the next one is a fresh call, compiled once the method is hot.
        }
    }

    /**
     * Once per JVM, before the first server accepts: starts and joins {@value #WARM_UP_THREADS}
     * threads that take the same path as a connection's thread and end at once, so the JIT
     * compiles the frames that stay at the bottom of every connection's stack (the JDK's entry
     * into a virtual thread, {@link #start}'s wrapper, {@link #runSteps}).
     *
     * <p>Without it, the connections of a first burst (clients reconnecting to a restarted server)
     * keep those frames interpreted for life, because HotSpot compiles a method for later calls,
     * never for a call already running. A stack with an interpreted frame is frozen and thawed on
     * the slow path at every park and unpark: measured, the libjvm share of the server's CPU
     * at 1,000 busy connections fell from 5-11% to 4-5% once those frames were compiled
     * (docs/BENCHMARKS.md, tuning log). It costs about 40 ms, once per JVM, on the first start
     * (2 cores); HotSpot compiles a method after about 200 calls.
     */
    void warmUp() throws InterruptedException {
        if (!WARMED_UP.compareAndSet(false, true)) {
            return;
        }
        ThreadFactory factory = Thread.ofVirtual().name(prefix + "warm-up-", 0).factory();
        List<Thread> started = new ArrayList<>(WARM_UP_THREADS);
        for (int i = 0; i < WARM_UP_THREADS; i++) {
            started.add(startSteps(factory, NO_STEPS));
        }
        for (Thread thread : started) {
            // Bounded: each ends at its first step; the bound only guards against a stuck scheduler.
            if (!thread.join(WARM_UP_JOIN_TIMEOUT)) {
                return;
            }
        }
    }

    /**
     * Starts a socket watcher. Not counted: watchers outlive the connections they serve and are
     * stopped and joined after them. A virtual thread where the JDK lets one block in a selector
     * without pinning its carrier, else a platform thread; see {@link SocketWatcher}.
     */
    Thread startWatcher(Runnable body) {
        Thread.Builder builder = SocketWatcher.runsOnVirtualThreads()
                ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        return builder.name(prefix + "watcher-" + watcherCount.getAndIncrement()).start(body);
    }

    /**
     * Starts the thread that reloads TLS files when they change. Not counted: the server stops it
     * before it waits for the counted threads.
     */
    Thread startTlsFileWatcher(Runnable body) {
        return Thread.ofVirtual().name(prefix + "tls-files").start(body);
    }

    /**
     * Starts the thread that stops the server on behalf of one of the server's own threads. It is
     * not counted: stopping waits for every counted thread, and must not wait for itself.
     */
    void startStopper(Runnable body) {
        Thread.ofVirtual().name(prefix + "stop").start(body);
    }

    /**
     * Starts a thread that enforces one deadline of the low-level API (a TLS handshake on a
     * {@link dev.glisten.socket.ClientSocket}), which belongs to no server. It ends when its step
     * does, so nothing needs to wait for it.
     */
    static Thread startDeadlineWatchdog(Runnable body) {
        return Thread.ofVirtual().name("glisten-tls-deadline").start(body);
    }

    /** Whether {@code thread} is one this server started and that is still running. */
    boolean isOwn(Thread thread) {
        return live.contains(thread);
    }

    /** Waits until every counted thread has ended or the timeout passes; returns whether all ended. */
    boolean awaitAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : live) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !thread.join(Duration.ofNanos(left))) {
                break;
            }
        }
        return alive() == 0;
    }

    void interruptAll() {
        for (Thread thread : live) {
            thread.interrupt();
        }
    }

    int alive() {
        int count = 0;
        for (Thread thread : live) {
            if (thread.isAlive()) {
                count++;
            }
        }
        return count;
    }

    private Thread start(ThreadFactory factory, Runnable body) {
        Thread thread = factory.newThread(() -> {
            try {
                body.run();
            } finally {
                live.remove(Thread.currentThread());
            }
        });
        // Registered before it starts, so a concurrent stop cannot miss it.
        live.add(thread);
        try {
            thread.start();
        } catch (RuntimeException | Error e) {
            live.remove(thread);
            throw e;
        }
        return thread;
    }
}
