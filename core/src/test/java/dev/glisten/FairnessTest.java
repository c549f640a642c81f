package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections whose peers send without pause share the carriers: virtual threads are not
 * time-sliced, so a loop that always finds more bytes must give way now and then, or a few such
 * peers (more than there are carriers) would starve the socket watchers and every other connection.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FairnessTest {

    @Test
    void peersThatNeverPauseDoNotStarveAnotherConnection() throws Exception {
        // Reads and drops what the flooders send, without ever blocking; answers "ping" with "pong".
        Handler<Void, Void> handler = (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet && packet.length() == 4 && packet.get(0) == 'p') {
                connection.send("pong".getBytes(StandardCharsets.US_ASCII));
            }
            return Next.continueWith(state);
        };
        int flooders = Runtime.getRuntime().availableProcessors() + 1;
        AtomicBoolean flooding = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        List<Socket> sockets = new ArrayList<>();
        // Small reads, so every read fills the buffer and a flooder's loop never runs out of bytes.
        try (Server server = Server.<Void, Void>builder(connection -> null, handler).readBufferSize(64)
                .bind("127.0.0.1").start(0)) {
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < flooders; i++) {
                Socket socket = new Socket("127.0.0.1", server.port());
                sockets.add(socket);
                OutputStream out = socket.getOutputStream();
                threads.add(Thread.ofPlatform().daemon().start(() -> {
                    try {
                        // Bounded in time by the flag, which the test clears when it ends.
                        while (flooding.get()) {
                            out.write(chunk);
                        }
                    } catch (IOException closedByTheTest) {
                        // The socket was closed under the write: the test is over.
                    }
                }));
            }
            Thread.sleep(500); // every flooder's connection is busy reading by now
            try (TestClient client = TestClient.connect(server)) {
                long started = System.nanoTime();
                assertThat(client.roundTrip("ping")).isEqualTo("pong");
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertThat(millis).as("round trip beside %d flooders, in ms", flooders).isLessThan(2_000);
            }
        } finally {
            flooding.set(false);
            for (Socket socket : sockets) {
                socket.close();
            }
            for (Thread thread : threads) {
                thread.join(5_000);
            }
        }
    }
}
