package dev.glisten;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * What a connection's TLS handshake settled: see {@link Connection#tls()}. The same record serves
 * both sides; where a component means something different on a server's connection ({@link Tls})
 * and a client's ({@link ClientTls}), its description says both.
 *
 * @param protocol the TLS version, such as {@code "TLSv1.3"}
 * @param cipherSuite the suite, such as {@code "TLS_AES_128_GCM_SHA256"}
 * @param applicationProtocol the protocol chosen by ALPN: on a server, the one it picked from
 *     {@link Tls.Builder#applicationProtocols}; on a client, the one the server picked from
 *     {@link ClientTls.Builder#applicationProtocols}. Empty when the client offered none or the
 *     server chose none
 * @param serverName the host name asked for with SNI: on a server, the name the client sent; on a
 *     client, the name it sent (the host connected to, or {@link ClientTls.Builder#serverName}).
 *     Empty when none was sent, as for a client connecting to an IP address
 * @param peerCertificates the other side's verified certificate chain, its own certificate first:
 *     on a server, the client's, empty when it presented none (see {@link Tls.Builder#clientAuth});
 *     on a client, the server's, never empty
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
