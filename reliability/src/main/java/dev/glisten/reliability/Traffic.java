package dev.glisten.reliability;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients on virtual threads, each a loop bounded in count and by a deadline: legitimate clients
 * churning (connect, a few exchanges, close, a pause, again), and abusers, each kind at its own
 * concurrency and pace. {@link #join} waits for all of them, bounded too.
 */
final class Traffic {

    /** No client gets near this many connections in a run; the bound is only there to be a bound. */
    private static final int MOST_CONNECTIONS_PER_CLIENT = 1_000_000;
    private static final int MOST_EXCHANGES_PER_CONNECTION = 4;
    /** A whole connection of a legitimate client, reads and writes included: far beyond any exchange. */
    private static final Duration SESSION_LIMIT = Duration.ofSeconds(60);
    /**
     * Between a legitimate client's connections, plus up to 60 ms: clients that keep the two cores
     * busy on their own would measure the machine, not what the abusers cost.
     */
    private static final Duration PAUSE = Duration.ofMillis(20);

    private final List<Thread> clients = new ArrayList<>();
    private final LongAdder abuserErrors = new LongAdder();

    /**
     * Starts the target's legitimate clients.
     *
     * @param until when they stop starting connections (a {@link System#nanoTime()})
     * @param seed the first client's seed; the others follow from it
     */
    void legitimate(RunningTarget running, Ledger ledger, long until, long seed) {
        Target target = running.target();
        for (int i = 0; i < Plan.legitimateClients(target); i++) {
            Random random = new Random(seed + i);
            clients.add(Thread.ofVirtual().name(target.name() + "-client-" + i).start(() -> {
                for (int n = 0; n < MOST_CONNECTIONS_PER_CLIENT && System.nanoTime() - until < 0; n++) {
                    try {
                        oneConnection(running, ledger, random, until);
                        Abuse.sleepUntil(System.nanoTime() + PAUSE.plusMillis(random.nextInt(60)).toNanos());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
    }

    @SuppressWarnings("try") // the guard only has to be open while the connection is
    private static void oneConnection(RunningTarget running, Ledger ledger, Random random, long until)
            throws InterruptedException {
        Target target = running.target();
        try {
            if (target.conversation() == null) {
                long stay = Duration.ofMillis(1000 + random.nextInt(3000)).toNanos();
                new ChatMember(running.dialer(), ledger, Plan.CHAT_LINE_BYTES).stay(random,
                        Math.min(until, System.nanoTime() + stay));
                return;
            }
            long start = System.nanoTime();
            try (Socket socket = running.dialer().open(random);
                    Watchdog.Guard guard = Watchdog.guard(socket, SESSION_LIMIT)) {
                ledger.connected(System.nanoTime() - start);
                target.conversation().converse(socket, random, ledger, 1 + random.nextInt(MOST_EXCHANGES_PER_CONNECTION));
            }
        } catch (IOException e) {
            ledger.failed(target.name() + ": " + e);
        }
    }

    /**
     * Starts the target's abusers, every kind it gets at its concurrency.
     *
     * @param tallies where each kind records what it did, filled here
     */
    void abusers(RunningTarget running, Map<Abuse, AbuseTally> tallies, long until, long seed) {
        Target target = running.target();
        int index = 0;
        for (Abuse abuse : target.abuses()) {
            AbuseTally tally = tallies.computeIfAbsent(abuse, AbuseTally::new);
            for (int i = 0; i < target.concurrency(abuse); i++) {
                Random random = new Random(seed + 1000L * index++);
                clients.add(Thread.ofVirtual().name(target.name() + "-" + abuse + "-" + i).start(() -> {
                    for (int n = 0; n < MOST_CONNECTIONS_PER_CLIENT && System.nanoTime() - until < 0; n++) {
                        try {
                            abuse.once(running.victim(), random, tally, until);
                        } catch (IOException e) {
                            // Abusive connections end badly by design; only the documented answers are judged.
                            abuserErrors.increment();
                        } catch (InterruptedException e) {
                            return;
                        }
                        try {
                            Abuse.sleepUntil(System.nanoTime() + abuse.pause(random).toNanos());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
        }
    }

    /**
     * Waits for every client to finish, at most {@code bound}; interrupts those still running then.
     *
     * @return whether all had finished in time
     */
    boolean join(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        boolean all = true;
        for (Thread client : clients) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !client.join(Duration.ofNanos(Math.max(1, left)))) {
                client.interrupt();
                all = false;
            }
        }
        clients.clear();
        return all;
    }

    long abuserErrors() {
        return abuserErrors.sum();
    }
}
