package dev.glisten;

import java.util.Map;

/**
 * A server's counters at one moment: see {@link Server#stats()}. Totals count from the server's
 * start; a snapshot is consistent per counter, not across counters.
 *
 * @param activeConnections connections open now (accepted, {@link OnClose} not yet run)
 * @param acceptedConnections connections accepted since the start, including those then refused
 *     by the per-address limit
 * @param closedConnections connections ended since the start, by the kind of {@link CloseReason}
 *     that {@link OnClose} saw; kinds that never happened are absent
 * @param rejectedPerAddress connections closed at once because their address already had
 *     {@link Server.Builder#maxConnectionsPerAddress} open
 * @param limitPauses how many times acceptors paused because the server had
 *     {@link Server.Builder#maxConnections} open (clients then wait in the kernel's backlog)
 * @param bytesReceived bytes read from peers, over all connections, open and ended (decrypted
 *     bytes for TLS)
 * @param bytesSent bytes sent to peers, over all connections (before encryption for TLS)
 * @param tlsHandshakes TLS handshakes completed, including {@link Connection#startTls} upgrades
 * @param tlsHandshakeFailures TLS handshakes that failed or timed out
 *     ({@link CloseReason.TlsHandshakeFailed})
 * @param acceptErrors failed accepts: per-connection errors and running out of descriptors
 * @param proxyHeaderRejections connections closed because their PROXY protocol header was
 *     malformed, missing or late ({@link CloseReason.ProxyHeaderRejected}); 0 unless the server reads
 *     {@linkplain Server.Builder#proxyProtocol(ProxyProtocol) PROXY protocol headers}
 * @param mailboxOverflows messages not queued because the connection's mailbox held
 *     {@link Server.Builder#mailboxCapacity(int)} messages already: each refused message under
 *     {@link MailboxOverflow#REFUSE}, each connection closed under {@link MailboxOverflow#CLOSE}
 *     (also counted as {@link CloseReason.MailboxOverflowed} in {@link #closedConnections()})
 */
public record ServerStats(
        int activeConnections,
        long acceptedConnections,
        Map<Class<? extends CloseReason>, Long> closedConnections,
        long rejectedPerAddress,
        long limitPauses,
        long bytesReceived,
        long bytesSent,
        long tlsHandshakes,
        long tlsHandshakeFailures,
        long acceptErrors,
        long proxyHeaderRejections,
        long mailboxOverflows) {

    public ServerStats {
        closedConnections = Map.copyOf(closedConnections);
    }

    /**
     * All connections ended since the start, whatever the reason.
     *
     * @return the sum of {@link #closedConnections()}
     */
    public long closedTotal() {
        return closedConnections.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Connections ended for one kind of reason.
     *
     * @param kind a {@link CloseReason} record class, such as {@code CloseReason.PeerClosed.class}
     * @return how many ended so, 0 if none
     */
    public long closed(Class<? extends CloseReason> kind) {
        return closedConnections.getOrDefault(kind, 0L);
    }
}
