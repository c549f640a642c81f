package dev.glisten.internal;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every thread a server starts is started here, so that stopping can wait for all of them and
 * nothing outlives the server unnoticed. All are virtual threads: they park on socket I/O instead
 * of holding a carrier.
 */
final class Threads {

    private final String prefix;
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final Thread.Builder acceptorBuilder;
    private final Thread.Builder connectionBuilder;
    private final Thread.Builder mailboxBuilder;

    Threads(String serverName) {
        this.prefix = "glisten-" + serverName + "-";
        this.acceptorBuilder = Thread.ofVirtual().name(prefix + "acceptor-", 0);
        this.connectionBuilder = Thread.ofVirtual().name(prefix + "connection-", 0);
        this.mailboxBuilder = Thread.ofVirtual().name(prefix + "mailbox-", 0);
    }

    Thread startAcceptor(Runnable body) {
        return start(acceptorBuilder, body);
    }

    Thread startConnection(Runnable body) {
        return start(connectionBuilder, body);
    }

    Thread startMailbox(Runnable body) {
        return start(mailboxBuilder, body);
    }

    Thread startWatchdog(Runnable body) {
        return start(Thread.ofVirtual().name(prefix + "watchdog"), body);
    }

    /** Waits until every thread has ended or the timeout passes; returns whether all ended. */
    boolean awaitAll(Duration timeout, Thread exempt) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : live) {
            if (thread == exempt) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !thread.join(Duration.ofNanos(left))) {
                return aliveExcept(exempt) == 0;
            }
        }
        return aliveExcept(exempt) == 0;
    }

    void interruptAll(Thread exempt) {
        for (Thread thread : live) {
            if (thread != exempt) {
                thread.interrupt();
            }
        }
    }

    int aliveExcept(Thread exempt) {
        int count = 0;
        for (Thread thread : live) {
            if (thread != exempt && thread.isAlive()) {
                count++;
            }
        }
        return count;
    }

    private Thread start(Thread.Builder builder, Runnable body) {
        Thread thread = builder.unstarted(() -> {
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
