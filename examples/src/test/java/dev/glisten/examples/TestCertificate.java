package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed EC P-256 certificate for {@code localhost} and {@code 127.0.0.1} and its key, made
 * by the {@code openssl} command in a test's temporary directory, as a user would make one.
 *
 * @param certificate the PEM certificate file
 * @param key the PEM (PKCS#8) key file
 */
record TestCertificate(Path certificate, Path key) {

    private static final Duration OPENSSL = Duration.ofSeconds(30);

    /** Writes {@code <name>-cert.pem} and {@code <name>-key.pem} into {@code directory}. */
    static TestCertificate generate(Path directory, String name) throws Exception {
        TestCertificate made = new TestCertificate(directory.resolve(name + "-cert.pem"), directory.resolve(name + "-key.pem"));
        Path output = directory.resolve(name + "-openssl.txt");
        Process openssl = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", made.key().toString(),
                "-out", made.certificate().toString(), "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            if (!openssl.waitFor(OPENSSL.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("openssl req did not finish within " + OPENSSL);
            }
            assertThat(openssl.exitValue()).as("openssl req: %s", Files.readString(output)).isZero();
        } finally {
            openssl.destroyForcibly();
        }
        return made;
    }

    /** A client context that trusts this certificate and nothing else. */
    SSLContext clientContext() throws Exception {
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

    /** The file names as arguments of the examples' command line. */
    List<String> flags() {
        return List.of("--tls-cert", certificate.toString(), "--tls-key", key.toString());
    }
}
