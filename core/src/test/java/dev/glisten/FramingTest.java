package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Framing through a real server: frames split over reads and several in one read, the maximum
 * size, switching framing mid-stream, and frame sends.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FramingTest {

    /** A server that records each packet's text and answers as {@code reply} says. */
    private static Server recording(Framing framing, int maxFrameSize, BlockingQueue<String> packets,
            RecordingOnClose<Void, Void> onClose, Function<String, Next<Void>> reply) throws Exception {
        return Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                String text = packet.text(StandardCharsets.ISO_8859_1);
                packets.add(text);
                return reply.apply(text);
            }
            return Next.continueWith(state);
        }).onClose(onClose).framing(framing).maxFrameSize(maxFrameSize).bind("127.0.0.1").start(0);
    }

    private static String poll(BlockingQueue<String> packets) throws InterruptedException {
        String packet = packets.poll(10, TimeUnit.SECONDS);
        assertThat(packet).as("a packet within 10 s").isNotNull();
        return packet;
    }

    @Test
    void linesSplitOverReadsArriveWholeAndAnIncompleteLineWaits() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = recording(Framing.lines(), 1024, packets, onClose, text -> Next.continueWith(null));
                TestClient client = TestClient.connect(server)) {
            for (String piece : List.of("he", "llo", "\nwor", "ld\nand", " more")) {
                client.write(piece);
                Thread.sleep(20);
            }
            assertThat(poll(packets)).isEqualTo("hello\n");
            assertThat(poll(packets)).isEqualTo("world\n");
            assertThat(packets.poll(200, TimeUnit.MILLISECONDS)).as("an unfinished line is not delivered").isNull();
            client.write("\n");
            assertThat(poll(packets)).isEqualTo("and more\n");
        }
    }

    @Test
    void textDecodesFramesWholeOrAssembledAndFromRawReads() {
        List<String> texts = new java.util.ArrayList<>();
        Handler<Void, Void> recording = (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                texts.add(packet.text(StandardCharsets.UTF_8));
            }
            return Next.continueWith(state);
        };
        byte[] line = "héllo wörld ✓\nnext ✓\n".getBytes(StandardCharsets.UTF_8);
        var lines = dev.glisten.testing.TestConnection.<Void, Void>of(connection -> null, recording)
                .framing(Framing.lines()).start();
        // Split inside the two bytes of "é": the first line is assembled in a heap buffer, the
        // second is decoded straight from the read's direct buffer.
        lines.receive(java.util.Arrays.copyOfRange(line, 0, 2)).receive(java.util.Arrays.copyOfRange(line, 2, line.length));
        var raw = dev.glisten.testing.TestConnection.<Void, Void>of(connection -> null, recording).start();
        raw.receive("plain ✓".getBytes(StandardCharsets.UTF_8));
        assertThat(texts).containsExactly("héllo wörld ✓\n", "next ✓\n", "plain ✓");
    }

    @Test
    void severalFramesInOneReadAreSeveralCallsAndAStopDropsTheRest() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = recording(Framing.lines((byte) ';'), 1024, packets, onClose,
                text -> text.equals("quit;") ? Next.stop() : Next.continueWith(null));
                TestClient client = TestClient.connect(server)) {
            client.write("a;b;quit;never;");
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.Stopped());
            assertThat(List.copyOf(packets)).containsExactly("a;", "b;", "quit;");
        }
    }

    @Test
    void aLengthHeaderOverTheMaximumClosesAtOnceAndOthersGoOn() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = recording(Framing.lengthPrefixed(4), 1024, packets, onClose,
                text -> Next.continueWith(null));
                TestClient greedy = TestClient.connect(server);
                TestClient fine = TestClient.connect(server)) {
            // Declares 1 GiB and sends 4 bytes of it: the server must not wait for (or hold) the rest.
            greedy.write(new byte[] {0x40, 0, 0, 0, 1, 2, 3, 4});
            assertThat(onClose.next().reason()).isEqualTo(new CloseReason.FrameTooLarge(4 + (1L << 30), 1024));
            greedy.assertClosedByServer();
            fine.write(new byte[] {0, 0, 0, 2, 'o', 'k'});
            assertThat(poll(packets)).isEqualTo("ok");
            assertThat(server.stats().closed(CloseReason.FrameTooLarge.class)).isEqualTo(1);
        }
    }

    @Test
    void aLineLongerThanTheMaximumClosesTheConnection() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = recording(Framing.lines(), 16, packets, onClose, text -> Next.continueWith(null));
                TestClient client = TestClient.connect(server)) {
            client.write("exactly sixteen\n"); // 16 bytes with its delimiter: allowed
            assertThat(poll(packets)).isEqualTo("exactly sixteen\n");
            client.write("seventeen bytes..");
            CloseReason reason = onClose.next().reason();
            assertThat(reason).isInstanceOf(CloseReason.FrameTooLarge.class);
            assertThat(((CloseReason.FrameTooLarge) reason).maxFrameSize()).isEqualTo(16);
        }
    }

    @Test
    void switchingFramingMidStreamFramesTheBytesAlreadyReadUnderTheNewOne() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                String text = packet.text(StandardCharsets.US_ASCII);
                packets.add(text);
                if (text.startsWith("BODY ")) {
                    connection.framing(Framing.fixed(Integer.parseInt(text.substring(5).trim())));
                } else if (connection.framing() != Framing.lines()) {
                    connection.framing(Framing.lines());
                }
            }
            return Next.continueWith(state);
        }).framing(Framing.lines()).bind("127.0.0.1").start(0);
                TestClient client = TestClient.connect(server)) {
            // All in one write, so the switch point falls inside bytes already read.
            client.write("BODY 7\nab\ncdefBODY 3\nxyzlast\n");
            assertThat(List.of(poll(packets), poll(packets), poll(packets), poll(packets), poll(packets)))
                    .containsExactly("BODY 7\n", "ab\ncdef", "BODY 3\n", "xyz", "last\n");
        }
    }

    @Test
    void lengthPrefixedFramesTrickledByteByByteEchoWithTheirHeader() throws Exception {
        for (int width : new int[] {1, 2, 4}) {
            try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                if (message instanceof Message.Packet<Void> packet) {
                    connection.sendFrame(packet.buffer());
                }
                return Next.continueWith(state);
            }).framing(Framing.lengthPrefixed(width)).bind("127.0.0.1").start(0);
                    TestClient client = TestClient.connect(server)) {
                ByteArrayOutputStream frames = new ByteArrayOutputStream();
                for (String payload : List.of("", "x", "hello, frames")) {
                    for (int i = width - 1; i >= 0; i--) {
                        frames.write(payload.length() >>> (8 * i));
                    }
                    frames.writeBytes(payload.getBytes(StandardCharsets.US_ASCII));
                }
                byte[] stream = frames.toByteArray();
                for (byte b : stream) {
                    client.write(new byte[] {b});
                }
                assertThat(client.read(stream.length)).as("width " + width).isEqualTo(stream);
            }
        }
    }

    @Test
    void aLengthFieldFramesPostgresStyleMessagesWhole() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        // A type byte, then a 4-byte length that counts itself but not the type byte.
        try (Server server = recording(Framing.lengthField(1, 4, -4, ByteOrder.BIG_ENDIAN), 1024, packets, onClose,
                text -> Next.continueWith(null));
                TestClient client = TestClient.connect(server)) {
            client.write(new byte[] {'Q', 0, 0, 0, 7, 'a', 'b', 'c', 'X', 0, 0, 0, 4, 'Z', 0, 0, 0, 2});
            assertThat(poll(packets)).isEqualTo("Q\0\0\0\7abc");
            assertThat(poll(packets)).isEqualTo("X\0\0\0\4");
            // A length of 2 counts less than its own 4 bytes: malformed.
            assertThat(onClose.next().reason()).isInstanceOfSatisfying(CloseReason.FrameMalformed.class,
                    malformed -> assertThat(malformed.error()).hasMessageContaining("shorter than its 5-byte header"));
        }
    }

    @Test
    void aCustomDecoderServesAProtocolTheBuiltInsDoNot() throws Exception {
        BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        RecordingOnClose<Void, Void> onClose = new RecordingOnClose<>();
        try (Server server = recording(Framing.of(MqttDecoder.MQTT), 1024, packets, onClose, text -> Next.continueWith(null));
                TestClient client = TestClient.connect(server)) {
            byte[] big = new byte[3 + 200];
            big[0] = 0x30;
            big[1] = (byte) (200 & 0x7F | 0x80);
            big[2] = (byte) (200 >>> 7);
            client.write(big);
            client.write(new byte[] {(byte) 0xC0, 0});
            assertThat(poll(packets)).hasSize(203);
            assertThat(poll(packets)).isEqualTo("\u00C0\0");
            client.write(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1});
            assertThat(onClose.next().reason()).isInstanceOf(CloseReason.FrameMalformed.class);
        }
    }

    @Test
    void aPacketKeptPastItsCallFailsLoudlyAndItsViewHasNoBytes() throws Exception {
        BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
        try (Server server = Server.<Message.Packet<Void>, Void>builder(connection -> null,
                (kept, message, connection) -> {
                    if (!(message instanceof Message.Packet<Void> packet)) {
                        return Next.continueWith(kept);
                    }
                    if (kept == null) {
                        seen.add(packet.copy());
                        ByteBuffer view = packet.buffer();
                        connection.send(packet);
                        seen.add(view);
                        return Next.continueWith(packet); // the mistake: keeping a lent packet
                    }
                    try {
                        kept.length();
                        seen.add("no failure");
                    } catch (IllegalStateException expected) {
                        seen.add(expected);
                    }
                    return Next.continueWith(null);
                }).bind("127.0.0.1").start(0);
                TestClient client = TestClient.connect(server)) {
            assertThat(client.roundTrip("first")).isEqualTo("first");
            Message.Packet<?> copy = (Message.Packet<?>) seen.poll(10, TimeUnit.SECONDS);
            ByteBuffer view = (ByteBuffer) seen.poll(10, TimeUnit.SECONDS);
            client.write("second");
            Object failure = seen.poll(10, TimeUnit.SECONDS);
            assertThat(failure).isInstanceOf(IllegalStateException.class);
            assertThat(((Exception) failure).getMessage()).contains("lent for one call");
            assertThat(copy.text(StandardCharsets.US_ASCII)).isEqualTo("first");
            assertThat(view.hasRemaining()).isFalse();
            assertThatThrownBy(() -> view.get(0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void sendFrameAddsTheDelimiterOnlyWhenMissing() throws Exception {
        try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                connection.sendFrame("no newline".getBytes(StandardCharsets.US_ASCII));
                connection.sendFrame(packet.buffer());
            }
            return Next.continueWith(state);
        }).framing(Framing.lines()).bind("127.0.0.1").start(0);
                TestClient client = TestClient.connect(server)) {
            client.write("line\n");
            assertThat(client.readString("no newline\nline\n".length())).isEqualTo("no newline\nline\n");
        }
    }

    @Test
    void framingOptionsAreCheckedWhenBuilt() {
        assertThatThrownBy(() -> Framing.lengthPrefixed(3)).hasMessageContaining("headerBytes");
        assertThatThrownBy(() -> Framing.lengthField(0, 5, 0, ByteOrder.BIG_ENDIAN)).hasMessageContaining("width");
        assertThatThrownBy(() -> Framing.lengthField(-1, 4, 0, ByteOrder.BIG_ENDIAN)).hasMessageContaining("offset");
        assertThatThrownBy(() -> Framing.fixed(0)).hasMessageContaining("length");
        assertThatThrownBy(() -> Server.builder(connection -> null, (state, message, connection) -> null)
                .maxFrameSize(0)).hasMessageContaining("maxFrameSize");
        assertThatThrownBy(() -> Server.builder(connection -> null, (state, message, connection) -> null)
                .mailboxCapacity(0)).hasMessageContaining("mailboxCapacity");
    }
}
