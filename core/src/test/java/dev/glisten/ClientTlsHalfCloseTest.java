package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki;
import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Half-close over TLS: the client's {@code shutdownOutput} sends close_notify, and a close_notify
 * from the server ends the client's reads, against the JDK's {@link SSLSocket} (which half-closes
 * in TLS 1.3 too). In TLS 1.3 each direction ends alone, so either side may answer after the
 * other finished; in TLS 1.2 a close_notify ends both (RFC 5246 section 7.2.1).
 */
class ClientTlsHalfCloseTest {

    private static final int TIMEOUT_MILLIS = (int) TlsChannelClient.WAIT.toMillis();

    @TempDir
    static Path dir;
    static SSLContext serverContext;
    static ClientTls trusting;

    @BeforeAll
    static void pki() {
        TestPki pki = new TestPki(dir);
        KeyKind kind = KeyKind.EC_P256_SEC1_WITH_PARAMETERS;
        Path keystore = TestTls.pkcs12(pki, pki.chain(kind), pki.key(kind), null, "secret", "server.p12");
        serverContext = TestTls.serverContext(keystore, "secret".toCharArray());
        trusting = ClientTls.builder().trustedCertificates(pki.rootCertificate()).build();
    }

    /** What the JDK server does with its one connection; returns what the test checks. */
    private interface Serve {
        String serve(SSLSocket socket) throws IOException;
    }

    /**
     * A JDK TLS server on 127.0.0.1 for one connection, speaking only {@code protocol}, running
     * {@code serve} on its own thread; {@code test} runs with the listening port.
     */
    private static String withJdkServer(String protocol, Serve serve, ClientSide test) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            listener.setSoTimeout(TIMEOUT_MILLIS);
            listener.setEnabledProtocols(new String[] {protocol});
            CompletableFuture<String> served = new CompletableFuture<>();
            Thread.ofVirtual().name("jdk-tls-server").start(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout(TIMEOUT_MILLIS);
                    served.complete(serve.serve(socket));
                } catch (Throwable t) {
                    served.completeExceptionally(t);
                }
            });
            try (TlsChannelClient client = TlsChannelClient.connect(trusting, "localhost", listener.getLocalPort())) {
                assertThat(client.handshake().protocol()).isEqualTo(protocol);
                test.run(client);
            }
            return served.get(2L * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private interface ClientSide {
        void run(TlsChannelClient client) throws Exception;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void write(SSLSocket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void inTls13TheServerAnswersAfterTheClientFinished() throws Exception {
        String served = withJdkServer("TLSv1.3", socket -> {
            String question = text(socket.getInputStream().readAllBytes()); // to the client's close_notify
            write(socket, "answer to " + question);
            return question;
        }, client -> {
            client.send("question");
            client.shutdownOutput();
            assertThat(client.readToEnd()).isEqualTo("answer to question");
        });
        assertThat(served).isEqualTo("question");
    }

    @Test
    void inTls13TheClientAnswersAfterTheServerFinished() throws Exception {
        String served = withJdkServer("TLSv1.3", socket -> {
            write(socket, "greeting");
            socket.shutdownOutput(); // close_notify, and the JDK keeps reading
            return text(socket.getInputStream().readAllBytes());
        }, client -> {
            assertThat(client.readToEnd()).isEqualTo("greeting");
            client.send("reply after the end");
            client.shutdownOutput();
        });
        assertThat(served).isEqualTo("reply after the end");
    }

    @Test
    void inTls12TheClientsCloseNotifyEndsBothDirections() throws Exception {
        String served = withJdkServer("TLSv1.2", socket -> {
            String question = text(socket.getInputStream().readAllBytes());
            try {
                write(socket, "too late");
                return question + ", and the answer went out";
            } catch (IOException closed) {
                return question + ", and the answer failed";
            }
        }, client -> {
            client.send("question");
            client.shutdownOutput();
            // The server answered the close_notify with its own: the end, and nothing after.
            assertThat(client.readToEnd()).isEmpty();
        });
        assertThat(served).isEqualTo("question, and the answer failed");
    }

    @Test
    void inTls12TheServersCloseNotifyEndsBothDirections() throws Exception {
        withJdkServer("TLSv1.2", socket -> {
            write(socket, "greeting");
            socket.shutdownOutput();
            return text(socket.getInputStream().readAllBytes());
        }, client -> {
            assertThat(client.readToEnd()).isEqualTo("greeting");
            // Reading the close_notify answered it (RFC 5246 section 7.2.1): nothing more goes out.
            assertThatThrownBy(() -> client.send("reply")).isInstanceOf(SSLException.class)
                    .hasMessage("the TLS session is closed");
        });
    }
}
