package dev.glisten.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import dev.glisten.socket.ClientSocket;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kernel, not one listen socket, takes the connections when there are several. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReusePortSpreadTest {

    @Test
    void linuxSpreadsConnectionsOverTheListenSockets() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"),
                "Linux hashes connections over SO_REUSEPORT sockets; other systems may not");
        try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                    if (message instanceof Message.Packet<Void> packet) {
                        connection.send(packet.bytes());
                    }
                    return Next.continueWith(state);
                }).bind("127.0.0.1").listenSockets(4).acceptors(4).start(0)) {
            int clients = 100;
            for (int i = 0; i < clients; i++) {
                // Each client has its own source port, so its own hash.
                try (ClientSocket client = ClientSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(10))) {
                    client.send("x".getBytes(UTF_8));
                    assertThat(client.receive(1, Duration.ofSeconds(10))).containsExactly('x');
                }
            }
            long[] perListener = ((RealServer<?, ?>) server).acceptedPerListenSocket();
            assertThat(perListener).hasSize(4);
            assertThat(Arrays.stream(perListener).sum()).isEqualTo(clients);
            assertThat(Arrays.stream(perListener).filter(count -> count > 0).count())
                    .as("listen sockets that accepted some of %s", Arrays.toString(perListener))
                    .isGreaterThan(1);
        }
    }
}
