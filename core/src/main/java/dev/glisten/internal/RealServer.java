package dev.glisten.internal;

import dev.glisten.internal.connection.ConnectionLoop;
import dev.glisten.internal.connection.Inbound;
import dev.glisten.internal.connection.LoopOptions;
import dev.glisten.CloseReason;
import dev.glisten.ConnectionInfo;
import dev.glisten.DrainReport;
import dev.glisten.Server;
import dev.glisten.ServerStats;
import dev.glisten.Tls;
import dev.glisten.internal.tls.RealTls;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine behind {@link Server}: listener, acceptor pool, connections and their shutdown.
 *
 * <p>Which thread changes what: the listeners and the acceptors are replaced only under
 * {@code lifecycle} (start, suspend, resume, the first phase of shutting down); connections add
 * and remove themselves from {@code connections}; the TLS configuration is swapped whole.
 */
public final class RealServer<S, M> implements Server {

    private static final System.Logger LOG = System.getLogger("dev.glisten");
    private static final Duration ACCEPTOR_JOIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration AFTER_INTERRUPT_TIMEOUT = Duration.ofSeconds(1);

    private final ServerConfig<S, M> config;
    // An InetSocketAddress with the real port, or the UnixDomainSocketAddress of the socket file.
    private final SocketAddress address;
    private final Threads threads;
    private final Set<ConnectionProcess<S, M>> connections = ConcurrentHashMap.newKeySet();
    private final List<SocketWatcher> watchers = new ArrayList<>();
    private final List<Thread> watcherThreads = new ArrayList<>();
    private final Inbound.Pool inboundBuffers;
    private final LoopOptions<S, M> loopOptions;
    private final AtomicInteger nextWatcher = new AtomicInteger();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final ConnectionLimit limit;
    private final AddressLimit addressLimit;
    private final ServerCounters counters = new ServerCounters();
    private final ReentrantLock lifecycle = new ReentrantLock();
    private final ReentrantLock tlsBuffersLock = new ReentrantLock();
    // Connections each listen socket gave, for tests of how SO_REUSEPORT spreads them.
    private final LongAdder[] acceptedPerListener;
    // Guarded by lifecycle.
    private List<ServerSocketChannel> listeners;
    private Object unixFileKey;
    private final List<Thread> acceptors = new ArrayList<>();
    private boolean suspended;
    private Thread tlsFileWatcher;

    private volatile boolean forceStop;
    private volatile RealTls tls;
    private volatile TlsBuffers tlsBuffers;

    private RealServer(ServerConfig<S, M> config, List<ServerSocketChannel> listeners) throws IOException {
        this.config = config;
        this.listeners = listeners;
        this.address = listeners.get(0).getLocalAddress();
        this.acceptedPerListener = new LongAdder[listeners.size()];
        Arrays.setAll(acceptedPerListener, i -> new LongAdder());
        this.threads = new Threads(address instanceof InetSocketAddress inet
                ? String.valueOf(inet.getPort()) : "unix-" + config.unixPath().getFileName());
        this.unixFileKey = config.unixPath() == null ? null : UnixSocketFile.key(config.unixPath());
        this.tls = config.tls();
        this.limit = new ConnectionLimit(config.maxConnections());
        this.addressLimit = new AddressLimit(config.maxConnectionsPerAddress());
        // One watcher per processor, like an event loop per core; the carriers run the connections.
        int processors = Math.max(1, Runtime.getRuntime().availableProcessors());
        // Buffers are held while their packets are handled, not only for the read: a few more
        // than the carriers that can run handlers at once.
        this.inboundBuffers = new Inbound.Pool(config.readBufferSize(), Math.max(16, 4 * processors));
        this.loopOptions = config.loopOptions();
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
        List<ServerSocketChannel> listeners = listen(config, config.port());
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
                + (server.tls != null ? " (TLS)" : "") + " with " + config.acceptors() + " acceptors"
                + (listeners.size() > 1 ? " on " + listeners.size() + " listen sockets (SO_REUSEPORT)" : ""));
        return server;
    }

    /** Opens the listen sockets: the socket file, or {@code listenSockets} sockets on {@code port}. */
    private static List<ServerSocketChannel> listen(ServerConfig<?, ?> config, int port) throws IOException {
        if (config.unixPath() != null) {
            return List.of(Listeners.listen(config.unixPath(), config.socketOptions()));
        }
        return Listeners.listen(port, config.socketOptions(), config.listenSockets());
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
        if (tls != null && tls.reloadInterval() != null) {
            TlsFileWatcher watcher = new TlsFileWatcher(tls.reloadInterval(), this::tls, this::reloadTls, this::isRunning);
            tlsFileWatcher = threads.startTlsFileWatcher(watcher);
        }
        lifecycle.lock();
        try {
            startAcceptors();
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Starts the acceptors on the current listeners, dealt out in turn so that each listener gets
     * {@code acceptors / listeners} of them or one more, as Ranch does; under {@code lifecycle}.
     */
    private void startAcceptors() {
        AtomicBoolean exhausted = new AtomicBoolean();
        for (int i = 0; i < config.acceptors(); i++) {
            int index = i % listeners.size();
            ServerSocketChannel current = listeners.get(index);
            LongAdder counted = acceptedPerListener[index];
            String name = "acceptor " + i + " of " + Listeners.describe(address)
                    + (listeners.size() > 1 ? " (listen socket " + index + ")" : "");
            Acceptor acceptor = new Acceptor(current, channel -> {
                counted.increment();
                accepted(channel);
            }, Thread::sleep, exhausted, limit, counters.acceptErrors);
            acceptors.add(threads.startAcceptor(
                    () -> Supervisor.supervise(name, acceptor, current::isOpen, Thread::sleep)));
        }
    }

    /**
     * Closes the listeners (the kernel refuses new clients from then on; a socket file is removed,
     * so local clients are refused too) and waits for the acceptors to end; under
     * {@code lifecycle}.
     */
    private void stopAccepting() throws InterruptedException {
        listeners.forEach(Descriptors::release);
        if (config.unixPath() != null) {
            UnixSocketFile.remove(config.unixPath(), unixFileKey);
            unixFileKey = null;
        }
        for (Thread acceptor : acceptors) {
            acceptor.interrupt();
        }
        for (Thread acceptor : acceptors) {
            acceptor.join(ACCEPTOR_JOIN_TIMEOUT);
        }
        acceptors.clear();
    }

    /**
     * Runs on an acceptor, which took a slot of the connection limit for this connection: admits
     * it (or not, per address), registers it, then has its watcher start its thread.
     */
    private void accepted(SocketChannel channel) {
        SocketWatcher watcher = watchers.get(Math.floorMod(nextWatcher.getAndIncrement(), watchers.size()));
        ConnectionProcess<S, M> process;
        try {
            process = new ConnectionProcess<>(this, new WatchedSocket(channel, watcher));
        } catch (IOException e) {
            // Reset before its addresses could be read: an accept error, as if accept(2) had failed.
            Descriptors.release(channel);
            limit.release();
            counters.acceptErrors.increment();
            LOG.log(Level.DEBUG, () -> "dropped a connection that failed before it started: " + e);
            return;
        }
        counters.accepted.increment();
        // With PROXY protocol the client's address is known only once the header is read, on the
        // connection's thread: the limit is checked there (admitProxied).
        if (config.proxyProtocol() == null && !admit(process)) {
            // Counted before the close, so a client that sees its connection refused sees it counted.
            counters.rejectedPerAddress.increment();
            Descriptors.release(channel);
            limit.release();
            LOG.log(Level.DEBUG, () -> "refused " + process.peerAddress() + ": it already has "
                    + config.maxConnectionsPerAddress() + " connections open");
            return;
        }
        connections.add(process);
        if (stopping.get()) {
            process.closeWith(ConnectionLoop.SERVER_STOPPED);
        }
        watcher.startSoon(() -> {
            try {
                threads.startConnection(process);
            } catch (RuntimeException | Error e) {
                // Out of memory for another thread: refuse this client, keep serving the others.
                Descriptors.release(channel);
                release(process);
                throw e;
            }
        });
    }

    /** Called once the connection's onClose has run (or it could not even start). */
    void connectionEnded(ConnectionProcess<S, M> process, CloseReason reason) {
        // Its bytes move to the totals as it leaves the open set, in one step no snapshot can
        // split; then its slots are given back, so the stats already show this end to whatever
        // the freed slot lets in next.
        if (counters.ended(process, reason, () -> leaveOpenSet(process))) {
            limit.release();
        }
    }

    private void release(ConnectionProcess<S, M> process) {
        if (leaveOpenSet(process)) {
            limit.release();
        }
    }

    /**
     * Takes the connection out of the open set and gives back its per-address slot first: a client
     * that sees the connection count drop may reconnect at once, and must find the slot free.
     */
    private boolean leaveOpenSet(ConnectionProcess<S, M> process) {
        if (!connections.contains(process)) {
            return false;
        }
        SocketAddress counted = process.countedAs();
        if (counted != null) {
            addressLimit.closed(counted);
        }
        return connections.remove(process);
    }

    /** Counts the connection under its peer address, unless that address is at its limit. */
    private boolean admit(ConnectionProcess<S, M> process) {
        SocketAddress address = process.peerAddress();
        if (!addressLimit.tryOpen(address)) {
            return false;
        }
        if (!addressLimit.isUnlimited()) {
            process.countedAs(address);
        }
        return true;
    }

    /**
     * On the connection's thread, once its PROXY header is read: admits it under the client's
     * address, or refuses it as {@link #accepted} would have (counted, no onClose, slot given back).
     */
    boolean admitProxied(ConnectionProcess<S, M> process) {
        if (admit(process)) {
            return true;
        }
        counters.rejectedPerAddress.increment();
        LOG.log(Level.DEBUG, () -> "refused " + process.peerAddress() + " (through the proxy at "
                + process.proxyAddress().orElse(null) + "): it already has " + config.maxConnectionsPerAddress()
                + " connections open");
        release(process);
        return false;
    }

    void mailboxOverflowed() {
        counters.mailboxOverflows.increment();
    }

    Inbound.Pool inboundBuffers() {
        return inboundBuffers;
    }

    LoopOptions<S, M> loopOptions() {
        return loopOptions;
    }

    void proxyHeaderRejected() {
        counters.proxyHeaderRejections.increment();
    }

    ServerConfig<S, M> config() {
        return config;
    }


    /** The TLS configuration new connections handshake with, or {@code null} for plain TCP. */
    RealTls tls() {
        return tls;
    }

    /** The buffers TLS connections borrow, made when the first one (or a STARTTLS) needs them. */
    TlsBuffers tlsBuffers() {
        TlsBuffers made = tlsBuffers;
        if (made == null) {
            tlsBuffersLock.lock();
            try {
                made = tlsBuffers;
                if (made == null) {
                    made = TlsBuffers.sized(2 * watchers.size());
                    tlsBuffers = made;
                }
            } finally {
                tlsBuffersLock.unlock();
            }
        }
        return made;
    }

    void tlsHandshakeCompleted() {
        counters.tlsHandshakes.increment();
    }

    void tlsHandshakeFailed() {
        counters.tlsHandshakeFailures.increment();
    }

    @Override
    public ServerStats stats() {
        return counters.snapshot(connections, limit.pauses());
    }

    @Override
    public <T> List<ConnectionInfo<T>> connections() {
        List<ConnectionInfo<T>> snapshot = new ArrayList<>(connections.size());
        for (ConnectionProcess<S, M> connection : connections) {
            snapshot.add(connection.info());
        }
        return snapshot;
    }

    @Override
    public void maxConnections(int newLimit) {
        limit.change(newLimit);
    }

    @Override
    public void reloadTls() {
        RealTls current = requireTls();
        reloadTls(current.reloaded());
        LOG.log(Level.INFO, () -> "glisten on " + Listeners.describe(address) + " reloaded " + tls);
    }

    @Override
    public void reloadTls(Tls replacement) {
        Objects.requireNonNull(replacement, "replacement");
        requireTls();
        tls = (RealTls) replacement;
    }

    private RealTls requireTls() {
        RealTls current = tls;
        if (current == null) {
            throw new IllegalStateException("this server was started without tls(...); there is nothing to reload");
        }
        return current;
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
        return Arrays.stream(acceptedPerListener).mapToLong(LongAdder::sum).toArray();
    }

    @Override
    public int connectionCount() {
        return connections.size();
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
            stopAccepting();
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
            listeners = listen(config, address instanceof InetSocketAddress inet ? inet.getPort() : 0);
            if (config.unixPath() != null) {
                unixFileKey = UnixSocketFile.key(config.unixPath());
            }
            suspended = false;
            startAcceptors();
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
                stopAccepting();
            } finally {
                lifecycle.unlock();
            }
            if (tlsFileWatcher != null) {
                tlsFileWatcher.interrupt();
                tlsFileWatcher.join(ACCEPTOR_JOIN_TIMEOUT);
            }
            open = connections.size();
            if (!drainTimeout.isZero() && !forceStop) {
                for (ConnectionProcess<S, M> connection : connections) {
                    connection.noticeShutdown(drainTimeout);
                }
                long deadline = started + drainTimeout.toNanos();
                while (!connections.isEmpty() && !forceStop && System.nanoTime() - deadline < 0) {
                    Thread.sleep(1);
                }
            }
            // Forced: the connections this close ends, not those already ending by themselves.
            for (ConnectionProcess<S, M> connection : connections) {
                if (connection.closeWith(ConnectionLoop.SERVER_STOPPED)) {
                    forced++;
                }
            }
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
                thread.join(ACCEPTOR_JOIN_TIMEOUT);
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
        return "Server[" + Listeners.describe(address) + ", " + connections.size() + " connections"
                + (isRunning() ? "" : ", stopped") + "]";
    }
}
