package dev.glisten.internal.accept;

import dev.glisten.internal.ServerConfig;
import dev.glisten.internal.Threads;
import dev.glisten.internal.io.Descriptors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A server's listen sockets and the acceptors on them, each acceptor under a {@link Supervisor}.
 * Started when the server starts and again when it resumes; stopped (listen sockets first) when it
 * suspends and when it stops.
 *
 * <p>Not thread-safe: the server calls it under its lifecycle lock. The acceptors run on their own
 * platform threads and hand each accepted socket to {@code onAccepted}.
 */
public final class AcceptorPool {

    private static final Duration ACCEPTOR_JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final ServerConfig<?, ?> config;
    private final SocketAddress address;
    private final Threads threads;
    private final ConnectionLimit limit;
    private final LongAdder errors;
    private final Consumer<SocketChannel> onAccepted;
    // Connections each listen socket gave, for tests of how SO_REUSEPORT spreads them.
    private final LongAdder[] acceptedPerListener;
    private final List<Thread> acceptors = new ArrayList<>();
    private List<ServerSocketChannel> listeners;
    private Object unixFileKey;

    /**
     * Takes over {@code listeners}, opened by {@link #listen}; starts nothing yet.
     *
     * @param address the server's address: the first listener's
     * @param onAccepted takes each connection and its slot of {@code limit} (see {@link Acceptor})
     * @param errors counts failed accepts
     */
    public AcceptorPool(ServerConfig<?, ?> config, List<ServerSocketChannel> listeners, SocketAddress address,
            Threads threads, ConnectionLimit limit, LongAdder errors, Consumer<SocketChannel> onAccepted) {
        this.config = config;
        this.listeners = listeners;
        this.address = address;
        this.threads = threads;
        this.limit = limit;
        this.errors = errors;
        this.onAccepted = onAccepted;
        this.unixFileKey = config.unixPath() == null ? null : UnixSocketFile.key(config.unixPath());
        this.acceptedPerListener = new LongAdder[listeners.size()];
        Arrays.setAll(acceptedPerListener, i -> new LongAdder());
    }

    /** Opens the listen sockets: the socket file, or {@code listenSockets} sockets on {@code port}. */
    public static List<ServerSocketChannel> listen(ServerConfig<?, ?> config, int port) throws IOException {
        if (config.unixPath() != null) {
            return List.of(Listeners.listen(config.unixPath(), config.socketOptions()));
        }
        return Listeners.listen(port, config.socketOptions(), config.listenSockets());
    }

    /**
     * Starts the acceptors on the current listeners, dealt out in turn so that each listener gets
     * {@code acceptors / listeners} of them or one more, as Ranch does.
     */
    public void start() {
        AtomicBoolean exhausted = new AtomicBoolean();
        for (int i = 0; i < config.acceptors(); i++) {
            int index = i % listeners.size();
            ServerSocketChannel current = listeners.get(index);
            LongAdder counted = acceptedPerListener[index];
            String name = "acceptor " + i + " of " + Listeners.describe(address)
                    + (listeners.size() > 1 ? " (listen socket " + index + ")" : "");
            Acceptor acceptor = new Acceptor(current, channel -> {
                counted.increment();
                onAccepted.accept(channel);
            }, Thread::sleep, exhausted, limit, errors);
            acceptors.add(threads.startAcceptor(
                    () -> Supervisor.supervise(name, acceptor, current::isOpen, Thread::sleep)));
        }
    }

    /**
     * Closes the listeners (the kernel refuses new clients from then on; a socket file is removed,
     * so local clients are refused too) and waits for the acceptors to end.
     */
    public void stop() throws InterruptedException {
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

    /** After {@link #stop}: opens the listen sockets again, on the same port or socket file. */
    public void reopen() throws IOException {
        listeners = listen(config, address instanceof InetSocketAddress inet ? inet.getPort() : 0);
        if (config.unixPath() != null) {
            unixFileKey = UnixSocketFile.key(config.unixPath());
        }
    }

    /** How many connections each listen socket gave, in the order they were opened. */
    public long[] acceptedPerListenSocket() {
        return Arrays.stream(acceptedPerListener).mapToLong(LongAdder::sum).toArray();
    }
}
