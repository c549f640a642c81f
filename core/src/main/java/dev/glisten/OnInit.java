package dev.glisten;

/**
 * Makes a connection's initial state, on the connection's own thread, before any message.
 *
 * <p>This is the place to register the connection's {@link ConnectionHandle} somewhere other
 * threads can find it, and to greet the peer: sending from here is allowed. {@link Message.User} messages sent while it runs are queued and delivered
 * after it returns. If it throws, the connection is closed with {@link CloseReason.InitFailed} and
 * {@link OnClose} runs with a {@code null} state.
 *
 * @param <S> the connection's state
 * @param <M> the type of {@link Message.User} messages this connection accepts
 */
@FunctionalInterface
public interface OnInit<S, M> {

    /**
     * Returns the initial state of a newly accepted connection.
     *
     * @param connection the new connection
     * @return the state passed to the first {@link Handler} call; may be {@code null}
     * @throws Exception to refuse the connection
     */
    S init(Connection<M> connection) throws Exception;
}
