package dev.glisten.reliability;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Problems found by many client threads at once: every one counted, the first few kept word for
 * word for the report (a thousand copies of one failure would say no more than five).
 */
final class Problems {

    /** Kept word for word; the rest are only counted. */
    private static final int KEPT = 5;

    private final LongAdder count = new LongAdder();
    private final ConcurrentLinkedQueue<String> first = new ConcurrentLinkedQueue<>();
    private final AtomicInteger kept = new AtomicInteger();

    void add(String what) {
        count.increment();
        keep(what);
    }

    /** Adds another's count, and its kept problems while there is room. */
    void addAll(Problems other) {
        count.add(other.count.sum());
        other.first.forEach(this::keep);
    }

    private void keep(String what) {
        if (kept.getAndIncrement() < KEPT) {
            first.add(what);
        }
    }

    long count() {
        return count.sum();
    }

    List<String> first() {
        return List.copyOf(first);
    }
}
