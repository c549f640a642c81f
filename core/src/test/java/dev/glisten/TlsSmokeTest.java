package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.internal.tls.TestPki;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.nio.file.Files;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSmokeTest {
    @TempDir Path dir;

    @Test
    void echoesOverTls() throws Exception {
        TestPki pki = new TestPki(dir);
        Tls tls = Tls.builder().certificate(pki.chain(TestPki.KeyKind.EC_P384_SEC1), pki.key(TestPki.KeyKind.EC_P384_SEC1)).build();
        try (Server server = Server.<Void, Void>builder(c -> null, TestSupport.echo()).tls(tls).start(0)) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(pki.rootCertificate())) {
                trust.setCertificateEntry("root", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext client = SSLContext.getInstance("TLS");
            client.init(null, tmf.getTrustManagers(), null);
            for (int round = 0; round < 3; round++) {
                try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                    socket.setSoTimeout(5000);
                    OutputStream out = socket.getOutputStream();
                    InputStream in = socket.getInputStream();
                    byte[] big = new byte[100_000];
                    for (int i = 0; i < big.length; i++) big[i] = (byte) i;
                    out.write("hello".getBytes());
                    out.flush();
                    assertThat(in.readNBytes(5)).isEqualTo("hello".getBytes());
                    out.write(big);
                    out.flush();
                    assertThat(in.readNBytes(big.length)).isEqualTo(big);
                    System.out.println(socket.getSession().getProtocol() + " " + socket.getSession().getCipherSuite());
                }
            }
            TestSupport.eventually("closed", () -> server.connectionCount() == 0);
            System.out.println(server.stats());
        }
    }
}
