package dev.glisten.internal.tls;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/** Makes the {@link SSLContext} a TLS server's (or client's) engines come from. */
public final class SslContexts {

    private SslContexts() { }

    /**
     * A context with the JDK's default TLS protocols (TLS 1.3 and 1.2) and the default secure
     * random.
     *
     * @param keyManagers the server's identity, {@link KeyMaterial#keyManagers()} (a client's, or
     *     {@code null} for a client without one)
     * @param trustManagers the CAs that may issue the peer's certificates
     *     ({@link TrustAnchors#trustManagers}), or {@code null} for the JDK's default CAs
     */
    public static SSLContext create(KeyManager[] keyManagers, TrustManager[] trustManagers) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trustManagers, null);
            return context;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no TLS", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make a TLS context", e);
        }
    }
}
