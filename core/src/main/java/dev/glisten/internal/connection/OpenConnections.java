package dev.glisten.internal.connection;

import dev.glisten.CloseReason;
import dev.glisten.MailboxOverflow;
import dev.glisten.ConnectionInfo;
import dev.glisten.ServerStats;
import dev.glisten.internal.ServerConfig;
import dev.glisten.internal.Threads;
import dev.glisten.internal.accept.AddressLimit;
import dev.glisten.internal.accept.ConnectionLimit;
import dev.glisten.internal.events.ServerCounters;
import dev.glisten.internal.events.ServerEvents;
import dev.glisten.internal.io.Descriptors;
import dev.glisten.internal.io.SocketWatcher;
import dev.glisten.internal.io.WatchedSocket;
import dev.glisten.internal.loop.ConnectionLoop;
import dev.glisten.internal.loop.Inbound;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.ServerTls;
import dev.glisten.internal.tls.TlsChannel;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The connections of one server: each is made here from an accepted socket, admitted under the
 * per-address limit, registered and started on its own thread; each leaves once its
 * {@code onClose} has run, giving back its slots, its bytes moving into the server's totals. Also
 * what the connections share: the server's configuration, its TLS and their read buffers.
 *
 * <p>Threads: acceptors hand sockets over ({@link #accepted}); a connection's own thread reports
 * its PROXY header and its end (this is its {@link ConnectionSide}); any thread takes snapshots, and the server's stopping thread tells
 * or closes them all. The open set is a concurrent set: none of them waits for another.
 */
public final class OpenConnections<S, M> implements ConnectionSide<S, M> {

    private static final System.Logger LOG = System.getLogger("dev.glisten");

    private final Set<ConnectionProcess<S, M>> open = ConcurrentHashMap.newKeySet();
    private final ServerConfig<S, M> config;
    private final Inbound.Pool inboundBuffers;
    private final Threads threads;
    private final ServerTls tls;
    private final ConnectionLimit limit;
    private final AddressLimit addressLimit;
    private final ServerCounters counters;
    private final BooleanSupplier stopping;

    /**
     * @param processors how many the machine has: read buffers are kept for about as many handlers
     *     as can run at once
     * @param stopping whether the server is stopping: a connection accepted then is closed at once
     */
    public OpenConnections(ServerConfig<S, M> config, Threads threads, ServerTls tls, ConnectionLimit limit,
            ServerCounters counters, int processors, BooleanSupplier stopping) {
        this.config = config;
        // Buffers are held while their packets are handled, not only for the read: a few more
        // than the carriers that can run handlers at once.
        this.inboundBuffers = new Inbound.Pool(config.readBufferSize(), Math.max(16, 4 * processors));
        this.threads = threads;
        this.tls = tls;
        this.limit = limit;
        this.addressLimit = new AddressLimit(config.maxConnectionsPerAddress());
        this.counters = counters;
        this.stopping = stopping;
    }

    /**
     * Runs on an acceptor, which took a slot of the connection limit for this connection: admits
     * it (or not, per address), registers it, then has {@code watcher} start its thread.
     */
    public void accepted(SocketChannel channel, SocketWatcher watcher) {
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
        open.add(process);
        if (stopping.getAsBoolean()) {
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

    private void connectionEnded(ConnectionProcess<S, M> process, CloseReason reason) {
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
        if (!open.contains(process)) {
            return false;
        }
        SocketAddress counted = process.countedAs();
        if (counted != null) {
            addressLimit.closed(counted);
        }
        return open.remove(process);
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
    private boolean admitProxied(ConnectionProcess<S, M> process) {
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

    // --- ConnectionSide ---

    @Override
    public LoopOptions<S, M> loop() {
        return config.loop();
    }

    @Override
    public Inbound.Pool inboundBuffers() {
        return inboundBuffers;
    }

    @Override
    public SocketOptions socketOptions() {
        return config.socketOptions();
    }

    @Override
    public Duration sendTimeout() {
        return config.sendTimeout();
    }

    @Override
    public boolean isClient() {
        return false;
    }

    @Override
    public void opened(ConnectionProcess<S, M> process) {
        ServerEvents.connectionOpened(process.peerAddress(), process.localAddress());
    }

    /** Reads the PROXY header (then admits the client under its address), then shakes hands. */
    @Override
    public boolean prepare(ConnectionProcess<S, M> process) {
        if (config.proxyProtocol() != null) {
            try {
                process.receiveProxyHeader(config.proxyProtocol());
            } catch (IOException e) {
                if (!process.hasClose()) {
                    counters.proxyHeaderRejections.increment();
                    LOG.log(Level.DEBUG, () -> "PROXY protocol header from " + process.socket().peerAddress()
                            + " rejected: " + e);
                }
                process.finishEarly(new CloseReason.ProxyHeaderRejected(e));
                return false;
            }
            if (!admitProxied(process)) {
                // As for a connection refused at accept: closed before onInit, with no onClose.
                process.abandon();
                return false;
            }
        }
        RealTls serverTls = tls.current();
        return serverTls == null || process.handshake(serverTls(process, serverTls), serverTls.handshakeTimeout());
    }

    @Override
    public TlsChannel serverTls(ConnectionProcess<S, M> process, RealTls with) {
        return tls.channel(process.socket(), with, process.peerAddress(), config.sendTimeout());
    }

    @Override
    public void handshakeEnded(boolean succeeded) {
        (succeeded ? counters.tlsHandshakes : counters.tlsHandshakeFailures).increment();
    }

    @Override
    public void mailboxOverflowed(SocketAddress peer, int capacity, MailboxOverflow policy) {
        counters.mailboxOverflows.increment();
        ServerEvents.mailboxOverflowed(peer, capacity, policy);
    }

    /** Called once the connection's onClose has run (or it could not even start). */
    @Override
    public void ended(ConnectionProcess<S, M> process, CloseReason reason) {
        ServerEvents.connectionClosed(process.peerAddress(), reason, process.age(), process.bytesReceived(),
                process.bytesSent());
        connectionEnded(process, reason);
    }

    /** The server's stats: one pass over the open connections. */
    public ServerStats stats() {
        return counters.snapshot(open, limit.pauses());
    }

    /** A snapshot for {@link dev.glisten.Server#connections()}. */
    public <T> List<ConnectionInfo<T>> infos() {
        List<ConnectionInfo<T>> snapshot = new ArrayList<>(open.size());
        for (ConnectionProcess<S, M> connection : open) {
            snapshot.add(connection.info());
        }
        return snapshot;
    }

    public int count() {
        return open.size();
    }

    public boolean isEmpty() {
        return open.isEmpty();
    }

    /** Tells every connection's loop of a graceful shutdown, once, after its current call. */
    public void noticeShutdown(Duration drainTimeout) {
        for (ConnectionProcess<S, M> connection : open) {
            connection.noticeShutdown(drainTimeout);
        }
    }

    /**
     * Closes every connection for {@link CloseReason.ServerStopped}.
     *
     * @return how many this call ended, not counting those already ending by themselves
     */
    public int closeAll() {
        int forced = 0;
        for (ConnectionProcess<S, M> connection : open) {
            if (connection.closeWith(ConnectionLoop.SERVER_STOPPED)) {
                forced++;
            }
        }
        return forced;
    }
}
