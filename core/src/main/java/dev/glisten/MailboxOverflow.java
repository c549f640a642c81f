package dev.glisten;

/**
 * What a connection's mailbox does with a message sent while it is full (see
 * {@link Server.Builder#mailboxCapacity(int)}). Either way the message is not queued,
 * {@link ConnectionHandle#send(Object)} returns {@code false}, and the overflow is counted in
 * {@link ServerStats#mailboxOverflows()} and recorded as a {@code dev.glisten.MailboxOverflow}
 * JFR event.
 */
public enum MailboxOverflow {

    /**
     * Closes the connection ({@link CloseReason.MailboxOverflowed}): the default. A consumer that
     * cannot keep up is disconnected, as NATS does with slow consumers, so one bad reader costs
     * nobody else memory or latency, and a client that reconnects starts from a clean state.
     */
    CLOSE,

    /**
     * Refuses the message and leaves the connection open: for messages a sender can drop or retry
     * (a state update superseded by the next one), when the sender checks the result.
     */
    REFUSE
}
