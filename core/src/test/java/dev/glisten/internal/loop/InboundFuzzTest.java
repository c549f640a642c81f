package dev.glisten.internal.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.CloseReason;
import dev.glisten.Framing;
import dev.glisten.MqttDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded, time-bounded fuzzing of every framing through the connection's {@link Inbound}: a stream
 * of valid frames split at random points, read through buffers of random sizes, with the framing
 * switched between frames, gives exactly the frames it was made of; random bytes give frames, a
 * wait for more, or the documented close ({@link CloseReason.FrameTooLarge},
 * {@link CloseReason.FrameMalformed}), never another exception. A failure names its seed.
 */
@Timeout(120)
class InboundFuzzTest {

    private static final long BUDGET_NANOS = 8_000_000_000L;
    private static final int MAX_FRAME = 4096;

    private static final List<Framing> FRAMINGS = List.of(Framing.lines(), Framing.lines((byte) ';'),
            Framing.lengthPrefixed(1), Framing.lengthPrefixed(2), Framing.lengthPrefixed(4),
            Framing.lengthField(1, 4, -4, ByteOrder.BIG_ENDIAN), Framing.lengthField(2, 3, 1, ByteOrder.LITTLE_ENDIAN),
            Framing.fixed(7), Framing.of(MqttDecoder.MQTT), Framing.raw());

    /** A frame as sent and as the packet shows it. */
    private record Frame(int framing, byte[] wire, byte[] packet) { }

    /** Serves the chunks in order, each read taking what fits of the current one. */
    private static final class Chunks implements PeerInput {
        private final List<byte[]> chunks;
        private int index;
        private int offset;

        Chunks(List<byte[]> chunks) {
            this.chunks = chunks;
        }

        boolean done() {
            return index == chunks.size();
        }

        @Override
        public int read(ByteBuffer dst) {
            if (done()) {
                return 0;
            }
            byte[] chunk = chunks.get(index);
            int length = Math.min(dst.remaining(), chunk.length - offset);
            dst.put(chunk, offset, length);
            offset += length;
            if (offset == chunk.length) {
                index++;
                offset = 0;
            }
            return length;
        }

        @Override
        public boolean mayHaveMore() {
            return !done();
        }

        @Override
        public boolean startWaiting() {
            return true;
        }

        @Override
        public boolean stillWaiting() {
            return done();
        }

        @Override
        public void stopWaiting() { }
    }

    @Test
    void validStreamsSplitAnywhereGiveTheFramesTheyWereMadeOf() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int streams = 0;
        for (; streams < 20_000 && System.nanoTime() < deadline; streams++) {
            long streamSeed = random.nextLong();
            try {
                checkOneStream(new Random(streamSeed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("stream seed " + streamSeed + " (run seed " + seed + "): " + e, e);
            }
        }
        assertThat(streams).isGreaterThan(100);
    }

    private static void checkOneStream(Random random) {
        // Raw cannot follow in the oracle (it delivers whatever is left); it ends a stream at most.
        List<Frame> frames = new ArrayList<>();
        int count = 1 + random.nextInt(40);
        int framing = random.nextInt(FRAMINGS.size() - 1);
        for (int i = 0; i < count; i++) {
            frames.add(frame(framing, random));
            if (random.nextInt(4) == 0) {
                framing = random.nextInt(FRAMINGS.size() - 1);
            }
        }
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        frames.forEach(frame -> stream.writeBytes(frame.wire()));
        byte[] bytes = stream.toByteArray();
        List<byte[]> chunks = split(bytes, random);
        Inbound inbound = new Inbound(new Inbound.Pool(1 + random.nextInt(300), 2), FRAMINGS.get(frames.get(0).framing()),
                MAX_FRAME);
        Chunks input = new Chunks(chunks);
        List<byte[]> delivered = new ArrayList<>();
        int guard = 0;
        while (delivered.size() < frames.size()) {
            assertThat(++guard).as("reads").isLessThan(1_000_000);
            try {
                if (inbound.read(input) == 0 && input.done()) {
                    fail("the stream ended with " + delivered.size() + " of " + frames.size() + " frames delivered");
                }
                RealPacket<Object> packet;
                while ((packet = inbound.next()) != null) {
                    delivered.add(packet.bytes());
                    inbound.delivered();
                    assertThat(packet).hasToString("Packet[" + delivered.get(delivered.size() - 1).length
                            + " bytes, expired]");
                    if (delivered.size() < frames.size()) {
                        // The handler switches framing after each frame, as the stream was made.
                        inbound.framing(FRAMINGS.get(frames.get(delivered.size()).framing()));
                    }
                }
            } catch (IOException | Inbound.Rejected e) {
                fail("a valid stream was refused: " + e);
            }
        }
        for (int i = 0; i < frames.size(); i++) {
            assertThat(HexFormat.of().formatHex(delivered.get(i))).as("frame %d of %d under %s", i, frames.size(),
                    FRAMINGS.get(frames.get(i).framing())).isEqualTo(HexFormat.of().formatHex(frames.get(i).packet()));
        }
        assertThat(inbound.hasBytes()).isFalse();
    }

    /** One random valid frame under {@code FRAMINGS.get(index)}. */
    private static Frame frame(int index, Random random) {
        byte[] payload = new byte[random.nextInt(random.nextBoolean() ? 8 : 300)];
        random.nextBytes(payload);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        switch (index) {
            case 0, 1 -> {
                byte delimiter = index == 0 ? (byte) '\n' : (byte) ';';
                for (int i = 0; i < payload.length; i++) {
                    if (payload[i] == delimiter) {
                        payload[i] = 'x';
                    }
                }
                wire.writeBytes(payload);
                wire.write(delimiter);
                return new Frame(index, wire.toByteArray(), wire.toByteArray());
            }
            case 2, 3, 4 -> {
                int width = index == 2 ? 1 : index == 3 ? 2 : 4;
                if (width == 1 && payload.length > 255) {
                    payload = java.util.Arrays.copyOf(payload, 255);
                }
                for (int i = width - 1; i >= 0; i--) {
                    wire.write(payload.length >>> (8 * i));
                }
                wire.writeBytes(payload);
                return new Frame(index, wire.toByteArray(), payload);
            }
            case 5 -> {
                // A type byte, then a big-endian length counting itself.
                wire.write('Q');
                int length = payload.length + 4;
                wire.writeBytes(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
                        (byte) length});
                wire.writeBytes(payload);
                return new Frame(index, wire.toByteArray(), wire.toByteArray());
            }
            case 6 -> {
                // Two bytes, a 3-byte little-endian length, the payload one byte longer than it says.
                if (payload.length == 0) {
                    payload = new byte[] {1};
                }
                int value = payload.length - 1;
                wire.writeBytes(new byte[] {7, 7, (byte) value, (byte) (value >>> 8), (byte) (value >>> 16)});
                wire.writeBytes(payload);
                return new Frame(index, wire.toByteArray(), wire.toByteArray());
            }
            case 7 -> {
                byte[] fixed = new byte[7];
                random.nextBytes(fixed);
                return new Frame(index, fixed, fixed);
            }
            case 8 -> {
                wire.write(0x30);
                int remaining = payload.length;
                do {
                    int digit = remaining & 0x7F;
                    remaining >>>= 7;
                    wire.write(remaining > 0 ? digit | 0x80 : digit);
                } while (remaining > 0);
                wire.writeBytes(payload);
                return new Frame(index, wire.toByteArray(), wire.toByteArray());
            }
            default -> throw new IllegalArgumentException("no framing " + index);
        }
    }

    private static List<byte[]> split(byte[] bytes, Random random) {
        List<byte[]> chunks = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int length = 1 + random.nextInt(random.nextBoolean() ? 4 : Math.max(1, bytes.length));
            length = Math.min(length, bytes.length - at);
            chunks.add(java.util.Arrays.copyOfRange(bytes, at, at + length));
            at += length;
        }
        return chunks;
    }

    @Test
    void garbageGivesOnlyFramesAWaitOrTheDocumentedClose() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int streams = 0;
        int rejected = 0;
        for (; streams < 50_000 && System.nanoTime() < deadline; streams++) {
            long streamSeed = random.nextLong();
            Random one = new Random(streamSeed);
            byte[] garbage = new byte[one.nextInt(3 * MAX_FRAME)];
            one.nextBytes(garbage);
            Framing framing = FRAMINGS.get(one.nextInt(FRAMINGS.size()));
            int maxFrame = 1 + one.nextInt(MAX_FRAME);
            Inbound inbound = new Inbound(new Inbound.Pool(1 + one.nextInt(2000), 2), framing, maxFrame);
            Chunks input = new Chunks(split(garbage, one));
            try {
                while (!input.done()) {
                    inbound.read(input);
                    RealPacket<Object> packet;
                    while ((packet = inbound.next()) != null) {
                        int length = packet.length();
                        assertThat(length).isLessThanOrEqualTo(framing.isRaw() ? Integer.MAX_VALUE : maxFrame);
                        inbound.delivered();
                    }
                }
            } catch (Inbound.Rejected expected) {
                rejected++;
                assertThat(expected.reason).isInstanceOfAny(CloseReason.FrameTooLarge.class,
                        CloseReason.FrameMalformed.class);
                if (expected.reason instanceof CloseReason.FrameTooLarge tooLarge) {
                    assertThat(tooLarge.size()).isGreaterThanOrEqualTo(maxFrame);
                    assertThat(tooLarge.maxFrameSize()).isEqualTo(maxFrame);
                }
            } catch (IOException | RuntimeException e) {
                throw new AssertionError("stream seed " + streamSeed + " (run seed " + seed + ") under " + framing
                        + ": " + e, e);
            } finally {
                inbound.release();
            }
        }
        assertThat(streams).isGreaterThan(100);
        assertThat(rejected).as("some garbage was rejected").isPositive();
    }
}
