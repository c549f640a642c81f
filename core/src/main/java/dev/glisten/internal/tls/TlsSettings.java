package dev.glisten.internal.tls;

import dev.glisten.Tls;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Everything a {@link Tls} was described with, already checked by {@link Tls.Builder} for what
 * can be checked without reading files.
 *
 * @param identity the default certificate and key, or {@code null} with {@code sslContext}
 * @param serverNameIdentities certificates chosen by SNI host name ({@code "*.x"} for a wildcard)
 * @param sslContext a ready context, or {@code null}
 * @param trust the CAs for client certificates, or {@code null}
 * @param cipherSuites the suites, or {@code null} for the JDK's defaults
 * @param reloadInterval how often a server looks at the files, or {@code null} for never
 */
public record TlsSettings(
        IdentitySource identity,
        List<Map.Entry<String, IdentitySource>> serverNameIdentities,
        SSLContext sslContext,
        TrustSource trust,
        Tls.ClientAuth clientAuth,
        List<String> applicationProtocols,
        List<String> protocols,
        List<String> cipherSuites,
        Duration handshakeTimeout,
        Duration reloadInterval) {

    public TlsSettings {
        serverNameIdentities = List.copyOf(serverNameIdentities);
        applicationProtocols = List.copyOf(applicationProtocols);
        protocols = List.copyOf(protocols);
        cipherSuites = cipherSuites == null ? null : List.copyOf(cipherSuites);
    }
}
