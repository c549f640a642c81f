package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The CA certificates a server trusts to have issued its clients' certificates (mutual TLS), read
 * from a PEM file of one or more certificates, and the JDK trust managers that check client
 * chains against them (PKIX path validation, RFC 5280).
 */
public final class TrustAnchors {

    private TrustAnchors() { }

    /**
     * Reads the CA certificates of a PEM file ({@code CERTIFICATE} blocks; other blocks are skipped).
     *
     * @throws TlsConfigException naming the file if it is missing, not PEM, or has no certificate
     */
    public static List<X509Certificate> read(Path caFile) {
        return CertificateChains.read(PemSource.file("CA file", caFile));
    }

    /** As {@link #read(Path)}, from PEM text in memory. */
    public static List<X509Certificate> read(String caPem) {
        return CertificateChains.read(PemSource.inMemory("CA certificates", caPem));
    }

    /**
     * Trust managers that accept a peer chain leading to one of {@code anchors}.
     *
     * @param anchors at least one CA certificate
     */
    public static TrustManager[] trustManagers(List<X509Certificate> anchors) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("no trust anchors");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("ca-" + i, anchors.get(i));
            }
            // PKIX is the default algorithm; named here because the chain checks depend on it.
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            return factory.getTrustManagers();
        } catch (GeneralSecurityException | IOException e) {
            // Only possible if the JDK lacks PKCS12 or PKIX, which every JDK since 9 has.
            throw new IllegalStateException("the JDK cannot build a trust manager", e);
        }
    }
}
