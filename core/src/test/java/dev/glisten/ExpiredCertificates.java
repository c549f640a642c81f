package dev.glisten;

import dev.glisten.internal.tls.TestPki;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server certificate that expired yesterday, for localhost and 127.0.0.1, issued by a
 * {@link TestPki}'s intermediate CA. Made with the JDK's {@code keytool}, whose {@code -startdate}
 * can date a certificate in the past, which {@code openssl x509} cannot before openssl 3.4.
 */
final class ExpiredCertificates {

    static final char[] PASSWORD = "expired secret".toCharArray();
    private static final long TIMEOUT_SECONDS = 60;

    private ExpiredCertificates() { }

    /** A PKCS#12 keystore ({@link #PASSWORD}) holding the key and its chain: the expired leaf, intermediate, root. */
    static Path keystore(TestPki pki, String name) throws IOException {
        String password = new String(PASSWORD);
        Path dir = pki.dir();
        pki.openssl("pkcs12", "-export", "-in", pki.intermediateCertificate().toString(),
                "-inkey", dir.resolve("intermediate-key.pem").toString(), "-name", "ca",
                "-passout", "pass:" + password, "-out", "ca-for-" + name + ".p12");
        String keystore = name + ".p12";
        keytool(dir, "-genkeypair", "-keystore", keystore, "-storetype", "PKCS12", "-storepass", password,
                "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name);
        keytool(dir, "-certreq", "-keystore", keystore, "-storepass", password, "-alias", name, "-file", name + ".csr");
        keytool(dir, "-gencert", "-keystore", "ca-for-" + name + ".p12", "-storepass", password, "-alias", "ca",
                "-infile", name + ".csr", "-outfile", name + ".pem", "-rfc", "-startdate", "-2d", "-validity", "1",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth,clientAuth");
        pki.concat(name + "-reply.pem", dir.resolve(name + ".pem"), pki.intermediateCertificate(), pki.rootCertificate());
        keytool(dir, "-importcert", "-noprompt", "-keystore", keystore, "-storepass", password, "-alias", name,
                "-file", name + "-reply.pem");
        return dir.resolve(keystore);
    }

    private static void keytool(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "keytool", ".log");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("keytool took more than " + TIMEOUT_SECONDS + " s: " + command);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running keytool", e);
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("keytool failed (exit " + process.exitValue() + "): " + command + "\n"
                    + Files.readString(log, StandardCharsets.ISO_8859_1));
        }
    }
}
