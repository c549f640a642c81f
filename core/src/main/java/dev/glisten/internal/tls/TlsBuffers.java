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

    /** The buffers every client connection borrows, whichever {@link dev.glisten.ClientTls} it has. */
    static TlsBuffers forClients() {
        return ForClients.BUFFERS;
    }

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

    /**
     * Made at the first client connection (a class is initialized at its first use, once, JLS
     * section 12.4.2): a server alone never makes them. Slots as a server keeps: two per processor.
     */
    private static final class ForClients {
        static final TlsBuffers BUFFERS = sized(2 * Runtime.getRuntime().availableProcessors());
    }
}
