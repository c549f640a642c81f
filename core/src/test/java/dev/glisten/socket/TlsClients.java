package dev.glisten.socket;

import dev.glisten.internal.tls.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** JDK TLS clients for the low-level server: trusting the test PKI's root, optionally with a certificate. */
final class TlsClients {

    static final int TIMEOUT_MILLIS = (int) ConnectedPair.PATIENCE.toMillis();
    private static final char[] KEYSTORE_PASSWORD = "client keystore".toCharArray();

    private TlsClients() { }

    /** A client context that trusts {@code pki}'s root and presents no certificate. */
    static SSLContext trusting(TestPki pki) throws IOException, GeneralSecurityException {
        return context(pki, null);
    }

    /** A client context that trusts {@code pki}'s root and presents a new certificate named {@code name}. */
    static SSLContext withCertificate(TestPki pki, String name) throws IOException, GeneralSecurityException {
        Path[] keyAndChain = pki.otherKeyAndChain(TestPki.KeyKind.EC_P384_SEC1, name);
        String keyStore = name + ".p12";
        pki.openssl("pkcs12", "-export", "-inkey", keyAndChain[0].toString(), "-in", keyAndChain[1].toString(),
                "-name", name, "-passout", "pass:" + new String(KEYSTORE_PASSWORD), "-out", keyStore);
        return context(pki, pki.dir().resolve(keyStore));
    }

    private static SSLContext context(TestPki pki, Path keyStoreFile) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pki.rootCertificate())) {
            trust.setCertificateEntry("root", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
        trustManagers.init(trust);
        KeyManagerFactory keyManagers = null;
        if (keyStoreFile != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStoreFile)) {
                keys.load(in, KEYSTORE_PASSWORD);
            }
            keyManagers = KeyManagerFactory.getInstance("PKIX");
            keyManagers.init(keys, KEYSTORE_PASSWORD);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return context;
    }

    /** Connects to 127.0.0.1:{@code port}; the handshake starts with the first read or write. */
    static SSLSocket connect(SSLContext context, int port, String... applicationProtocols) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            return over(context, plain, applicationProtocols);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** Layers a client over a connected socket (closing one closes the other), as after STARTTLS. */
    static SSLSocket over(SSLContext context, Socket plain, String... applicationProtocols) throws IOException {
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        ssl.setSoTimeout(TIMEOUT_MILLIS);
        if (applicationProtocols.length > 0) {
            SSLParameters parameters = ssl.getSSLParameters();
            parameters.setApplicationProtocols(applicationProtocols);
            ssl.setSSLParameters(parameters);
        }
        return ssl;
    }

    /** Reads exactly {@code count} bytes, each read bounded by the socket's timeout. */
    static byte[] readExactly(Socket socket, int count) throws IOException {
        byte[] bytes = socket.getInputStream().readNBytes(count);
        if (bytes.length != count) {
            throw new IOException("end of stream after " + bytes.length + " of " + count + " bytes");
        }
        return bytes;
    }
}
