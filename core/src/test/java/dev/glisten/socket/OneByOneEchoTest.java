package dev.glisten.socket;

import static dev.glisten.socket.ConnectedPair.PATIENCE;
import static dev.glisten.socket.ConnectedPair.receiveExactly;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The serve-clients-one-by-one echo loop of the package documentation, against several clients in turn. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OneByOneEchoTest {

    @Test
    void servesSeveralClientsOneAfterAnother() throws Exception {
        AtomicInteger served = new AtomicInteger();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        ListenSocket listener = ListenSocket.listen(0, SocketOptions.builder().bindAddress("127.0.0.1").build());
        try {
            Future<?> server = threads.submit(() -> {
                serveOneByOne(listener, served);
                return null;
            });

            for (int i = 1; i <= 5; i++) {
                try (ClientSocket client = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE)) {
                    for (String line : new String[] {"hello " + i + "\n", "again " + i + "\n"}) {
                        client.send(line.getBytes(US_ASCII));
                        assertThat(new String(receiveExactly(client, line.length()), US_ASCII)).isEqualTo(line);
                    }
                    client.shutdownOutput();
                    assertThatThrownBy(() -> client.receive(1, PATIENCE)).isInstanceOf(EOFException.class);
                }
            }

            listener.close();
            assertThatThrownBy(() -> server.get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOf(ClosedChannelException.class);
            assertThat(served).hasValue(5);
        } finally {
            listener.close();
            threads.shutdownNow();
        }
    }

    /** As in package-info.java, except that it counts the clients it served. */
    private static void serveOneByOne(ListenSocket listener, AtomicInteger served) throws IOException {
        while (true) {
            try (ClientSocket client = listener.accept()) {
                try {
                    while (true) {
                        client.send(client.receive(4096));
                    }
                } finally {
                    served.incrementAndGet();
                }
            } catch (EOFException | SocketException clientLeft) {
                // The client closed or reset its connection; serve the next one.
            }
        }
    }
}
