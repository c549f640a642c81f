package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.testkit.TestClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar's {@code --tls-cert} and {@code --tls-key}: the echo and chat examples over TLS,
 * to the JDK's client and to {@code openssl s_client}, and every misuse of the flags. The
 * certificate is made by {@code openssl req} for each test, as the README tells users to.
 */
class MainTlsIT {

    /** What a process killed by SIGTERM reports: 128 + 15. */
    private static final int TERMINATED = 143;
    private static final Duration OPENSSL = Duration.ofSeconds(20);
    private static final Path OPENSSL_COMMAND = Path.of("/usr/bin/openssl");

    @TempDir
    Path directory;

    private TestCertificate certificate;
    private JarProcess jar;

    @BeforeEach
    void makeCertificate() throws Exception {
        certificate = TestCertificate.generate(directory, "localhost");
    }

    @AfterEach
    void kill() {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void echoAnswersAJdkClientOverTls13AndAnnouncesItselfAsBefore() throws Exception {
        int port = startWithTls("echo");

        try (TestClient client = connectTls(port)) {
            client.send("ping over tls\n");
            assertThat(client.readLine()).isEqualTo("ping over tls");
            assertThat(client.tlsSession().getProtocol()).isEqualTo("TLSv1.3");

            assertThat(jar.terminate()).isIn(0, TERMINATED);
            assertThat(client.awaitClosed()).as("bytes before the close").isZero();
        }

        // Scripts parse standard output: still the one line, TLS or not.
        assertThat(jar.stdout()).isEqualTo("listening on 127.0.0.1:" + port + "\n");
        assertThat(jar.stderr()).contains("glisten-examples: serving TLS with",
                "openssl s_client -connect 127.0.0.1:" + port);
        JarProcess.assertNothingListensOn(port);
    }

    @Test
    void echoAnswersOpensslSClientVerifyingTheCertificate() throws Exception {
        int port = startWithTls("echo");
        Path out = directory.resolve("s_client.out");
        Path err = directory.resolve("s_client.err");
        // -CAfile and -verify_return_error: the handshake fails unless the server presents this
        // certificate; -no_ign_eof: closing standard input ends the session.
        Process client = new ProcessBuilder(OPENSSL_COMMAND.toString(), "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-verify_hostname", "localhost", "-CAfile", certificate.certificate().toString(), "-verify_return_error",
                "-quiet", "-no_ign_eof")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            try (OutputStream in = client.getOutputStream()) {
                in.write("hello from openssl\n".getBytes(UTF_8));
                in.flush();
                awaitContent(out, "hello from openssl\n", client, err);
            }
            assertThat(client.waitFor(OPENSSL.toMillis(), TimeUnit.MILLISECONDS))
                    .as("s_client ends once its input is closed; stderr: %s", Files.readString(err)).isTrue();
            assertThat(client.exitValue()).as(Files.readString(err)).isZero();
            assertThat(Files.readString(out)).isEqualTo("hello from openssl\n");
        } finally {
            client.destroyForcibly();
            client.waitFor(OPENSSL.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void chatRelaysALineBetweenTwoTlsClients() throws Exception {
        int port = startWithTls("chat");

        try (TestClient alice = connectTls(port)) {
            assertThat(alice.readLine()).isEqualTo("welcome: 0 others here, over TLSv1.3");
            try (TestClient bob = connectTls(port)) {
                assertThat(bob.readLine()).startsWith("welcome: 1 others here");

                bob.send("hello alice, encrypted\n");

                assertThat(alice.readLine()).isEqualTo("hello alice, encrypted");
            }
        }
    }

    @Test
    void aPlainTcpClientIsDroppedAndTheServerServesTheNext() throws Exception {
        int port = startWithTls("echo");

        try (TestClient plain = JarProcess.connect(port)) {
            plain.send("ping\n"); // not a TLS ClientHello
            // The server answers with a TLS alert record (content type 21) saying why, then closes.
            assertTlsAlertThenClosed(plain);
        }
        try (TestClient client = connectTls(port)) {
            client.send("still up\n");
            assertThat(client.readLine()).isEqualTo("still up");
        }
    }

    @Test
    void aCertificateWithoutItsKeyExitsWith2NamingTheMissingFlag() throws Exception {
        jar = start("echo", "--port", "0", "--tls-cert", certificate.certificate().toString());

        assertUsageError("glisten-examples: --tls-cert needs --tls-key too");
    }

    @Test
    void aKeyWithoutItsCertificateExitsWith2NamingTheMissingFlag() throws Exception {
        jar = start("chat", "--port", "0", "--tls-key", certificate.key().toString());

        assertUsageError("glisten-examples: --tls-key needs --tls-cert too");
    }

    @Test
    void theLowLevelExampleRefusesTheTlsFlags() throws Exception {
        jar = start(withTls("lowlevel", "--port", "0"));

        assertUsageError("glisten-examples: the lowlevel example serves plain TCP only");
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateExitsWith2WithTheLibrarysMessage() throws Exception {
        TestCertificate other = TestCertificate.generate(directory, "other");
        jar = start("echo", "--port", "0", "--tls-cert", certificate.certificate().toString(),
                "--tls-key", other.key().toString());

        assertUsageError("glisten-examples: key file " + other.key() + ": the EC key does not match the certificate");
    }

    @Test
    void aMissingFileExitsWith2NamingIt() throws Exception {
        Path missing = directory.resolve("missing.pem");
        jar = start("echo", "--port", "0", "--tls-cert", missing.toString(), "--tls-key", certificate.key().toString());

        assertUsageError("glisten-examples: certificate file " + missing + ": does not exist");
    }

    private int startWithTls(String example) throws Exception {
        jar = start(withTls(example, "--port", "0", "--bind", "127.0.0.1"));
        return jar.awaitListening("127.0.0.1");
    }

    private String[] withTls(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(certificate.flags());
        return all.toArray(String[]::new);
    }

    private JarProcess start(String... args) throws Exception {
        return JarProcess.start(JarProcess.testJava(), environment -> { }, directory, args);
    }

    private void assertUsageError(String firstLine) throws Exception {
        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValueSatisfying(line -> assertThat(line).startsWith(firstLine));
        assertThat(jar.stderr()).contains("Usage: java -jar glisten-examples.jar");
        assertThat(jar.stdout()).isEmpty();
    }

    /** Waits (at most {@link #OPENSSL}) until {@code file} holds {@code expected}. */
    private static void awaitContent(Path file, String expected, Process writer, Path writerErrors) throws Exception {
        long deadline = System.nanoTime() + OPENSSL.toNanos();
        while (!Files.readString(file).equals(expected)) {
            if (!writer.isAlive() && !Files.readString(file).equals(expected)) {
                fail("s_client exited with " + writer.exitValue() + "; stdout: " + Files.readString(file)
                        + "; stderr: " + Files.readString(writerErrors));
            }
            if (System.nanoTime() > deadline) {
                fail("no echo within " + OPENSSL + "; stdout: " + Files.readString(file)
                        + "; stderr: " + Files.readString(writerErrors));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Connects to {@code 127.0.0.1:port} and completes a TLS handshake, as a careful client would:
     * trusting only the test's certificate, asking for the name {@code localhost} (SNI) and checking
     * that the certificate is issued to it.
     */
    private TestClient connectTls(int port) throws Exception {
        TestClient client = JarProcess.connect(port);
        try {
            return client.startTls(certificate.clientContext(), "localhost");
        } catch (Exception e) {
            client.close();
            throw e;
        }
    }

    /**
     * Waits for a TLS server to send one alert record (RFC 8446 section 5.1: content type 21, a
     * 2-byte version, a 2-byte length, then the alert) and close.
     */
    private static void assertTlsAlertThenClosed(TestClient plain) throws IOException {
        try {
            byte[] header = plain.readExactly(5);
            assertThat(header[0]).as("the record's content type: alert").isEqualTo((byte) 21);
            int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
            plain.readExactly(length);
        } catch (SocketException reset) {
            return; // reset before the alert was read: closed all the same
        }
        assertThat(plain.awaitClosed()).as("bytes after the alert").isZero();
    }
}
