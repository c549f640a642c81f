package dev.glisten;

import dev.glisten.internal.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A server certificate made by {@link TestPki} (skipping the test where openssl is missing) and a
 * JDK client that trusts its root.
 *
 * @param server the server's TLS configuration
 * @param client a client context trusting the server's chain
 */
record TlsFixture(Tls server, SSLContext client) {

    static TlsFixture make(Path dir) throws Exception {
        TestPki pki = new TestPki(Files.createDirectories(dir));
        Tls server = Tls.builder()
                .certificate(pki.chain(TestPki.KeyKind.EC_P384_SEC1), pki.key(TestPki.KeyKind.EC_P384_SEC1))
                .build();
        SSLContext client = TestTls.clientTrusting(pki.rootCertificate());
        return new TlsFixture(server, client);
    }

    /** Connects to {@code server} on 127.0.0.1 and completes the handshake. */
    SSLSocket connect(Server server) throws Exception {
        SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.port());
        try {
            socket.setSoTimeout((int) TestSupport.WAIT.toMillis());
            socket.startHandshake();
            return socket;
        } catch (Exception e) {
            socket.close();
            throw e;
        }
    }
}
