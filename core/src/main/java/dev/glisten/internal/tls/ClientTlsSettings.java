package dev.glisten.internal.tls;

import dev.glisten.ClientTls;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Everything a {@link ClientTls} was described with, already checked by {@link ClientTls.Builder}
 * for what can be checked without reading files.
 *
 * @param identity the client certificate and key for mutual TLS, or {@code null} for none
 * @param sslContext a ready context, or {@code null}
 * @param trust the CAs servers' certificates must chain to, or {@code null} for the JDK's defaults
 * @param verifyHostname whether the server's certificate must name the host (or {@code serverName})
 * @param serverName the name to verify and send as SNI instead of the host connected to, or
 *     {@code null}
 * @param cipherSuites the suites, or {@code null} for the JDK's defaults
 */
public record ClientTlsSettings(
        IdentitySource identity,
        SSLContext sslContext,
        TrustSource trust,
        boolean verifyHostname,
        String serverName,
        List<String> applicationProtocols,
        List<String> protocols,
        List<String> cipherSuites,
        Duration handshakeTimeout) {

    public ClientTlsSettings {
        applicationProtocols = List.copyOf(applicationProtocols);
        protocols = List.copyOf(protocols);
        cipherSuites = cipherSuites == null ? null : List.copyOf(cipherSuites);
    }
}
