package dev.glisten;

import static dev.glisten.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Connection#send}: every byte, in order, whole buffers and gathering writes alike. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SendTest {

    /** What the loop sends on every packet. */
    @FunctionalInterface
    interface Reply {
        void send(Connection<Void> connection) throws Exception;
    }

    private static Server serverReplying(Reply reply) throws IOException {
        return Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            reply.send(connection);
            return Next.continueWith(state);
        }).bind("127.0.0.1").start(0);
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void sendByteBufferSendsTheRemainingBytesAndAdvancesThePosition() throws Exception {
        ByteBuffer buffer = ascii("xxHELLOyy");
        buffer.position(2).limit(7);
        // Read by the loop itself once send returned: the peer may have the bytes before that.
        BlockingQueue<String> afterSend = new LinkedBlockingQueue<>();
        try (Server server = serverReplying(connection -> {
                connection.send(buffer);
                afterSend.add(buffer.position() + "/" + buffer.limit());
            });
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(client.readString(5)).isEqualTo("HELLO");
            assertThat(afterSend.poll(10, TimeUnit.SECONDS)).isEqualTo("7/7");
            client.write("again");
            // The buffer has nothing left: the second send must not repeat the bytes.
            client.socket().shutdownOutput();
            client.assertClosedByServer();
        }
    }

    @Test
    void aDirectBufferIsSentToo() throws Exception {
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put("direct!".getBytes(StandardCharsets.US_ASCII)).flip();
        BlockingQueue<Boolean> remainingAfterSend = new LinkedBlockingQueue<>();
        try (Server server = serverReplying(connection -> {
                connection.send(direct);
                remainingAfterSend.add(direct.hasRemaining());
            });
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(client.readString(7)).isEqualTo("direct!");
            assertThat(remainingAfterSend.poll(10, TimeUnit.SECONDS)).isFalse();
        }
    }

    @Test
    void aGatheringSendOfNothingIsAllowed() throws Exception {
        // send() with no buffers, or only empty ones, writes nothing and keeps the connection open.
        try (Server server = serverReplying(connection -> {
                connection.send();
                connection.send(ByteBuffer.allocate(0), ByteBuffer.allocate(0));
                connection.send(ascii("after"));
            });
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(client.readString(5)).isEqualTo("after");
        }
    }

    @Test
    void aGatheringSendDeliversEveryBufferInOrder() throws Exception {
        ByteBuffer header = ascii("HEAD:");
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer body = ByteBuffer.allocateDirect(4).put("body".getBytes(StandardCharsets.US_ASCII)).flip();
        ByteBuffer trailer = ascii("--:END").position(2);
        BlockingQueue<List<String>> positions = new LinkedBlockingQueue<>();
        try (Server server = serverReplying(connection -> {
                connection.send(header, empty, body, trailer);
                List<String> after = new ArrayList<>();
                for (ByteBuffer buffer : List.of(header, empty, body, trailer)) {
                    after.add(buffer.position() + "/" + buffer.limit());
                }
                positions.add(after);
            });
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(client.readString(13)).isEqualTo("HEAD:body:END");
            assertThat(positions.poll(10, TimeUnit.SECONDS)).containsExactly("5/5", "0/0", "4/4", "6/6");
        }
    }

    @Test
    void largeSendsArriveWhole() throws Exception {
        // Larger than the socket buffers, so the kernel takes each send in several partial writes.
        SplittableRandom random = new SplittableRandom(42);
        byte[] whole = new byte[3 * 1024 * 1024];
        random.nextBytes(whole);
        byte[][] parts = {new byte[1024 * 1024], new byte[1], new byte[1024 * 1024 - 1], new byte[1024 * 1024]};
        int offset = 0;
        for (byte[] part : parts) {
            System.arraycopy(whole, offset, part, 0, part.length);
            offset += part.length;
        }
        try (Server server = serverReplying(connection -> {
                connection.send(whole);
                connection.send(ByteBuffer.wrap(whole));
                connection.send(ByteBuffer.wrap(parts[0]), ByteBuffer.wrap(parts[1]), ByteBuffer.wrap(parts[2]),
                        ByteBuffer.wrap(parts[3]));
            });
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            for (int i = 0; i < 3; i++) {
                assertThat(client.read(whole.length)).as("copy " + i).isEqualTo(whole);
            }
        }
    }

    @Test
    void sendsFromSeveralThreadsNeverInterleave() throws Exception {
        int threads = 4;
        int blocks = 200;
        int blockSize = 1000;
        BlockingQueue<Connection<Void>> connections = new LinkedBlockingQueue<>();
        try (Server server = Server.<Void, Void>builder(connection -> {
                    connections.add(connection);
                    return null;
                }, TestSupport.echo()).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            Connection<Void> connection = connections.poll(10, TimeUnit.SECONDS);
            assertThat(connection).isNotNull();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                byte[] block = new byte[blockSize];
                java.util.Arrays.fill(block, (byte) ('A' + t));
                senders.add(Thread.ofVirtual().start(() -> {
                    try {
                        await(go, "the start");
                        for (int i = 0; i < blocks; i++) {
                            // Half as arrays, half as a gathering send of two halves.
                            if (i % 2 == 0) {
                                connection.send(block);
                            } else {
                                connection.send(ByteBuffer.wrap(block, 0, blockSize / 2),
                                        ByteBuffer.wrap(block, blockSize / 2, blockSize / 2));
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            go.countDown();
            int[] perThread = new int[threads];
            for (int i = 0; i < threads * blocks; i++) {
                byte[] block = client.read(blockSize);
                byte first = block[0];
                for (byte b : block) {
                    assertThat(b).as("block " + i + " is from one sender").isEqualTo(first);
                }
                perThread[first - 'A']++;
            }
            for (Thread sender : senders) {
                assertThat(sender.join(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(perThread).containsOnly(blocks);
        }
    }

    @Test
    void whatTheLoopSendsBeforeStoppingReachesThePeer() throws Exception {
        try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                    connection.send("bye".getBytes(StandardCharsets.US_ASCII));
                    return Next.stop();
                }).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            client.write("quit");
            assertThat(client.readString(3)).isEqualTo("bye");
            client.assertClosedByServer();
        }
    }

    @Test
    void onInitMayGreetThePeer() throws Exception {
        try (Server server = Server.<Void, Void>builder(connection -> {
                    connection.send("welcome\n".getBytes(StandardCharsets.US_ASCII));
                    return null;
                }, TestSupport.echo()).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            assertThat(client.readString(8)).isEqualTo("welcome\n");
            assertThat(client.roundTrip("then echo")).isEqualTo("then echo");
        }
    }
}
