package dev.glisten;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * What a connection's TLS handshake settled: see {@link Connection#tls()}.
 *
 * @param protocol the TLS version, such as {@code "TLSv1.3"}
 * @param cipherSuite the suite, such as {@code "TLS_AES_128_GCM_SHA256"}
 * @param applicationProtocol the protocol chosen by ALPN ({@link Tls.Builder#applicationProtocols}),
 *     empty when the client offered none or the server has none configured
 * @param serverName the host name the client asked for (SNI), empty when it sent none
 * @param peerCertificates the client's verified certificate chain, its own certificate first;
 *     empty when it presented none (see {@link Tls.Builder#clientAuth})
 * @param session the JDK's session, for anything else (session id, creation time, local
 *     certificates)
 */
public record NegotiatedTls(
        String protocol,
        String cipherSuite,
        Optional<String> applicationProtocol,
        Optional<String> serverName,
        List<X509Certificate> peerCertificates,
        SSLSession session) {

    /**
     * Checks that every component is present and copies the certificate list.
     *
     * @throws NullPointerException if a component is null
     */
    public NegotiatedTls {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(cipherSuite, "cipherSuite");
        Objects.requireNonNull(applicationProtocol, "applicationProtocol");
        Objects.requireNonNull(serverName, "serverName");
        peerCertificates = List.copyOf(peerCertificates);
        Objects.requireNonNull(session, "session");
    }

    @Override
    public String toString() {
        return "NegotiatedTls[" + protocol + ", " + cipherSuite
                + applicationProtocol.map(alpn -> ", alpn " + alpn).orElse("")
                + serverName.map(name -> ", sni " + name).orElse("")
                + (peerCertificates.isEmpty() ? "" : ", peer " + peerCertificates.get(0).getSubjectX500Principal().getName())
                + "]";
    }
}
