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
 * The CA certificates a server trusts to have issued its clients' certificates (mutual TLS), or a
 * client trusts to have issued its servers', read from a PEM file of one or more certificates, and
 * the JDK trust managers that check peer chains against them (PKIX path validation, RFC 5280).
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
            return trustManagers(store);
        } catch (GeneralSecurityException | IOException e) {
            // Only possible if the JDK lacks PKCS12 or PKIX, which every JDK since 9 has.
            throw new IllegalStateException("the JDK cannot build a trust manager", e);
        }
    }

    /**
     * Trust managers that accept a peer chain leading to one of the JDK's default CAs: its
     * {@code cacerts}, or the trust store the {@code javax.net.ssl.trustStore} system property names.
     */
    public static TrustManager[] jdkDefaults() {
        try {
            return trustManagers((KeyStore) null);
        } catch (GeneralSecurityException e) {
            String named = System.getProperty("javax.net.ssl.trustStore");
            throw TlsProblems.of("the JDK's default trust store" + (named == null ? "" : " " + named),
                    "cannot be read (" + e + ")", "Check the javax.net.ssl.trustStore system properties, "
                            + "or give the CA certificates with trustedCertificates", e);
        }
    }

    private static TrustManager[] trustManagers(KeyStore anchors) throws GeneralSecurityException {
        // PKIX is the default algorithm; named here because the chain checks depend on it.
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(anchors);
        return factory.getTrustManagers();
    }
}
