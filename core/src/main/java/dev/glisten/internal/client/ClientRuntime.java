package dev.glisten.internal.client;

import dev.glisten.internal.Threads;
import dev.glisten.internal.io.SocketWatcher;
import dev.glisten.internal.loop.Inbound;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What every client connection of the process shares, made at the first connect and kept for the
 * process's life, as the JDK keeps its own poller threads: the socket watchers (one per two
 * processors, each a selector and a thread that parks in it), the read buffer pools (one per
 * read buffer size in use), and the threads' names ({@code glisten-client-connection-N}). A
 * client's connections are spread over the watchers in turn.
 *
 * <p>Why shared and not per {@link dev.glisten.Client.Builder}: a builder is a value that may be
 * dropped at any time, with no stop to release threads; and watchers cost nothing while no
 * socket is ready. A watcher's thread is a virtual thread on JDK 24 and later, else a daemon
 * platform thread (see {@link SocketWatcher}), so it never keeps the JVM alive.
 */
public final class ClientRuntime {

    private static final ReentrantLock STARTING = new ReentrantLock();
    private static volatile ClientRuntime shared;

    private final Threads threads = new Threads("client");
    private final SocketWatcher[] watchers;
    private final AtomicInteger nextWatcher = new AtomicInteger();
    private final ConcurrentMap<Integer, Inbound.Pool> pools = new ConcurrentHashMap<>();
    private final int processors = Runtime.getRuntime().availableProcessors();

    private ClientRuntime() throws IOException {
        watchers = new SocketWatcher[Math.max(1, processors / 2)];
        for (int i = 0; i < watchers.length; i++) {
            watchers[i] = new SocketWatcher();
            threads.startWatcher(watchers[i]);
        }
    }

    /**
     * The process's client runtime, started at the first call.
     *
     * @throws IOException if a selector cannot be opened (out of file descriptors)
     */
    public static ClientRuntime get() throws IOException {
        ClientRuntime runtime = shared;
        if (runtime != null) {
            return runtime;
        }
        STARTING.lock();
        try {
            if (shared == null) {
                ClientRuntime made = new ClientRuntime();
                warmUp(made.threads);
                shared = made;
            }
            return shared;
        } finally {
            STARTING.unlock();
        }
    }

    private static void warmUp(Threads threads) throws IOException {
        try {
            threads.warmUp();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while starting the client runtime");
        }
    }

    /** The watcher for the next connection, in turn. */
    public SocketWatcher watcher() {
        return watchers[Math.floorMod(nextWatcher.getAndIncrement(), watchers.length)];
    }

    public Threads threads() {
        return threads;
    }

    /** The shared pool of read buffers of {@code size} bytes. */
    public Inbound.Pool buffers(int size) {
        return pools.computeIfAbsent(size, bytes -> new Inbound.Pool(bytes, Math.max(16, 4 * processors)));
    }
}
