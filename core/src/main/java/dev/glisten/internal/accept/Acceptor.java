package dev.glisten.internal.accept;

import dev.glisten.internal.events.ServerEvents;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Takes connections from the listen socket and hands each to the server, one after another. Several
 * acceptors share one listen socket; the kernel gives each accepted connection to exactly one.
 *
 * <p>Accept errors fall in three classes, as in ThousandIsland's acceptor and Ranch: the listen
 * socket was closed (the server is stopping: return); the process or system ran out of descriptors
 * or memory ({@code EMFILE}, {@code ENFILE}, {@code ENOBUFS}, {@code ENOMEM} in accept(2): back off,
 * doubling up to {@link #EXHAUSTED_MAX_BACKOFF}, so a burst of clients cannot make the acceptor
 * spin, and log once per burst); anything else concerns only the connection being accepted
 * ({@code ECONNABORTED} and the like: skip it).
 */
final class Acceptor implements Runnable {

    /**
     * The longest an acceptor sleeps while the process is out of descriptors or memory, as Ranch's
     * acceptor waits 100 ms on {@code emfile}: once descriptors free up, the next accept comes at
     * most this late (capped at a second, clients waited for the rest of that second after a flood
     * ended, up to 0.96 s measured), and ten acceptors retrying ten times a second cost no
     * measurable CPU (the reliability suite's descriptor-limit fault checks both).
     */
    static final Duration EXHAUSTED_MAX_BACKOFF = Duration.ofMillis(100);
    private static final System.Logger LOG = System.getLogger("dev.glisten.acceptor");
    // Loaded now: accept errors are reported when the process may be out of descriptors, and then
    // loading a class from a directory class path fails.
    private static final List<Class<?>> PRELOADED = ServerEvents.EVENTS;

    private final ServerSocketChannel listener;
    private final Consumer<SocketChannel> onAccepted;
    private final Supervisor.Sleeper sleeper;
    /** Shared by the acceptors of one listener, so a burst is logged once, not once per acceptor. */
    private final AtomicBoolean exhausted;
    private final ConnectionLimit limit;
    private final LongAdder errors;
    private final String listenAddress;

    /**
     * @param onAccepted takes the connection and its slot of {@code limit}, which it must give back
     *     when the connection ends
     * @param errors counts failed accepts
     */
    Acceptor(ServerSocketChannel listener, Consumer<SocketChannel> onAccepted, Supervisor.Sleeper sleeper,
            AtomicBoolean exhausted, ConnectionLimit limit, LongAdder errors) {
        this.listener = listener;
        this.onAccepted = onAccepted;
        this.sleeper = sleeper;
        this.exhausted = exhausted;
        this.limit = limit;
        this.errors = errors;
        this.listenAddress = describe(listener);
    }

    private static String describe(ServerSocketChannel listener) {
        try {
            return String.valueOf(listener.getLocalAddress());
        } catch (IOException closed) {
            return "a closed listener";
        }
    }

    @Override
    public void run() {
        Duration backoff = null;
        while (listener.isOpen()) {
            try {
                if (!limit.acquire(listener::isOpen)) {
                    return;
                }
            } catch (InterruptedException stopping) {
                return;
            }
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (ClosedChannelException closed) {
                limit.release();
                return;
            } catch (RuntimeException | Error e) {
                limit.release();
                throw e;
            } catch (IOException e) {
                limit.release();
                if (!listener.isOpen()) {
                    return;
                }
                errors.increment();
                ServerEvents.acceptFailed(listenAddress, e, isResourceExhaustion(e));
                if (isResourceExhaustion(e)) {
                    if (backoff == null && exhausted.compareAndSet(false, true)) {
                        LOG.log(Level.WARNING, "cannot accept connections: " + e.getMessage()
                                + "; backing off until resources free up (raise the limit with ulimit -n)");
                    }
                    backoff = exhaustedBackoff(backoff);
                    try {
                        sleeper.sleep(backoff);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                } else {
                    LOG.log(Level.DEBUG, "accept failed for one connection: " + e);
                }
                continue;
            }
            backoff = null;
            if (exhausted.get() && exhausted.compareAndSet(true, false)) {
                LOG.log(Level.INFO, "accepting connections again");
            }
            onAccepted.accept(channel);
        }
    }

    /** The sleep after {@code previous} ({@code null} for the first failure): doubling from 10 ms up to the cap. */
    static Duration exhaustedBackoff(Duration previous) {
        if (previous == null) {
            return Supervisor.FIRST_BACKOFF;
        }
        Duration doubled = previous.multipliedBy(2);
        return doubled.compareTo(EXHAUSTED_MAX_BACKOFF) > 0 ? EXHAUSTED_MAX_BACKOFF : doubled;
    }

    static boolean isResourceExhaustion(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("Too many open files") || message.contains("No buffer space")
                || message.contains("Cannot allocate memory");
    }
}
