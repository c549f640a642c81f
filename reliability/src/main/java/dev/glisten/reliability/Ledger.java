package dev.glisten.reliability;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the legitimate clients of one server saw in one phase: every exchange answered and
 * verified byte for byte, or failed with a reason. Shared by the clients' threads.
 *
 * <p>An <em>exchange</em> is one request and its whole answer: an echo of random bytes, a batch of
 * frames, an HTTP request, or a chat line delivered to another member. <em>Setup</em> is what
 * comes before the first exchange of a connection: the TCP connect, and the TLS handshake or
 * PROXY header where the server needs one.
 */
final class Ledger {

    final Histogram exchanges = new Histogram();
    final Histogram setups = new Histogram();
    private final LongAdder connections = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final Problems failures = new Problems();
    private final LongAdder cut = new LongAdder();

    void connected(long setupNanos) {
        connections.increment();
        setups.recordNanos(setupNanos);
    }

    void exchanged(long nanos, long verifiedBytes) {
        exchanges.recordNanos(nanos);
        bytes.add(verifiedBytes);
    }

    /** An exchange the server ended on purpose (a shutdown) after a verified prefix of the answer. */
    void cutShort() {
        cut.increment();
    }

    void failed(String what) {
        failures.add(what);
    }

    long exchangeCount() {
        return exchanges.count();
    }

    long connectionCount() {
        return connections.sum();
    }

    long verifiedBytes() {
        return bytes.sum();
    }

    long failureCount() {
        return failures.count();
    }

    long cutCount() {
        return cut.sum();
    }

    List<String> firstFailures() {
        return failures.first();
    }

    /** Adds another ledger's counts and latencies to this one's. */
    void add(Ledger other) {
        exchanges.add(other.exchanges);
        setups.add(other.setups);
        connections.add(other.connections.sum());
        bytes.add(other.bytes.sum());
        failures.addAll(other.failures);
        cut.add(other.cut.sum());
    }
}
