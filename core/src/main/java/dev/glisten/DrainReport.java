package dev.glisten;

import java.time.Duration;

/**
 * How a {@linkplain Server#shutdown(Duration) graceful shutdown} went.
 *
 * @param graceful connections that ended by themselves within the drain timeout (the peer or the
 *     loop closed them, typically after the {@link Message.ShuttingDown} notice)
 * @param forced connections still open at the timeout, which the server then closed
 *     ({@link CloseReason.ServerStopped})
 * @param took from the call until every connection had ended
 */
public record DrainReport(int graceful, int forced, Duration took) {

    @Override
    public String toString() {
        return "drained " + graceful + " connection" + (graceful == 1 ? "" : "s") + " gracefully, forced "
                + forced + ", in " + took.toMillis() + " ms";
    }
}
