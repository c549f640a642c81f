package dev.glisten.testing;

import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * The {@link SSLSession} behind a {@link TestConnection}'s {@link dev.glisten.NegotiatedTls}: no
 * handshake happened, so it reports the configured protocol, suite and peer certificates and
 * nothing else.
 */
final class FakeSslSession implements SSLSession {

    private final String protocol;
    private final String cipherSuite;
    private final List<X509Certificate> peerCertificates;
    private final String peerHost;
    private final int peerPort;
    private final long createdAt;

    FakeSslSession(String protocol, String cipherSuite, List<X509Certificate> peerCertificates, String peerHost,
            int peerPort, long createdAt) {
        this.protocol = protocol;
        this.cipherSuite = cipherSuite;
        this.peerCertificates = List.copyOf(peerCertificates);
        this.peerHost = peerHost;
        this.peerPort = peerPort;
        this.createdAt = createdAt;
    }

    @Override
    public byte[] getId() {
        return new byte[0];
    }

    @Override
    public SSLSessionContext getSessionContext() {
        return null;
    }

    @Override
    public long getCreationTime() {
        return createdAt;
    }

    @Override
    public long getLastAccessedTime() {
        return createdAt;
    }

    @Override
    public void invalidate() { }

    @Override
    public boolean isValid() {
        return true;
    }

    @Override
    public void putValue(String name, Object value) {
        throw new UnsupportedOperationException("a TestConnection's TLS session keeps no values");
    }

    @Override
    public Object getValue(String name) {
        return null;
    }

    @Override
    public void removeValue(String name) { }

    @Override
    public String[] getValueNames() {
        return new String[0];
    }

    @Override
    public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
        if (peerCertificates.isEmpty()) {
            throw new SSLPeerUnverifiedException("the peer presented no certificate");
        }
        return peerCertificates.toArray(new Certificate[0]);
    }

    @Override
    public Certificate[] getLocalCertificates() {
        return null;
    }

    @Override
    public Principal getPeerPrincipal() throws SSLPeerUnverifiedException {
        if (peerCertificates.isEmpty()) {
            throw new SSLPeerUnverifiedException("the peer presented no certificate");
        }
        return peerCertificates.get(0).getSubjectX500Principal();
    }

    @Override
    public Principal getLocalPrincipal() {
        return null;
    }

    @Override
    public String getCipherSuite() {
        return cipherSuite;
    }

    @Override
    public String getProtocol() {
        return protocol;
    }

    @Override
    public String getPeerHost() {
        return peerHost;
    }

    @Override
    public int getPeerPort() {
        return peerPort;
    }

    @Override
    public int getPacketBufferSize() {
        return 16_709;
    }

    @Override
    public int getApplicationBufferSize() {
        return 16_384;
    }

    /**
     * What a TLS 1.3 handshake with {@code client} would have settled: a {@link NegotiatedTls}
     * over a session of this kind.
     */
    static dev.glisten.NegotiatedTls negotiated(String alpn, String serverName,
            java.util.List<java.security.cert.X509Certificate> peerCertificates, java.net.SocketAddress client,
            long createdMillis) {
        java.net.InetSocketAddress peer = client instanceof java.net.InetSocketAddress inet ? inet : null;
        return new dev.glisten.NegotiatedTls("TLSv1.3", "TLS_AES_128_GCM_SHA256", java.util.Optional.ofNullable(alpn),
                java.util.Optional.ofNullable(serverName), peerCertificates,
                new FakeSslSession("TLSv1.3", "TLS_AES_128_GCM_SHA256", peerCertificates,
                        peer == null ? null : peer.getHostString(), peer == null ? -1 : peer.getPort(), createdMillis));
    }
}
