package dev.glisten.testkit;

import dev.glisten.ClientTls;
import dev.glisten.Tls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Two self-signed EC P-256 certificates made by {@code openssl}, as a user would make them: the
 * server's, for {@code localhost} and {@code 127.0.0.1}, and a client's ({@code CN=test client})
 * for mutual TLS. Each trusts exactly the other.
 *
 * @param serverCertificate the server's PEM certificate
 * @param serverKey the server's PEM (PKCS#8) key
 * @param clientCertificate the client's PEM certificate, also the server's only trusted CA
 * @param clientKey the client's PEM (PKCS#8) key
 */
record TestCertificates(Path serverCertificate, Path serverKey, Path clientCertificate, Path clientKey) {

    private static final Duration OPENSSL = Duration.ofSeconds(30);
    private static final char[] IN_MEMORY = "in memory only".toCharArray();

    /** Writes the four files into {@code directory}. */
    static TestCertificates generate(Path directory) throws IOException, InterruptedException {
        TestCertificates made = new TestCertificates(directory.resolve("server-cert.pem"),
                directory.resolve("server-key.pem"), directory.resolve("client-cert.pem"),
                directory.resolve("client-key.pem"));
        openssl(directory, made.serverCertificate, made.serverKey, "/CN=localhost",
                "subjectAltName=IP:127.0.0.1,DNS:localhost");
        openssl(directory, made.clientCertificate, made.clientKey, "/CN=test client", "extendedKeyUsage=clientAuth");
        return made;
    }

    private static void openssl(Path directory, Path certificate, Path key, String subject, String extension)
            throws IOException, InterruptedException {
        Path output = directory.resolve(certificate.getFileName() + ".openssl.txt");
        Process openssl = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(),
                "-out", certificate.toString(), "-days", "2", "-subj", subject, "-addext", extension))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            if (!openssl.waitFor(OPENSSL.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("openssl req did not finish within " + OPENSSL);
            }
            if (openssl.exitValue() != 0) {
                throw new IOException("openssl req failed: " + Files.readString(output));
            }
        } finally {
            openssl.destroyForcibly();
        }
    }

    /** The server's TLS: its certificate, client certificates required and checked, ALPN offering {@code alpn}. */
    Tls serverTls(String... alpn) {
        return Tls.builder().certificate(serverCertificate, serverKey).clientAuth(Tls.ClientAuth.REQUIRED)
                .trustedCertificates(clientCertificate).applicationProtocols(alpn).build();
    }

    /** A client that trusts only the server's certificate and presents its own. */
    SSLContext clientContext() throws IOException, GeneralSecurityException {
        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry("client", privateKey(clientKey), IN_MEMORY, new Certificate[] {client()});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(own, IN_MEMORY);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("server", certificate(serverCertificate));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /**
     * A glisten client's TLS: trusts only the server's certificate, presents its own, offers
     * {@code alpn} and asks for {@code serverName}, which the certificate must match.
     */
    ClientTls clientTls(String serverName, String... alpn) {
        return ClientTls.builder().trustedCertificates(serverCertificate).certificate(clientCertificate, clientKey)
                .serverName(serverName).applicationProtocols(alpn).build();
    }

    /** The server's certificate, as a client sees it after the handshake. */
    X509Certificate server() throws IOException, GeneralSecurityException {
        return certificate(serverCertificate);
    }

    /** The client's certificate, as the server sees it after the handshake. */
    X509Certificate client() throws IOException, GeneralSecurityException {
        return certificate(clientCertificate);
    }

    private static X509Certificate certificate(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static PrivateKey privateKey(Path pkcs8Pem) throws IOException, GeneralSecurityException {
        String base64 = Files.readString(pkcs8Pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }
}
