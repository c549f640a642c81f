package dev.glisten.internal.tls;

import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * The buffers TLS connections borrow for one call at a time: {@code net} for records as they
 * travel, {@code app} for decrypted bytes, each sized as the JDK's TLS asks
 * ({@link javax.net.ssl.SSLSession#getPacketBufferSize()},
 * {@link javax.net.ssl.SSLSession#getApplicationBufferSize()}); a connection that meets a larger
 * record grows its own buffer for that call.
 */
record TlsBuffers(ReadBuffers net, ReadBuffers app) {

    /** Buffers sized for the JDK's TLS, with {@code slots} kept for reuse of each kind. */
    static TlsBuffers sized(int slots) {
        try {
            SSLEngine engine = SSLContext.getDefault().createSSLEngine();
            var session = engine.getSession();
            return new TlsBuffers(new ReadBuffers(session.getPacketBufferSize(), slots),
                    new ReadBuffers(session.getApplicationBufferSize(), slots));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no TLS", e);
        }
    }
}
