package dev.glisten.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS servers' self-signed EC P-256 certificate for {@code 127.0.0.1}, made by the
 * {@code openssl} command as a user would make one, and what the clients need of it.
 *
 * @param certificate the PEM certificate file
 * @param key the PEM private key file
 */
record Certificate(Path certificate, Path key) {

    private static final Duration OPENSSL = Duration.ofSeconds(30);

    /** Writes {@code cert.pem} and {@code key.pem} into {@code directory}. */
    static Certificate generate(Path directory) throws IOException, InterruptedException {
        Certificate made = new Certificate(directory.resolve("cert.pem"), directory.resolve("key.pem"));
        Path output = directory.resolve("openssl.txt");
        Process openssl = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", made.key().toString(),
                "-out", made.certificate().toString(), "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            if (!openssl.waitFor(OPENSSL.toMillis(), TimeUnit.MILLISECONDS) || openssl.exitValue() != 0) {
                throw new IOException("openssl req failed or took over " + OPENSSL + ": " + Files.readString(output));
            }
        } finally {
            openssl.destroyForcibly();
        }
        return made;
    }

    /** The examples' options that serve TLS with it. */
    List<String> flags() {
        return List.of("--tls-cert", certificate.toString(), "--tls-key", key.toString());
    }

    /** A client context that trusts this certificate and nothing else. */
    SSLContext clientContext() throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(certificate)) {
            trusted.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** The bytes of a real ClientHello, as a client's first flight: a stalled handshake sends part of it. */
    static byte[] clientHello(SSLContext context) throws IOException {
        SSLEngine engine = context.createSSLEngine("127.0.0.1", 443);
        engine.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        SSLEngineResult result = engine.wrap(ByteBuffer.allocate(0), out);
        if (result.bytesProduced() == 0) {
            throw new IOException("the TLS engine made no ClientHello: " + result);
        }
        return Arrays.copyOf(out.array(), out.position());
    }
}
