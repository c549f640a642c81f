package dev.glisten;

import java.util.Objects;

/**
 * What a {@link Handler} wants after a message: continue with a new state, or stop.
 *
 * <p>Build one with {@link #continueWith(Object)}, {@link #stop()} or {@link #stopAbnormal(String)}.
 * The records are public so tests can match on them.
 *
 * @param <S> the connection's state
 */
public sealed interface Next<S> permits Next.Continue, Next.Stop, Next.StopAbnormal {

    /**
     * Keep the connection open with a new state.
     *
     * @param state the state for the next call; may be {@code null}
     * @param <S> the connection's state
     * @return a {@link Continue}
     */
    static <S> Next<S> continueWith(S state) {
        return new Continue<>(state);
    }

    /**
     * Close the connection normally; {@link OnClose} sees {@link CloseReason.Stopped}.
     *
     * @param <S> the connection's state
     * @return a {@link Stop}
     */
    @SuppressWarnings("unchecked")
    static <S> Next<S> stop() {
        return (Next<S>) Stop.INSTANCE;
    }

    /**
     * Close the connection because something went wrong; {@link OnClose} sees
     * {@link CloseReason.StoppedAbnormally} with this reason, and it is logged at debug level.
     *
     * @param reason a description for logs and {@link OnClose}
     * @param <S> the connection's state
     * @return a {@link StopAbnormal}
     */
    static <S> Next<S> stopAbnormal(String reason) {
        return new StopAbnormal<>(reason);
    }

    /**
     * Keep going with {@code state}.
     *
     * @param state the state for the next call
     * @param <S> the connection's state
     */
    record Continue<S>(S state) implements Next<S> { }

    /**
     * Close normally.
     *
     * @param <S> the connection's state
     */
    record Stop<S>() implements Next<S> {
        private static final Stop<?> INSTANCE = new Stop<>();
    }

    /**
     * Close abnormally.
     *
     * @param reason why
     * @param <S> the connection's state
     */
    record StopAbnormal<S>(String reason) implements Next<S> {
        /**
         * Checks that {@code reason} is present.
         *
         * @throws NullPointerException if {@code reason} is null
         */
        public StopAbnormal {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
