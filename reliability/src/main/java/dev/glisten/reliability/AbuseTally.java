package dev.glisten.reliability;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one kind of {@link Abuse} did to one server: how many abusive connections, how many the
 * server answered as documented (closed in time, or the right status), and the exceptions.
 */
final class AbuseTally {

    final Abuse kind;
    /** From the abusive bytes (or the connect, for those that send none) to the server's close. */
    final Histogram closeTimes = new Histogram();
    /** Local ports of the connections, for matching them with the server's log (slow consumers). */
    final Set<Integer> localPorts = ConcurrentHashMap.newKeySet();
    private final LongAdder connections = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder unanswered = new LongAdder();
    private final Problems violations = new Problems();
    private final LongAdder refused = new LongAdder();

    AbuseTally(Abuse kind) {
        this.kind = kind;
    }

    void connected(int localPort) {
        connections.increment();
        if (kind == Abuse.NEVER_READS) {
            localPorts.add(localPort);
        }
    }

    /** The server answered as documented, {@code nanos} after the abuse. */
    void answered(long nanos) {
        answered.increment();
        closeTimes.recordNanos(nanos);
    }

    /** The run ended before the server had to answer (a hold shorter than the server's timeout). */
    void unanswered() {
        unanswered.increment();
    }

    /** The connect itself failed: the server was at a limit, or stopping. Counted, not judged. */
    void refused() {
        refused.increment();
    }

    void violated(String what) {
        violations.add(what);
    }

    long connections() {
        return connections.sum();
    }

    long answeredCount() {
        return answered.sum();
    }

    long unansweredCount() {
        return unanswered.sum();
    }

    long violationCount() {
        return violations.count();
    }

    long refusedCount() {
        return refused.sum();
    }

    List<String> firstViolations() {
        return violations.first();
    }
}
