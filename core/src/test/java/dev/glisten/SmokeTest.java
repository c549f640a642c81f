package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void echoes() throws Exception {
        try (Server server = Server.<Void, Void>builder(c -> null, (s, m, c) -> {
            if (m instanceof Message.Packet<Void> p) c.send(p.bytes());
            return Next.continueWith(s);
        }).bind("127.0.0.1").start(0);
             Socket client = new Socket("127.0.0.1", server.port())) {
            client.getOutputStream().write("hello".getBytes());
            InputStream in = client.getInputStream();
            assertThat(in.readNBytes(5)).isEqualTo("hello".getBytes());
        }
    }
}
