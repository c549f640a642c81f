package dev.glisten;

/**
 * Runs exactly once when a connection ends, however it ends: the peer closed, the loop stopped or
 * threw, {@link OnInit} threw, a socket error, a failed or timed-out send, a {@link Connection#close()}
 * or the server stopping. The {@link CloseReason} tells which.
 *
 * <p>It runs after the last {@link Handler} call has returned, never at the same time as one, and
 * after the socket is closed, so sends from here fail. An exception thrown here is logged and
 * otherwise ignored.
 *
 * @param <S> the connection's state
 * @param <M> the type of {@link Message.User} messages the connection accepted
 */
@FunctionalInterface
public interface OnClose<S, M> {

    /**
     * Cleans up after a connection.
     *
     * @param state the last state, or {@code null} when {@link OnInit} did not return one
     *     ({@link CloseReason.InitFailed}, or the connection ended before it ran)
     * @param reason why the connection ended
     * @param connection the closed connection: its addresses and handle stay readable
     */
    void onClose(S state, CloseReason reason, Connection<M> connection);
}
