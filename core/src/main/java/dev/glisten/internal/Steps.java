package dev.glisten.internal;

/**
 * What a connection's thread and a socket watcher's thread run ({@link Threads#startConnection},
 * {@link Threads#startWatcher}): a series of steps, each a call that returns, and between them
 * the thread's waits, made from its bottom frame.
 *
 * <p>Why the waits are not made inside a step: a parked virtual thread's frames are copied to a
 * heap object, its stack chunk, at every park and back at every unpark, and the chunk keeps the
 * size of the largest stack it held. A stack with an interpreted frame (a thread that entered a
 * method before the JIT compiled it) is also copied on HotSpot's slow path, into a new chunk at
 * every park. Parked from the bottom frame, a waiting connection's stack is one frame of ours and
 * the JDK's beneath it, all compiled before the first connection ({@link Threads#warmUp}).
 * Measured with 10,000 idle connections: stack chunks of 386 B each against 830-1,160 B when
 * connections parked inside the loop, and one chunk made per connection instead of 1.6
 * (docs/BENCHMARKS.md, tuning log).
 */
public interface Steps {

    /** What the thread does after a step. */
    enum Outcome {
        /** Calls {@link #step} again at once. */
        AGAIN,
        /**
         * Parks until unparked or until {@link #parkDeadline} passes, then calls {@link #step}
         * again; a spurious return only costs a step that parks again.
         */
        PARK,
        /** Ends the thread. */
        DONE
    }

    /** Runs one step. */
    Outcome step();

    /** After a step that said {@link Outcome#PARK}: when to stop parking ({@link System#nanoTime()}), 0 for never. */
    long parkDeadline();
}
