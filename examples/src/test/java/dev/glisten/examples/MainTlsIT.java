package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.OutputStream;
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

        try (TestClient client = TestClient.connectTls(port, certificate)) {
            client.send("ping over tls\n");
            assertThat(client.receiveLine()).isEqualTo("ping over tls\n");
            assertThat(client.tlsProtocol()).isEqualTo("TLSv1.3");

            assertThat(jar.terminate()).isIn(0, TERMINATED);
            client.assertClosedByServer();
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

        try (TestClient alice = TestClient.connectTls(port, certificate)) {
            assertThat(alice.receiveLine()).isEqualTo("welcome: 0 others here, over TLSv1.3\n");
            try (TestClient bob = TestClient.connectTls(port, certificate)) {
                assertThat(bob.receiveLine()).startsWith("welcome: 1 others here");

                bob.send("hello alice, encrypted\n");

                assertThat(alice.receiveLine()).isEqualTo("hello alice, encrypted\n");
            }
        }
    }

    @Test
    void aPlainTcpClientIsDroppedAndTheServerServesTheNext() throws Exception {
        int port = startWithTls("echo");

        try (TestClient plain = TestClient.connect(port)) {
            plain.send("ping\n"); // not a TLS ClientHello
            // The server answers with a TLS alert record (content type 21) saying why, then closes.
            plain.assertTlsAlertThenClosedByServer();
        }
        try (TestClient client = TestClient.connectTls(port, certificate)) {
            client.send("still up\n");
            assertThat(client.receiveLine()).isEqualTo("still up\n");
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
}
