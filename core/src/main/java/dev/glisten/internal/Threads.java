package dev.glisten.internal;

import dev.glisten.internal.io.SocketWatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Every thread a server starts is started here, so that stopping can wait for all of them and
 * nothing outlives the server unnoticed. All are virtual threads: they park on socket I/O instead
 * of holding a carrier.
 */
public final class Threads {

    /** Comfortably past HotSpot's default threshold for compiling a method (200 calls at tier 3). */
    private static final int WARM_UP_THREADS = 1_000;
    private static final Duration WARM_UP_JOIN_TIMEOUT = Duration.ofSeconds(1);
    private static final AtomicBoolean WARMED_UP = new AtomicBoolean();

    private final String prefix;
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger watcherCount = new AtomicInteger();
    // Factories, not builders: a builder is not safe for concurrent use, and acceptors start
    // connections concurrently.
    private final ThreadFactory acceptorFactory;
    private final ThreadFactory connectionFactory;

    public Threads(String serverName) {
        this.prefix = "glisten-" + serverName + "-";
        // Acceptors are platform threads: the kernel schedules them beside the carriers, so a burst
        // of new connections (each started as a virtual thread on the carriers) cannot queue the
        // acceptors behind it while the listen backlog overflows.
        this.acceptorFactory = Thread.ofPlatform().daemon().name(prefix + "acceptor-", 0).factory();
        this.connectionFactory = Thread.ofVirtual().name(prefix + "connection-", 0).factory();
    }

    public Thread startAcceptor(Runnable body) {
        return start(acceptorFactory, body);
    }

    /**
     * Starts a connection's thread, which runs {@code steps} until one says {@link Steps.Outcome#DONE}.
     * Its stack keeps only these frames and the JDK's beneath them for the connection's life, and
     * it parks from them; see {@link Steps} and {@link #warmUp()}.
     */
    public Thread startConnection(Steps steps) {
        return startSteps(connectionFactory, steps);
    }

    private Thread startSteps(ThreadFactory factory, Steps steps) {
        return start(factory.newThread(new StepRunner(steps)));
    }

    /**
     * The body of a thread that runs steps. Its {@link #run()} is the only frame of ours that stays
     * on the thread's stack, and the thread parks from it, so a parked thread's stack is this frame
     * and the JDK's beneath it (about 500 B); a loop, so that even a frame entered before the JIT
     * compiled it is moved to compiled code (OSR) as it turns.
     */
    private final class StepRunner implements Runnable {

        private final Steps steps;

        StepRunner(Steps steps) {
            this.steps = steps;
        }

        @Override
        public void run() {
            try {
                for (;;) {
                    Steps.Outcome outcome = steps.step();
                    if (outcome == Steps.Outcome.PARK) {
                        long deadline = steps.parkDeadline();
                        if (deadline == 0) {
                            LockSupport.park(steps);
                        } else {
                            LockSupport.parkNanos(steps, deadline - System.nanoTime());
                        }
                    } else if (outcome == Steps.Outcome.DONE) {
                        return;
                    }
                }
            } finally {
                // A no-op for a watcher, which is not counted.
                live.remove(Thread.currentThread());
            }
        }
    }

    /**
     * Once per JVM, before the first server accepts: starts {@value #WARM_UP_THREADS} threads that
     * take the same path as a connection's thread ({@link StepRunner}), park once from it (half of
     * them with a deadline, as a connection with an idle timeout or a lifetime does), and end when
     * unparked; so that the JIT has seen every frame a waiting connection's stack holds called
     * often enough to compile it before the first connection parks.
     *
     * <p>Without it, the connections of a first burst (clients reconnecting to a restarted server)
     * keep interpreted frames at the bottom of their stacks for life, because HotSpot compiles a
     * method for later calls, never for a call already running. A stack with an interpreted frame
     * is frozen and thawed on the slow path at every park and unpark (measured, the libjvm share of
     * the server's CPU at 1,000 busy connections fell from 5-11% to 4-5% once those frames were
     * compiled), and its stack chunk is larger and is replaced at a later park (see {@link Steps};
     * docs/BENCHMARKS.md, tuning log). It costs about 40 ms, once per JVM, on the first start
     * (2 cores); HotSpot compiles a method after about 200 calls.
     */
    public void warmUp() throws InterruptedException {
        if (!WARMED_UP.compareAndSet(false, true)) {
            return;
        }
        ThreadFactory factory = Thread.ofVirtual().name(prefix + "warm-up-", 0).factory();
        List<Thread> started = new ArrayList<>(WARM_UP_THREADS);
        for (int i = 0; i < WARM_UP_THREADS; i++) {
            started.add(startSteps(factory, new ParkOnce(i % 2 == 0)));
        }
        for (Thread thread : started) {
            // One that has not parked yet keeps this permit and does not park at all: harmless.
            LockSupport.unpark(thread);
        }
        for (Thread thread : started) {
            // Bounded: each ends once unparked; the bound only guards against a stuck scheduler.
            if (!thread.join(WARM_UP_JOIN_TIMEOUT)) {
                return;
            }
        }
    }

    /** A warm-up thread's steps: park once, then end. */
    private static final class ParkOnce implements Steps {

        private final boolean withDeadline;
        private boolean parked;

        ParkOnce(boolean withDeadline) {
            this.withDeadline = withDeadline;
        }

        @Override
        public Outcome step() {
            if (parked) {
                return Outcome.DONE;
            }
            parked = true;
            return Outcome.PARK;
        }

        @Override
        public long parkDeadline() {
            // Far enough never to pass: the warm-up unparks every thread itself.
            return withDeadline ? System.nanoTime() + WARM_UP_JOIN_TIMEOUT.toNanos() : 0;
        }
    }

    /**
     * Starts a socket watcher, which runs its steps as a connection's thread does. Not counted:
     * watchers outlive the connections they serve and are stopped and joined after them. A
     * virtual thread where the JDK lets one block in a selector without pinning its carrier, else
     * a platform thread; see {@link SocketWatcher}.
     */
    public Thread startWatcher(SocketWatcher watcher) {
        Thread.Builder builder = SocketWatcher.runsOnVirtualThreads()
                ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        return builder.name(prefix + "watcher-" + watcherCount.getAndIncrement()).start(new StepRunner(watcher));
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
    public static Thread startDeadlineWatchdog(Runnable body) {
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
        return start(factory.newThread(() -> {
            try {
                body.run();
            } finally {
                live.remove(Thread.currentThread());
            }
        }));
    }

    private Thread start(Thread thread) {
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
