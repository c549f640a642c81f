package dev.glisten.socket;

import static dev.glisten.socket.ConnectedPair.PATIENCE;
import static dev.glisten.socket.ConnectedPair.receiveExactly;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClientSocketTest {

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void receiveTimesOutAndTheSocketStillReceives() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> pair.server().receive(10, Duration.ofMillis(100)))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("127.0.0.1:" + pair.client().localAddress().getPort())
                    .hasMessageContaining("PT0.1S");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(90));
            assertThat(pair.server().isOpen()).isTrue();

            pair.client().send("after".getBytes(US_ASCII));
            assertThat(receiveExactly(pair.server(), 5)).isEqualTo("after".getBytes(US_ASCII));
            pair.client().send("untimed".getBytes(US_ASCII));
            ByteArrayOutputStream untimed = new ByteArrayOutputStream();
            while (untimed.size() < 7) {
                untimed.writeBytes(pair.server().receive(7 - untimed.size()));
            }
            assertThat(untimed.toByteArray()).isEqualTo("untimed".getBytes(US_ASCII));
        }
    }

    @Test
    void receiveReturnsAtMostMaxBytesAndReassemblingGivesEveryByte() throws Exception {
        byte[] sent = new byte[300_000];
        new Random(7).nextBytes(sent);
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            Future<?> sending = threads.submit(() -> {
                pair.client().send(sent);
                return null;
            });
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            int[] sizes = {1, 7, 1000, 4096, 100_000};
            for (int i = 0; received.size() < sent.length; i++) {
                int maxBytes = sizes[i % sizes.length];
                byte[] chunk = pair.server().receive(maxBytes, PATIENCE);
                assertThat(chunk.length).isBetween(1, maxBytes);
                received.writeBytes(chunk);
            }
            sending.get(5, TimeUnit.SECONDS);
            assertThat(received.toByteArray()).isEqualTo(sent);
        }
    }

    @Test
    void receiveNeverReturnsMoreThan64KiBAtOnce() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            pair.client().send(new byte[200_000]);
            assertThat(pair.server().receive(Integer.MAX_VALUE, PATIENCE).length).isBetween(1, 64 * 1024);
            assertThat(pair.server().receive(Integer.MAX_VALUE).length).isBetween(1, 64 * 1024);
        }
    }

    @Test
    void receiveAfterThePeerClosedThrowsEofException() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            pair.client().send("last words".getBytes(US_ASCII));
            pair.client().close();

            assertThat(receiveExactly(pair.server(), 10)).isEqualTo("last words".getBytes(US_ASCII));
            assertThatThrownBy(() -> pair.server().receive(10, PATIENCE))
                    .isInstanceOf(EOFException.class)
                    .hasMessageContaining("127.0.0.1:" + pair.client().localAddress().getPort());
            assertThatThrownBy(() -> pair.server().receive(10)).isInstanceOf(EOFException.class);
            assertThat(pair.server().isOpen()).isTrue();
        }
    }

    @Test
    void gatheringSendDeliversTheBuffersInOrder() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            ByteBuffer header = ByteBuffer.wrap("HEAD:".getBytes(US_ASCII));
            ByteBuffer empty = ByteBuffer.allocate(0);
            ByteBuffer body = ByteBuffer.allocateDirect(100_000);
            for (int i = 0; i < body.capacity(); i++) {
                body.put((byte) i);
            }
            body.flip();
            ByteBuffer trailer = ByteBuffer.wrap(":TAIL".getBytes(US_ASCII));

            Future<?> sending = threads.submit(() -> {
                pair.client().send(header, empty, body, trailer);
                return null;
            });
            byte[] received = receiveExactly(pair.server(), 5 + 100_000 + 5);
            sending.get(5, TimeUnit.SECONDS);

            ByteBuffer expected = ByteBuffer.allocate(received.length).put("HEAD:".getBytes(US_ASCII));
            for (int i = 0; i < 100_000; i++) {
                expected.put((byte) i);
            }
            expected.put(":TAIL".getBytes(US_ASCII));
            assertThat(received).isEqualTo(expected.array());
            assertThat(header.hasRemaining() || body.hasRemaining() || trailer.hasRemaining()).isFalse();
        }
    }

    @Test
    void sendingABufferSendsItsRemainingBytesAndConsumesThem() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            ByteBuffer buffer = ByteBuffer.wrap("skip-send".getBytes(US_ASCII)).position(5);
            pair.client().send(buffer);
            assertThat(buffer.hasRemaining()).isFalse();
            pair.client().send(new byte[0]);
            pair.client().send();
            assertThat(receiveExactly(pair.server(), 4)).isEqualTo("send".getBytes(US_ASCII));
        }
    }

    @Test
    void concurrentSendsEachArriveWhole() throws Exception {
        int senders = 4;
        int messages = 20;
        int size = 50_000;
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            List<Future<?>> sending = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                byte mark = (byte) ('a' + s);
                sending.add(threads.submit(() -> {
                    byte[] message = new byte[size];
                    java.util.Arrays.fill(message, mark);
                    for (int m = 0; m < messages; m++) {
                        pair.client().send(message);
                    }
                    return null;
                }));
            }
            byte[] received = receiveExactly(pair.server(), senders * messages * size);
            for (Future<?> sender : sending) {
                sender.get(5, TimeUnit.SECONDS);
            }
            for (int start = 0; start < received.length; start += size) {
                byte mark = received[start];
                for (int i = start; i < start + size; i++) {
                    if (received[i] != mark) {
                        throw new AssertionError("a send was interleaved with another at byte " + i);
                    }
                }
            }
        }
    }

    @Test
    void shutdownOutputLetsThePeerSeeEndOfStreamWhileThisSideStillReceives() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            pair.client().send("request".getBytes(US_ASCII));
            pair.client().shutdownOutput();

            assertThat(receiveExactly(pair.server(), 7)).isEqualTo("request".getBytes(US_ASCII));
            assertThatThrownBy(() -> pair.server().receive(10, PATIENCE)).isInstanceOf(EOFException.class);

            pair.server().send("response".getBytes(US_ASCII));
            assertThat(receiveExactly(pair.client(), 8)).isEqualTo("response".getBytes(US_ASCII));
            assertThatThrownBy(() -> pair.client().send(new byte[] {1})).isInstanceOf(ClosedChannelException.class);
            assertThat(pair.client().isOpen()).isTrue();
        }
    }

    @Test
    void closeWakesAThreadBlockedInReceive() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            Future<byte[]> untimed = threads.submit(() -> pair.server().receive(10));
            Thread.sleep(100);
            assertThat(untimed).isNotDone();
            pair.server().close();
            assertThatThrownBy(() -> untimed.get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOf(AsynchronousCloseException.class);
        }
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            Future<byte[]> timed = threads.submit(() -> pair.server().receive(10, Duration.ofMinutes(1)));
            Thread.sleep(100);
            assertThat(timed).isNotDone();
            pair.server().close();
            assertThatThrownBy(() -> timed.get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOf(AsynchronousCloseException.class);
        }
    }

    @Test
    void aReceiveQueuedBehindAnotherWakesOnCloseToo() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            Future<byte[]> first = threads.submit(() -> pair.server().receive(10));
            Future<byte[]> second = threads.submit(() -> pair.server().receive(10));
            Thread.sleep(100);
            pair.server().close();
            assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOf(AsynchronousCloseException.class);
            assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOf(AsynchronousCloseException.class);
        }
    }

    @Test
    void timedReceiveBehindAnUntimedReceiveStillTimesOutOnTime() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            Future<byte[]> untimed = threads.submit(() -> pair.server().receive(10));
            Thread.sleep(50);
            long start = System.nanoTime();
            assertThatThrownBy(() -> pair.server().receive(10, Duration.ofMillis(200)))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            pair.client().send(new byte[] {9});
            assertThat(untimed.get(5, TimeUnit.SECONDS)).containsExactly(9);
        }
    }

    @Test
    void oneThreadMayReceiveWhileAnotherSends() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            Future<byte[]> receiving = threads.submit(() -> pair.server().receive(10, PATIENCE));
            Thread.sleep(50);
            pair.server().send("ping".getBytes(US_ASCII));
            assertThat(receiveExactly(pair.client(), 4)).isEqualTo("ping".getBytes(US_ASCII));
            pair.client().send("pong".getBytes(US_ASCII));
            assertThat(receiving.get(5, TimeUnit.SECONDS)).isNotEmpty();
        }
    }

    @Test
    void callsOnAClosedSocketThrowClosedChannelException() throws Exception {
        ConnectedPair pair = ConnectedPair.loopback();
        pair.close();
        ClientSocket closed = pair.server();
        closed.close();

        assertThat(closed.isOpen()).isFalse();
        assertThat(closed.localAddress().getPort()).isPositive();
        assertThat(closed.peerAddress()).isEqualTo(pair.client().localAddress());
        assertThat(closed.toString()).contains("closed");
        assertThatThrownBy(() -> closed.receive(1)).isExactlyInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> closed.receive(1, PATIENCE)).isExactlyInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> closed.send(new byte[] {1})).isExactlyInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> closed.send(new byte[0])).isExactlyInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(closed::shutdownOutput).isExactlyInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> closed.option(StandardSocketOptions.TCP_NODELAY))
                .isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void setOptionAndOptionRoundTrip() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            ClientSocket socket = pair.client();
            assertThat(socket.setOption(StandardSocketOptions.TCP_NODELAY, true)).isSameAs(socket);
            assertThat(socket.option(StandardSocketOptions.TCP_NODELAY)).isTrue();
            socket.setOption(StandardSocketOptions.TCP_NODELAY, false)
                    .setOption(StandardSocketOptions.SO_KEEPALIVE, true)
                    .setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            assertThat(socket.option(StandardSocketOptions.TCP_NODELAY)).isFalse();
            assertThat(socket.option(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
            assertThat(socket.option(StandardSocketOptions.SO_RCVBUF)).isGreaterThanOrEqualTo(64 * 1024);
            assertThatThrownBy(() -> socket.option(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("option");
        }
    }

    @Test
    void invalidArgumentsAreRejectedNamingTheArgument() throws Exception {
        try (ConnectedPair pair = ConnectedPair.loopback()) {
            ClientSocket socket = pair.server();
            assertThatThrownBy(() -> socket.receive(0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
            assertThatThrownBy(() -> socket.receive(-1, PATIENCE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
            assertThatThrownBy(() -> socket.receive(1, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> socket.receive(1, Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> ClientSocket.connect("127.0.0.1", 0, PATIENCE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
            assertThatThrownBy(() -> ClientSocket.connect("127.0.0.1", 65_536, PATIENCE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
            assertThatThrownBy(() -> ClientSocket.connect("127.0.0.1", 80, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThat(socket.isOpen()).isTrue();
        }
    }

    @Test
    void connectingWhereNothingListensGivesConnectExceptionNamingTheAddress() throws Exception {
        ListenSocket listener = ListenSocket.listen(0, SocketOptions.builder().bindAddress("127.0.0.1").build());
        int port = listener.port();
        listener.close();
        assertThatThrownBy(() -> ClientSocket.connect("127.0.0.1", port, PATIENCE))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("127.0.0.1:" + port);
    }

    @Test
    void connectsOverIpv6Loopback() throws Exception {
        ListenSocketTest.assumeIpv6Loopback();
        try (ListenSocket listener = ListenSocket.listen(0, SocketOptions.builder().bindAddress("::1").build());
             ClientSocket client = ClientSocket.connect("::1", listener.port(), PATIENCE);
             ClientSocket accepted = listener.accept(PATIENCE)) {
            assertThat(client.peerAddress()).isEqualTo(listener.localAddress());
            assertThat(client.toString()).contains("]:" + listener.port());
            accepted.send("six".getBytes(US_ASCII));
            assertThat(receiveExactly(client, 3)).isEqualTo("six".getBytes(US_ASCII));
        }
    }
}
