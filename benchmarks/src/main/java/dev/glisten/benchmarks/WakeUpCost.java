package dev.glisten.benchmarks;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What one wake-up of a virtual thread costs on this machine, without any socket: the price a
 * thread-per-connection server pays per message over an event loop, which calls its handler in
 * place.
 *
 * <pre>
 * taskset -c 1 java -jar benchmarks/target/glisten-benchmarks.jar wake-up-cost [--threads N] [--rounds R]
 * </pre>
 *
 * <p>{@code N} virtual threads each park from their bottom frame, as glisten's connection threads
 * do, and count their wake-ups. A driver virtual thread plays glisten's socket watcher: it unparks
 * every thread, then yields so that the carrier runs them (each is mounted, its stack copied back,
 * then parked again and copied out), and starts over. Pinned to one core the JVM has one carrier,
 * as the benchmarked servers have. After a warm-up it measures {@code R} rounds of one second and
 * prints each, then the median: nanoseconds of the core per wake-up, the driver's unpark included.
 */
final class WakeUpCost {

    private static final long ROUND_NANOS = 1_000_000_000L;
    private static final int WARM_UP_ROUNDS = 2;

    private WakeUpCost() { }

    /** One thread's side: park, count, repeat, until told to stop. */
    private static final class Sleeper implements Runnable {

        private volatile boolean stop;
        // Written by its own thread only: a release store (a plain move on x86), not a volatile
        // write, whose fence would be counted in every wake-up.
        private final AtomicLong wakeUps = new AtomicLong();

        @Override
        public void run() {
            while (!stop) {
                LockSupport.park(this);
                wakeUps.setRelease(wakeUps.getPlain() + 1);
            }
        }
    }

    /**
     * Runs the measurement and prints its rounds to {@code out}.
     *
     * @return the median nanoseconds per wake-up
     * @throws IllegalArgumentException naming the flag, for a malformed command line
     */
    static double run(List<String> args, PrintStream out) throws InterruptedException {
        int threads = 1_000;
        int rounds = 5;
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException("wake-up-cost: " + flag + " needs a value");
            }
            String value = args.get(++i);
            switch (flag) {
                case "--threads" -> threads = positive(flag, value, 1_000_000);
                case "--rounds" -> rounds = positive(flag, value, 99);
                default -> throw new IllegalArgumentException("wake-up-cost: unknown flag " + flag);
            }
        }
        List<Sleeper> sleepers = new ArrayList<>(threads);
        List<Thread> started = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            Sleeper sleeper = new Sleeper();
            sleepers.add(sleeper);
            started.add(Thread.ofVirtual().name("sleeper-" + i).start(sleeper));
        }
        int measured = rounds; // final, for the driver
        double[] nanosPerWakeUp = new double[measured];
        Thread driver = Thread.ofVirtual().name("driver").start(() -> {
            for (int round = -WARM_UP_ROUNDS; round < measured; round++) {
                long before = total(sleepers);
                long start = System.nanoTime();
                long end = start + ROUND_NANOS;
                do {
                    for (Thread thread : started) {
                        LockSupport.unpark(thread);
                    }
                    Thread.yield();
                } while (System.nanoTime() < end);
                long elapsed = System.nanoTime() - start;
                long wakeUps = total(sleepers) - before;
                if (round >= 0) {
                    nanosPerWakeUp[round] = (double) elapsed / wakeUps;
                    out.printf("round %d: %,d wake-ups, %.1f ns each%n", round + 1, wakeUps, nanosPerWakeUp[round]);
                }
            }
        });
        // Bounded: the driver ends after its rounds of one second each, a sleeper once unparked
        // with stop set; the bounds only guard against a stuck scheduler.
        if (!driver.join(Duration.ofSeconds(WARM_UP_ROUNDS + measured + 30L))) {
            throw new IllegalStateException("wake-up-cost: the driver did not finish its rounds");
        }
        for (Sleeper sleeper : sleepers) {
            sleeper.stop = true;
        }
        for (Thread thread : started) {
            LockSupport.unpark(thread);
            if (!thread.join(Duration.ofSeconds(10))) {
                throw new IllegalStateException("wake-up-cost: " + thread.getName() + " did not end");
            }
        }
        double[] sorted = nanosPerWakeUp.clone();
        Arrays.sort(sorted);
        double median = measured % 2 == 1 ? sorted[measured / 2] : (sorted[measured / 2 - 1] + sorted[measured / 2]) / 2;
        out.printf("wake-up-cost: %,d threads, %d carrier(s), median %.1f ns per wake-up%n",
                threads, Runtime.getRuntime().availableProcessors(), median);
        return median;
    }

    private static long total(List<Sleeper> sleepers) {
        long sum = 0;
        for (Sleeper sleeper : sleepers) {
            sum += sleeper.wakeUps.getAcquire();
        }
        return sum;
    }

    private static int positive(String flag, String value, int most) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= most) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("wake-up-cost: " + flag + " must be a number from 1 to " + most + ", not '" + value + "'");
    }
}
