package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Samples the servers' resident memory, descriptors and threads every {@link #EVERY} on a thread
 * of its own, keeping the peaks of each phase of the run; and takes the heavier snapshots
 * (with the live heap after a full collection) when asked.
 */
final class ResourceWatch implements AutoCloseable {

    static final Duration EVERY = Duration.ofMillis(500);
    /** A run is minutes long; this many samples is hours. */
    private static final int MOST_SAMPLES = 100_000;

    /**
     * The highest readings of one server in one phase.
     *
     * @param rssKb the largest resident set, kB
     * @param fds the most open descriptors
     * @param threads the most platform threads
     * @param samples how many samples were taken
     */
    record Peak(long rssKb, int fds, int threads, int samples) {
        Peak with(ProcStats.Sample sample) {
            return new Peak(Math.max(rssKb, sample.rssKb()), Math.max(fds, sample.fds()),
                    Math.max(threads, sample.threads()), samples + 1);
        }
    }

    /**
     * A server's resources at one moment, its live heap included.
     *
     * @param sample the cheap counters
     * @param liveHeapKb the heap in use after a full collection, kB
     */
    record Snapshot(ProcStats.Sample sample, long liveHeapKb) { }

    private final List<ServerProcess> servers;
    private final Map<String, Peak> peaks = new ConcurrentHashMap<>();
    private final AtomicReference<String> phase = new AtomicReference<>("start");
    private final Thread sampler;
    private volatile boolean stopped;

    ResourceWatch(List<ServerProcess> servers) {
        this.servers = List.copyOf(servers);
        this.sampler = Thread.ofPlatform().name("resource-watch").daemon().start(this::sampleUntilClosed);
    }

    private void sampleUntilClosed() {
        for (int i = 0; i < MOST_SAMPLES && !stopped; i++) {
            String current = phase.get();
            for (ServerProcess server : servers) {
                try {
                    ProcStats.Sample sample = ProcStats.sample(server.pid());
                    peaks.merge(key(server, current), new Peak(0, 0, 0, 0).with(sample), (old, added) -> old.with(sample));
                } catch (IOException exited) {
                    // A server that has exited has no resources to sample; its exit is judged elsewhere.
                }
            }
            try {
                Thread.sleep(EVERY);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Attributes the samples from now on to {@code name}. */
    void phase(String name) {
        phase.set(name);
    }

    /** The peaks of {@code server} in phase {@code name}, all zero if it was never sampled then. */
    Peak peak(ServerProcess server, String name) {
        return peaks.getOrDefault(key(server, name), new Peak(0, 0, 0, 0));
    }

    private static String key(ServerProcess server, String phase) {
        return server.name() + "/" + phase;
    }

    /**
     * Snapshots of every server, taken in parallel (each jcmd is a JVM of its own to start).
     *
     * @param jcmd the JDK's jcmd
     */
    static Map<ServerProcess, Snapshot> snapshots(List<ServerProcess> servers, Path jcmd)
            throws IOException, InterruptedException {
        List<Future<Snapshot>> taking = new ArrayList<>();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (ServerProcess server : servers) {
                taking.add(executor.submit(() -> snapshot(server, jcmd)));
            }
        }
        Map<ServerProcess, Snapshot> taken = new LinkedHashMap<>();
        for (int i = 0; i < servers.size(); i++) {
            try {
                taken.put(servers.get(i), taking.get(i).get());
            } catch (ExecutionException e) {
                throw new IOException("cannot take the resources of " + servers.get(i) + ": " + e.getCause(), e.getCause());
            }
        }
        return taken;
    }

    static Snapshot snapshot(ServerProcess server, Path jcmd) throws IOException, InterruptedException {
        long liveHeap = ProcStats.liveHeapKb(jcmd, server.pid());
        // After the collection, so the resident set reflects what the collection gave back.
        return new Snapshot(ProcStats.sample(server.pid()), liveHeap);
    }

    @Override
    public void close() {
        stopped = true;
        sampler.interrupt();
        try {
            sampler.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
