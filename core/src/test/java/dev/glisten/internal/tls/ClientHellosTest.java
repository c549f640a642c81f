package dev.glisten.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/** {@link ClientHellos}, on ClientHellos the JDK's own client writes, cut and mutated. */
class ClientHellosTest {

    private static ByteBuffer clientHello(String serverName, String protocol) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine("peer", 443);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(new String[] {protocol});
        parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return out.flip();
    }

    @Test
    void readsTheServerNameOfTls13AndTls12ClientHellos() throws Exception {
        for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
            ByteBuffer hello = clientHello("API.Example.com", protocol);
            int position = hello.position();
            assertThat(ClientHellos.firstRecordArrived(hello)).isTrue();
            assertThat(ClientHellos.serverName(hello)).as(protocol).isEqualTo("api.example.com");
            assertThat(hello.position()).as("the buffer is left as it was").isEqualTo(position);
        }
    }

    @Test
    void aClientHelloWithoutAServerNameHasNone() throws Exception {
        assertThat(ClientHellos.serverName(clientHello(null, "TLSv1.3"))).isNull();
    }

    @Test
    void waitsForTheWholeFirstRecord() throws Exception {
        ByteBuffer hello = clientHello("a.test", "TLSv1.3");
        for (int length = 0; length < hello.remaining(); length++) {
            ByteBuffer part = hello.duplicate().limit(length);
            assertThat(ClientHellos.firstRecordArrived(part)).as("%d of %d bytes", length, hello.remaining()).isFalse();
            assertThat(ClientHellos.serverName(part)).isNull();
        }
    }

    @Test
    void somethingThatIsNotAHandshakeRecordIsDecidedAtOnce() {
        ByteBuffer http = ByteBuffer.wrap("GET / HTTP/1.1\r\n".getBytes());
        assertThat(ClientHellos.firstRecordArrived(http)).isTrue();
        assertThat(ClientHellos.serverName(http)).isNull();
    }

    @Test
    void mutatedAndRandomInputNeverThrows() throws Exception {
        ByteBuffer hello = clientHello("fuzz.example", "TLSv1.3");
        byte[] original = new byte[hello.remaining()];
        hello.get(original);
        Random random = new Random(42);
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = original.clone();
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            ByteBuffer mutated = ByteBuffer.wrap(bytes, 0, random.nextInt(bytes.length + 1));
            String name = ClientHellos.serverName(mutated);
            assertThat(name == null || name.length() <= bytes.length).isTrue();
        }
        for (int round = 0; round < 5_000; round++) {
            byte[] bytes = new byte[random.nextInt(600)];
            random.nextBytes(bytes);
            if (bytes.length > 0) {
                bytes[0] = 22; // a handshake record, so the parser goes past the header
            }
            ClientHellos.serverName(ByteBuffer.wrap(bytes));
        }
    }
}
