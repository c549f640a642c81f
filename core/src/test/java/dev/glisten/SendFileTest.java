package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Connection#sendFile}: whole files and ranges, byte for byte, over TCP and TLS; arguments
 * and files that are wrong leave the connection usable; a peer that stops reading is cut off after
 * the send timeout, while a slow one that keeps reading is not.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SendFileTest {

    /** Larger than the kernel's socket buffers, so the transfer waits for the peer several times. */
    private static final int SIZE = 3 * 1024 * 1024 + 17;

    @TempDir
    static Path dir;
    private static Path file;
    private static byte[] contents;

    /** What the loop does on every packet; what it returns or throws is sent back as a line. */
    @FunctionalInterface
    interface Reply {
        Object send(Connection<Void> connection) throws Exception;
    }

    @BeforeAll
    static void makeFile() throws IOException {
        contents = new byte[SIZE];
        new SplittableRandom(6).nextBytes(contents);
        file = Files.write(dir.resolve("contents.bin"), contents);
    }

    /** A server whose loop runs {@code reply} and then sends {@code =result} or {@code !Exception: message}. */
    private static Server serverReplying(Server.Builder<Void, Void> builder) throws IOException {
        return builder.bind("127.0.0.1").start(0);
    }

    private static Server.Builder<Void, Void> replying(Reply reply) {
        return Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            String line;
            try {
                line = "=" + reply.send(connection);
            } catch (IOException | RuntimeException e) {
                line = "!" + e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            connection.send((line + "\n").getBytes(StandardCharsets.UTF_8));
            return Next.continueWith(state);
        });
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            assertThat(c).as("end of stream before the end of the line " + line).isNotNegative();
            line.append((char) c);
        }
        return line.toString();
    }

    private static String readLine(TestClient client) throws IOException {
        return readLine(client.socket().getInputStream());
    }

    @Test
    void theWholeFileArrivesAndIsCounted() throws Exception {
        try (Server server = serverReplying(replying(connection -> connection.sendFile(file)));
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(client.read(SIZE)).isEqualTo(contents);
            assertThat(readLine(client)).isEqualTo("=" + SIZE);
            String line = "=" + SIZE + "\n";
            TestSupport.eventually("the bytes are counted", () -> server.stats().bytesSent() == SIZE + line.length());
            assertThat(server.connections()).singleElement()
                    .satisfies(info -> assertThat(info.bytesSent()).isEqualTo(SIZE + line.length()));
        }
    }

    @Test
    void aRangeOfAPathOrAChannelArrivesAndTheChannelPositionStays() throws Exception {
        BlockingQueue<Long> positions = new LinkedBlockingQueue<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.position(5);
            try (Server server = serverReplying(replying(connection -> {
                    long first = connection.sendFile(file, 1000, 2 * 1024 * 1024);
                    long second = connection.sendFile(channel, SIZE - 10, 10);
                    positions.add(channel.position());
                    return first + second;
                }));
                 TestClient client = TestClient.connect(server)) {
                client.write("go");
                assertThat(client.read(2 * 1024 * 1024)).isEqualTo(Arrays.copyOfRange(contents, 1000, 1000 + 2 * 1024 * 1024));
                assertThat(client.read(10)).isEqualTo(Arrays.copyOfRange(contents, SIZE - 10, SIZE));
                assertThat(readLine(client)).isEqualTo("=" + (2 * 1024 * 1024 + 10));
                assertThat(positions.poll(10, TimeUnit.SECONDS)).as("the channel's own position").isEqualTo(5);
            }
        }
    }

    @Test
    void anEmptyRangeSendsNothing() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.bin"));
        try (Server server = serverReplying(replying(connection ->
                    connection.sendFile(file, 7, 0) + connection.sendFile(file, SIZE, 0) + connection.sendFile(empty)));
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(readLine(client)).isEqualTo("=0");
        }
    }

    @Test
    void aBadOffsetOrLengthThrowsNamingItAndTheConnectionGoesOn() throws Exception {
        BlockingQueue<String> step = new LinkedBlockingQueue<>(
                java.util.List.of("-1 1", "0 -1", (SIZE + 1) + " 0", "10 " + (SIZE - 9), "channel " + SIZE + " 1", "0 3"));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             Server server = serverReplying(replying(connection -> {
                    String[] args = step.remove().split(" ");
                    if (args[0].equals("channel")) {
                        return connection.sendFile(channel, Long.parseLong(args[1]), Long.parseLong(args[2]));
                    }
                    return connection.sendFile(file, Long.parseLong(args[0]), Long.parseLong(args[1]));
                }));
             TestClient client = TestClient.connect(server)) {
            client.write("1");
            assertThat(readLine(client)).startsWith("!IllegalArgumentException: offset must be").endsWith("got -1");
            client.write("2");
            assertThat(readLine(client)).startsWith("!IllegalArgumentException: length must be").endsWith("got -1");
            client.write("3");
            assertThat(readLine(client)).startsWith("!IllegalArgumentException: offset must be")
                    .contains("(the file has " + SIZE + " bytes)");
            client.write("4");
            assertThat(readLine(client)).startsWith("!IllegalArgumentException: length must be")
                    .endsWith("got " + (SIZE - 9));
            client.write("5");
            assertThat(readLine(client)).startsWith("!IllegalArgumentException: length must be");
            client.write("6");
            assertThat(client.read(3)).as("nothing was sent before").isEqualTo(Arrays.copyOf(contents, 3));
            assertThat(readLine(client)).isEqualTo("=3");
            assertThat(server.stats().closedTotal()).isZero();
        }
    }

    @Test
    void aFileThatCannotBeReadThrowsAndTheConnectionGoesOn() throws Exception {
        Path missing = dir.resolve("missing.bin");
        try (FileChannel writeOnly = FileChannel.open(dir.resolve("write-only.bin"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
             Server server = serverReplying(replying(connection -> {
                    try {
                        connection.sendFile(missing);
                        return "sent a missing file";
                    } catch (NoSuchFileException expected) {
                        // The loop may answer otherwise, as an HTTP server answers 404.
                    }
                    assertThatThrownBy(() -> connection.sendFile(missing, 0, 0)).isInstanceOf(NoSuchFileException.class);
                    assertThatThrownBy(() -> connection.sendFile(dir)).isInstanceOf(FileSystemException.class)
                            .hasMessageContaining("is a directory");
                    writeOnly.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
                    assertThatThrownBy(() -> connection.sendFile(writeOnly, 0, 3))
                            .isInstanceOf(NonReadableChannelException.class);
                    FileChannel closed = FileChannel.open(file, StandardOpenOption.READ);
                    closed.close();
                    assertThatThrownBy(() -> connection.sendFile(closed, 0, 1)).isInstanceOf(IOException.class);
                    return "not found";
                }));
             TestClient client = TestClient.connect(server)) {
            client.write("go");
            assertThat(readLine(client)).isEqualTo("=not found");
            assertThat(client.roundTrip("again").length()).isPositive();
            assertThat(server.stats().closedTotal()).isZero();
        }
    }

    @Test
    void aPeerThatStopsReadingIsCutOffAfterTheSendTimeout() throws Exception {
        // Sparse: 256 MiB of zeros that take no disk, far more than any socket buffer holds.
        Path large = dir.resolve("sparse.bin");
        try (RandomAccessFile sparse = new RandomAccessFile(large.toFile(), "rw")) {
            sparse.setLength(256L * 1024 * 1024);
        }
        Duration sendTimeout = Duration.ofMillis(500);
        BlockingQueue<Throwable> thrown = new LinkedBlockingQueue<>();
        BlockingQueue<Long> tookNanos = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                    long started = System.nanoTime();
                    try {
                        connection.sendFile(large);
                    } catch (IOException e) {
                        tookNanos.add(System.nanoTime() - started);
                        thrown.add(e);
                        throw e;
                    }
                    return Next.continueWith(state);
                }).sendTimeout(sendTimeout).onClose(onClose).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(TestSupport.loopback4(server), socket -> {
                 try {
                     socket.setReceiveBufferSize(16 * 1024);
                 } catch (IOException e) {
                     throw new UncheckedIOException(e);
                 }
             })) {
            client.write("go");
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.SendTimedOut(sendTimeout));
            assertThat(thrown.poll(10, TimeUnit.SECONDS)).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("no progress for the send timeout");
            assertThat(Duration.ofNanos(tookNanos.remove())).isBetween(sendTimeout, sendTimeout.plusSeconds(5));
            long sent = server.stats().bytesSent();
            assertThat(sent).as("what the kernel took before the peer's buffers filled").isPositive()
                    .isLessThan(64L * 1024 * 1024);
        }
    }

    @Test
    void aSlowPeerThatKeepsReadingGetsAFileThatTakesLongerThanTheSendTimeout() throws Exception {
        assertSlowReaderServed(false);
    }

    @Test
    void aSlowPeerThatKeepsReadingGetsAFileOverTls() throws Exception {
        assertSlowReaderServed(true);
    }

    /**
     * The send timeout bounds each stall: a peer with a small window reads 20 MiB (several times
     * what the kernel's buffers hold) over 2 s, with a 300 ms timeout, and the call that sends them
     * lasts most of that.
     */
    private static void assertSlowReaderServed(boolean tls) throws Exception {
        int pieces = 20;
        int piece = 1024 * 1024;
        byte[] expected = new byte[pieces * piece];
        new SplittableRandom(20).nextBytes(expected);
        Path slow = Files.write(dir.resolve(tls ? "slow-tls.bin" : "slow.bin"), expected);
        Duration sendTimeout = Duration.ofMillis(300);
        Server.Builder<Void, Void> builder = replying(connection -> {
            long started = System.nanoTime();
            long sent = connection.sendFile(slow);
            return sent + " in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms";
        }).sendTimeout(sendTimeout);
        TlsFixture fixture = tls ? TlsFixture.make(dir.resolve("slow-pki")) : null;
        if (tls) {
            builder.tls(fixture.server());
        }
        try (Server server = serverReplying(builder);
             Socket plain = new Socket()) {
            // A small window, so the kernel's buffers hold little of the file and the sender waits.
            plain.setReceiveBufferSize(32 * 1024);
            plain.connect(TestSupport.loopback4(server), (int) TestSupport.WAIT.toMillis());
            plain.setSoTimeout((int) TestSupport.WAIT.toMillis());
            Socket client = plain;
            if (tls) {
                SSLSocket secured = (SSLSocket) fixture.client().getSocketFactory()
                        .createSocket(plain, "127.0.0.1", server.port(), true);
                secured.startHandshake();
                client = secured;
            }
            client.getOutputStream().write('g');
            InputStream in = client.getInputStream();
            byte[] received = new byte[expected.length];
            for (int i = 0; i < pieces; i++) {
                assertThat(in.readNBytes(received, i * piece, piece)).isEqualTo(piece);
                Thread.sleep(100);
            }
            assertThat(received).isEqualTo(expected);
            String reply = readLine(in);
            assertThat(reply).startsWith("=" + expected.length + " in ");
            long tookMillis = Long.parseLong(reply.replaceAll("^.* in (\\d+) ms$", "$1"));
            assertThat(tookMillis).as("sendFile lasted longer than the send timeout, several times over")
                    .isGreaterThan(2 * sendTimeout.toMillis());
            assertThat(server.stats().closedTotal()).isZero();
        }
    }

    @Test
    void overTlsTheFileAndARangeArriveByteForByte() throws Exception {
        TlsFixture fixture = TlsFixture.make(dir.resolve("pki"));
        try (Server server = serverReplying(replying(connection ->
                    connection.sendFile(file) + connection.sendFile(file, 12_345, 1_000_000)).tls(fixture.server()));
             java.net.Socket client = fixture.connect(server)) {
            client.getOutputStream().write('g');
            InputStream in = client.getInputStream();
            assertThat(in.readNBytes(SIZE)).isEqualTo(contents);
            assertThat(in.readNBytes(1_000_000)).isEqualTo(Arrays.copyOfRange(contents, 12_345, 12_345 + 1_000_000));
            assertThat(readLine(in)).isEqualTo("=" + (SIZE + 1_000_000));
            String line = "=" + (SIZE + 1_000_000) + "\n";
            TestSupport.eventually("the plain bytes are counted",
                    () -> server.stats().bytesSent() == SIZE + 1_000_000 + line.length());
        }
    }

    @Test
    void sendsFromOtherThreadsNeverLandInTheMiddleOfAFile() throws Exception {
        BlockingQueue<Connection<Void>> connections = new LinkedBlockingQueue<>();
        try (Server server = Server.<Void, Void>builder(connection -> {
                    connections.add(connection);
                    return null;
                }, (state, message, connection) -> {
                    connection.sendFile(file);
                    return Next.continueWith(state);
                }).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(TestSupport.loopback4(server), socket -> {
                 try {
                     socket.setReceiveBufferSize(16 * 1024);
                 } catch (IOException e) {
                     throw new UncheckedIOException(e);
                 }
             })) {
            Connection<Void> connection = connections.poll(10, TimeUnit.SECONDS);
            assertThat(connection).isNotNull();
            client.write("go");
            // The file's first bytes arrived, so the loop holds the write lock: this send waits for the rest.
            byte[] head = client.read(1024);
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    connection.send("|after|".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] rest = client.read(SIZE - 1024);
            assertThat(head).isEqualTo(Arrays.copyOf(contents, 1024));
            assertThat(rest).isEqualTo(Arrays.copyOfRange(contents, 1024, SIZE));
            assertThat(client.readString(7)).isEqualTo("|after|");
            assertThat(sender.join(Duration.ofSeconds(10))).isTrue();
        }
    }
}
