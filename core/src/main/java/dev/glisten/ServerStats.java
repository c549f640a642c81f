package dev.glisten;

/**
 * A server's counters at one moment: see {@link Server#stats()}.
 *
 * @param activeConnections connections open now (accepted, {@link OnClose} not yet run)
 * @param acceptedConnections connections accepted since the server started
 * @param tlsHandshakes TLS handshakes completed, including {@link Connection#startTls} upgrades
 * @param tlsHandshakeFailures TLS handshakes that failed or timed out
 *     ({@link CloseReason.TlsHandshakeFailed})
 */
public record ServerStats(
        int activeConnections,
        long acceptedConnections,
        long tlsHandshakes,
        long tlsHandshakeFailures) {
}
