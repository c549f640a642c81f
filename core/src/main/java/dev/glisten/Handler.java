package dev.glisten;

/**
 * The loop of a connection: takes the current state and one message, returns what happens next.
 *
 * <p>For one connection, calls never overlap and each call sees the state returned by the previous
 * one (or by {@link OnInit}). The loop may block: that holds up only its own connection, and the
 * next socket read happens only after the call returns, so a slow loop slows its peer down instead
 * of buffering without bound.
 *
 * <p>An exception thrown here ends only this connection, with {@link CloseReason.HandlerFailed};
 * it is logged with the peer address and {@link OnClose} still runs.
 *
 * @param <S> the connection's state
 * @param <M> the type of {@link Message.User} messages this connection accepts
 */
@FunctionalInterface
public interface Handler<S, M> {

    /**
     * Handles one message.
     *
     * @param state the state returned by the previous call, or by {@link OnInit} for the first call
     * @param message the bytes read from the socket, or a value sent to this connection's handle
     * @param connection the connection, to send bytes or reach its {@link ConnectionHandle}
     * @return {@link Next#continueWith(Object)} to keep going, {@link Next#stop()} or
     *     {@link Next#stopAbnormal(String)} to close the connection; never {@code null}
     * @throws Exception to end this connection abnormally
     */
    Next<S> handle(S state, Message<M> message, Connection<M> connection) throws Exception;
}
