package dev.glisten.internal.io;

import dev.glisten.internal.Steps;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Watches many connections' sockets with one {@link Selector} and wakes a connection's thread when
 * its socket becomes readable or writable. The connection's thread does the reading and writing
 * itself, without blocking in the kernel, so it never holds a read buffer while it waits.
 *
 * <p>Why not a blocking read on each connection's virtual thread: the JDK re-arms a one-shot epoll
 * registration and makes a read that fails with {@code EAGAIN} for every message it waits for,
 * two system calls per message more than an event loop. Here read interest is level-triggered and
 * stays on, so a connection that answered a request and waits for the next costs nothing until
 * bytes arrive. Only a connection whose bytes arrive while its handler is busy has its interest
 * muted (so this loop does not spin on it) and restored when it waits again; see
 * {@link WatchedSocket}.
 *
 * <p>The loop runs on a virtual thread where the JDK lets a virtual thread block in
 * {@link Selector#select()} without pinning its carrier (JDK 24 and later, JEP 491), so it takes
 * turns with the connections it wakes; on older JDKs it runs on a platform thread.
 */
public final class SocketWatcher implements Steps {

    private static final System.Logger LOG = System.getLogger("dev.glisten.connection");

    private final Selector selector;
    private final ConcurrentLinkedQueue<Runnable> starts = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;

    public SocketWatcher() throws IOException {
        this.selector = Selector.open();
    }

    /** Whether watchers should run on virtual threads on this JDK; see the class description. */
    public static boolean runsOnVirtualThreads() {
        return Runtime.version().feature() >= 24;
    }

    /** Starts watching {@code channel} (non-blocking) for reads on behalf of {@code socket}. */
    SelectionKey register(SocketChannel channel, WatchedSocket socket) throws IOException {
        SelectionKey key = channel.register(selector, SelectionKey.OP_READ, socket);
        // A selector applies registrations and interest changes when it next selects.
        selector.wakeup();
        return key;
    }

    /**
     * Runs {@code start} (which starts a new connection's thread) on this watcher's thread, in its
     * next pass. Starting a virtual thread from an acceptor, a platform thread, would put it in the
     * scheduler's shared queue, which a carrier reads one task at a time between whole rounds of
     * the connections this watcher wakes: a burst of new connections would wait seconds. Started
     * from here, they queue in order with those connections.
     */
    public void startSoon(Runnable start) {
        starts.add(start);
        selector.wakeup();
    }

    /** Makes the loop select again, to apply an interest change or release a closed channel. */
    void wakeup() {
        selector.wakeup();
    }

    /**
     * One pass: starts the connections handed over, then selects and wakes the connections whose
     * sockets are ready. A step and not a loop inside one call, for the reason {@link Steps} gives:
     * this thread parks and yields at every pass, and a long-lived frame entered before the JIT
     * compiled it would stay interpreted, so that every park and yield took HotSpot's slow path
     * and allocated a new stack chunk.
     */
    @Override
    public Outcome step() {
        if (!running) {
            return Outcome.DONE;
        }
        runStarts();
        try {
            if (selector.selectNow(WatchedSocket::onReady) == 0) {
                // selectNow consumed any wakeup, including one that announced a start queued
                // after runStarts looked: look again before blocking. A start queued after this
                // check wakes the select below, as a wakeup before a select is kept for it.
                if (starts.isEmpty()) {
                    selector.select(WatchedSocket::onReady);
                }
            } else {
                // First let the connections just woken run (they queue on this carrier).
                Thread.yield();
                // Then, with the carrier's own queue empty, this yield goes to the scheduler's
                // shared queue, behind threads woken from outside the carriers (new connections,
                // timers, the JDK's poller). A carrier drains its own queue before it looks
                // there, so without this a busy watcher would starve them for seconds.
                Thread.yield();
            }
        } catch (ClosedSelectorException closed) {
            return Outcome.DONE;
        } catch (IOException | RuntimeException e) {
            if (!running) {
                return Outcome.DONE;
            }
            LOG.log(Level.ERROR, "socket watcher failed; retrying", e);
            try {
                Thread.sleep(10);
            } catch (InterruptedException interrupted) {
                return Outcome.DONE;
            }
        }
        return Outcome.AGAIN;
    }

    @Override
    public long parkDeadline() {
        return 0;
    }

    private void runStarts() {
        Runnable start;
        while ((start = starts.poll()) != null) {
            try {
                start.run();
            } catch (RuntimeException | Error e) {
                LOG.log(Level.ERROR, "cannot start a connection", e);
            }
        }
    }

    /** Stops the loop and closes the selector, which also releases channels closed meanwhile. */
    public void stop() {
        running = false;
        Descriptors.release(selector);
        // Connections handed over after the last pass still get their start (and their onClose).
        runStarts();
    }
}
