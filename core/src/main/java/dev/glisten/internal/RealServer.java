package dev.glisten.internal;

import dev.glisten.ConnectionInfo;
import dev.glisten.DrainReport;
import dev.glisten.Server;
import dev.glisten.ServerStats;
import dev.glisten.Tls;
import dev.glisten.internal.accept.AcceptorPool;
import dev.glisten.internal.accept.ConnectionLimit;
import dev.glisten.internal.accept.Listeners;
import dev.glisten.internal.accept.UnixSocketFile;
import dev.glisten.internal.connection.OpenConnections;
import dev.glisten.internal.events.ServerCounters;
import dev.glisten.internal.io.Descriptors;
import dev.glisten.internal.io.SocketWatcher;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.ServerTls;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine behind {@link Server}: it ties together the listen sockets and their acceptors
 * ({@link AcceptorPool}), the socket watchers, the open connections ({@link OpenConnections}) and
 * the server's TLS ({@link ServerTls}), and runs their start, suspend, resume and shutdown.
 *
 * <p>Which thread changes what: the listeners and the acceptors are replaced only under
 * {@code lifecycle} (start, suspend, resume, the first phase of shutting down); connections add
 * and remove themselves from the open set; the TLS configuration is swapped whole.
 */
public final class RealServer<S, M> implements Server {

    private static final System.Logger LOG = System.getLogger("dev.glisten");
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration AFTER_INTERRUPT_TIMEOUT = Duration.ofSeconds(1);

    private final ServerConfig<S, M> config;
    // An InetSocketAddress with the real port, or the UnixDomainSocketAddress of the socket file.
    private final SocketAddress address;
    private final Threads threads;
    private final List<SocketWatcher> watchers = new ArrayList<>();
    private final List<Thread> watcherThreads = new ArrayList<>();
    private final AtomicInteger nextWatcher = new AtomicInteger();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final ConnectionLimit limit;
    private final ServerCounters counters = new ServerCounters();
    private final ServerTls tls;
    private final OpenConnections<S, M> connections;
    private final ReentrantLock lifecycle = new ReentrantLock();
    // Guarded by lifecycle.
    private final AcceptorPool acceptors;
    private boolean suspended;
    private Thread tlsFileWatcher;

    private volatile boolean forceStop;

    private RealServer(ServerConfig<S, M> config, List<ServerSocketChannel> listeners) throws IOException {
        this.config = config;
        this.address = listeners.get(0).getLocalAddress();
        this.threads = new Threads(address instanceof InetSocketAddress inet
                ? String.valueOf(inet.getPort()) : "unix-" + config.unixPath().getFileName());
        this.limit = new ConnectionLimit(config.maxConnections());
        // One watcher per processor, like an event loop per core; the carriers run the connections.
        int processors = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.tls = new ServerTls(config.tls(), 2 * processors);
        this.connections = new OpenConnections<>(config, threads, tls, limit, counters, processors, stopping::get);
        this.acceptors = new AcceptorPool(config, listeners, address, threads, limit, counters.acceptErrors,
                this::accepted);
        try {
            for (int i = 0; i < processors; i++) {
                watchers.add(new SocketWatcher());
            }
        } catch (IOException e) {
            watchers.forEach(SocketWatcher::stop);
            throw e;
        }
    }

    /** Binds, starts the socket watchers and the acceptors, and returns the running server. */
    public static <S, M> Server start(ServerConfig<S, M> config) throws IOException {
        List<ServerSocketChannel> listeners = AcceptorPool.listen(config, config.port());
        RealServer<S, M> server;
        try {
            server = new RealServer<>(config, listeners);
        } catch (IOException | RuntimeException e) {
            listeners.forEach(Descriptors::release);
            if (config.unixPath() != null) {
                UnixSocketFile.remove(config.unixPath(), UnixSocketFile.key(config.unixPath()));
            }
            throw e;
        }
        server.startThreads();
        LOG.log(Level.INFO, () -> "glisten listening on " + Listeners.describe(server.address)
                + (server.tls.current() != null ? " (TLS)" : "") + " with " + config.acceptors() + " acceptors"
                + (listeners.size() > 1 ? " on " + listeners.size() + " listen sockets (SO_REUSEPORT)" : ""));
        return server;
    }

    private void startThreads() {
        try {
            threads.warmUp();
        } catch (InterruptedException e) {
            // Only a warm-up: serve anyway, and leave the interrupt for the caller to see.
            Thread.currentThread().interrupt();
        }
        for (SocketWatcher watcher : watchers) {
            watcherThreads.add(threads.startWatcher(watcher));
        }
        if (tls.watchesFiles()) {
            tlsFileWatcher = threads.startTlsFileWatcher(tls.fileWatcher(this::reloadTls, this::isRunning));
        }
        lifecycle.lock();
        try {
            acceptors.start();
        } finally {
            lifecycle.unlock();
        }
    }

    /** Runs on an acceptor: hands the connection to the next watcher in turn. */
    private void accepted(SocketChannel channel) {
        connections.accepted(channel, watchers.get(Math.floorMod(nextWatcher.getAndIncrement(), watchers.size())));
    }

    @Override
    public ServerStats stats() {
        return connections.stats();
    }

    @Override
    public <T> List<ConnectionInfo<T>> connections() {
        return connections.infos();
    }

    @Override
    public void maxConnections(int newLimit) {
        limit.change(newLimit);
    }

    @Override
    public void reloadTls() {
        RealTls reloaded = tls.reload();
        LOG.log(Level.INFO, () -> "glisten on " + Listeners.describe(address) + " reloaded " + reloaded);
    }

    @Override
    public void reloadTls(Tls replacement) {
        tls.replace(replacement);
    }

    @Override
    public InetSocketAddress address() {
        if (address instanceof InetSocketAddress inet) {
            return inet;
        }
        throw new IllegalStateException("this server listens on the Unix domain socket " + config.unixPath()
                + ", which has no IP address or port; see unixPath()");
    }

    @Override
    public Optional<Path> unixPath() {
        return Optional.ofNullable(config.unixPath());
    }

    /** How many connections each listen socket gave, in the order they were opened. */
    long[] acceptedPerListenSocket() {
        return acceptors.acceptedPerListenSocket();
    }

    @Override
    public int connectionCount() {
        return connections.count();
    }

    @Override
    public boolean isRunning() {
        return !stopping.get();
    }

    @Override
    public void suspend() {
        lifecycle.lock();
        try {
            requireRunning("suspend");
            if (suspended) {
                return;
            }
            suspended = true;
            acceptors.stop();
            LOG.log(Level.INFO, () -> "glisten suspended accepting on " + Listeners.describe(address));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lifecycle.unlock();
        }
    }

    @Override
    public void resume() throws IOException {
        lifecycle.lock();
        try {
            requireRunning("resume");
            if (!suspended) {
                return;
            }
            acceptors.reopen();
            suspended = false;
            acceptors.start();
            LOG.log(Level.INFO, () -> "glisten resumed accepting on " + Listeners.describe(address));
        } finally {
            lifecycle.unlock();
        }
    }

    @Override
    public boolean isSuspended() {
        lifecycle.lock();
        try {
            return suspended;
        } finally {
            lifecycle.unlock();
        }
    }

    private void requireRunning(String action) {
        if (stopping.get()) {
            throw new IllegalStateException("cannot " + action + ": the server is stopping");
        }
    }

    @Override
    public void stop() {
        forceStop = true;
        shutdown(Duration.ZERO);
    }

    @Override
    public DrainReport shutdown(Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative() || drainTimeout.compareTo(ServerConfig.LONGEST_TIMEOUT) > 0) {
            throw new IllegalArgumentException("drainTimeout must be from zero to " + ServerConfig.LONGEST_TIMEOUT.toDays()
                    + " days, got " + drainTimeout);
        }
        // Decided here, not on the stopper thread: isRunning() is false as soon as this returns.
        boolean first = stopping.compareAndSet(false, true);
        if (threads.isOwn(Thread.currentThread())) {
            // Called from a handler (or onClose): its own connection cannot end until it returns,
            // so stop from another thread and return now.
            if (first) {
                threads.startStopper(() -> shutDown(drainTimeout));
            }
            return null;
        }
        if (first) {
            return shutDown(drainTimeout);
        }
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /**
     * The work of the first stop or shutdown: listener, then (when draining) the notice and the
     * wait, then closing the connections left, then every thread.
     */
    private DrainReport shutDown(Duration drainTimeout) {
        long started = System.nanoTime();
        int open = 0;
        int forced = 0;
        try {
            lifecycle.lock();
            try {
                // Listener first: from here on the kernel refuses new clients instead of queueing them.
                acceptors.stop();
            } finally {
                lifecycle.unlock();
            }
            if (tlsFileWatcher != null) {
                tlsFileWatcher.interrupt();
                tlsFileWatcher.join(JOIN_TIMEOUT);
            }
            open = connections.count();
            if (!drainTimeout.isZero() && !forceStop) {
                connections.noticeShutdown(drainTimeout);
                long deadline = started + drainTimeout.toNanos();
                while (!connections.isEmpty() && !forceStop && System.nanoTime() - deadline < 0) {
                    Thread.sleep(1);
                }
            }
            // Forced: the connections this close ends, not those already ending by themselves.
            forced = connections.closeAll();
            if (!awaitConnectionsEnded(config.stopTimeout())) {
                LOG.log(Level.WARNING, () -> threads.alive() + " connection threads still busy "
                        + config.stopTimeout() + " after their sockets were closed; interrupting them");
                threads.interruptAll();
                if (!awaitConnectionsEnded(AFTER_INTERRUPT_TIMEOUT)) {
                    LOG.log(Level.WARNING, () -> threads.alive()
                            + " threads ignored the interrupt; the server is stopped without them");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Last: closing a selector also releases the descriptors of the channels closed on it.
            watchers.forEach(SocketWatcher::stop);
            joinQuietly(watcherThreads);
        }
        DrainReport report = new DrainReport(Math.max(0, open - forced), forced,
                Duration.ofNanos(System.nanoTime() - started));
        LOG.log(Level.INFO, () -> "glisten stopped listening on " + Listeners.describe(address)
                + (drainTimeout.isZero() ? "" : "; " + report));
        terminated.countDown();
        return report;
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Waits until every connection has run onClose (including ones accepted but not yet started by
     * their watcher) and every counted thread has ended; returns whether that happened in time.
     */
    private boolean awaitConnectionsEnded(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!connections.isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        long left = deadline - System.nanoTime();
        return threads.awaitAll(Duration.ofNanos(Math.max(0, left)));
    }

    private static void joinQuietly(List<Thread> threads) {
        for (Thread thread : threads) {
            try {
                thread.join(JOIN_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    @Override
    public String toString() {
        return "Server[" + Listeners.describe(address) + ", " + connections.count() + " connections"
                + (isRunning() ? "" : ", stopped") + "]";
    }
}
