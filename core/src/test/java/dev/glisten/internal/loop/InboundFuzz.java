package dev.glisten.internal.loop;

import dev.glisten.CloseReason;
import dev.glisten.Framing;
import dev.glisten.MqttDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Seeded fuzzing of every framing through the connection's {@link Inbound}, shared by
 * {@link InboundFuzzTest} (seconds in every build) and the reliability suite ({@code reliability/},
 * a million streams). Three kinds of stream, each read through buffers of random sizes:
 * <ul>
 *   <li><b>valid</b>: frames of random framings, split at random points, the framing switched between
 *       frames as a handler would: exactly the frames it was made of come out, in order;</li>
 *   <li><b>garbage</b>: random bytes under a random framing and maximum frame size: frames no larger
 *       than the maximum, a wait for more, or the documented close ({@link CloseReason.FrameTooLarge}
 *       naming the maximum, {@link CloseReason.FrameMalformed});</li>
 *   <li><b>mutated</b>: valid streams with bytes changed, dropped, repeated or inserted: the same
 *       outcomes as garbage, and never more bytes delivered than were read.</li>
 * </ul>
 * Anything else throws {@link AssertionError} naming the stream's seed, which replays it alone.
 */
public final class InboundFuzz {

    static final int MAX_FRAME = 4096;

    static final List<Framing> FRAMINGS = List.of(Framing.lines(), Framing.lines((byte) ';'),
            Framing.lengthPrefixed(1), Framing.lengthPrefixed(2), Framing.lengthPrefixed(4),
            Framing.lengthField(1, 4, -4, ByteOrder.BIG_ENDIAN), Framing.lengthField(2, 3, 1, ByteOrder.LITTLE_ENDIAN),
            Framing.fixed(7), Framing.of(MqttDecoder.MQTT), Framing.raw());
    /** Raw cannot be followed in the oracle (it delivers whatever is left); it only ends a stream. */
    private static final int FRAMED = FRAMINGS.size() - 1;
    /** Read buffer sizes range up to this; one pool per size, so a million streams allocate a few hundred buffers. */
    private static final int LARGEST_READ = 2000;
    /** No stream of these sizes needs this many reads; more means the engine stopped making progress. */
    private static final int MOST_READS = 1_000_000;

    private final Inbound.Pool[] pools = new Inbound.Pool[LARGEST_READ + 1];

    /**
     * What one run found.
     *
     * @param streams streams fed
     * @param frames frames delivered
     * @param bytes bytes fed
     * @param tooLarge streams closed with {@link CloseReason.FrameTooLarge}
     * @param malformed streams closed with {@link CloseReason.FrameMalformed}
     * @param waiting streams that ended in the middle of a frame (a wait for more bytes)
     * @param took how long the run took
     */
    public record Tally(long streams, long frames, long bytes, long tooLarge, long malformed, long waiting,
            Duration took) { }

    /** A frame as sent, and as its packet shows it. */
    private record Frame(int framing, byte[] wire, byte[] packet) { }

    /** What a stream of random shape gave. */
    private record Fed(long frames, long bytes, CloseReason rejection, boolean waiting) { }

    private InboundFuzz() { }

    /**
     * Valid streams: each must give exactly its frames.
     *
     * @param seed the run's seed
     * @param streams how many at most
     * @param budget how long at most
     * @return the counts
     * @throws AssertionError on the first stream mishandled, naming its seed
     */
    public static Tally validStreams(long seed, long streams, Duration budget) {
        InboundFuzz fuzz = new InboundFuzz();
        return fuzz.repeat(seed, streams, budget, (random, tally) -> {
            Fed fed = fuzz.checkValid(random);
            tally.add(fed);
        });
    }

    /**
     * Random bytes: frames within the maximum, a wait, or a documented close.
     *
     * @param seed the run's seed
     * @param streams how many at most
     * @param budget how long at most
     * @return the counts
     * @throws AssertionError on the first stream mishandled, naming its seed
     */
    public static Tally garbage(long seed, long streams, Duration budget) {
        InboundFuzz fuzz = new InboundFuzz();
        return fuzz.repeat(seed, streams, budget, (random, tally) -> {
            byte[] garbage = new byte[random.nextInt(3 * MAX_FRAME)];
            random.nextBytes(garbage);
            Framing framing = FRAMINGS.get(random.nextInt(FRAMINGS.size()));
            tally.add(fuzz.feed(garbage, random, List.of(framing), 1 + random.nextInt(MAX_FRAME)));
        });
    }

    /**
     * Valid streams with random damage: as {@link #garbage}, with the framing switched as the
     * undamaged stream would have needed.
     *
     * @param seed the run's seed
     * @param streams how many at most
     * @param budget how long at most
     * @return the counts
     * @throws AssertionError on the first stream mishandled, naming its seed
     */
    public static Tally mutated(long seed, long streams, Duration budget) {
        InboundFuzz fuzz = new InboundFuzz();
        return fuzz.repeat(seed, streams, budget, (random, tally) -> {
            List<Frame> frames = frames(random);
            byte[] bytes = mutate(concatenate(frames), random);
            List<Framing> plan = frames.stream().map(frame -> FRAMINGS.get(frame.framing())).toList();
            tally.add(fuzz.feed(bytes, random, plan, MAX_FRAME));
        });
    }

    private interface OneStream {
        void run(Random random, Counts tally) throws IOException;
    }

    private static final class Counts {
        long frames;
        long bytes;
        long tooLarge;
        long malformed;
        long waiting;

        void add(Fed fed) {
            frames += fed.frames();
            bytes += fed.bytes();
            if (fed.rejection() instanceof CloseReason.FrameTooLarge) {
                tooLarge++;
            } else if (fed.rejection() instanceof CloseReason.FrameMalformed) {
                malformed++;
            } else if (fed.waiting()) {
                waiting++;
            }
        }
    }

    private Tally repeat(long seed, long streams, Duration budget, OneStream stream) {
        Random random = new Random(seed);
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        Counts counts = new Counts();
        long fed = 0;
        for (; fed < streams && System.nanoTime() - deadline < 0; fed++) {
            long streamSeed = random.nextLong();
            try {
                stream.run(new Random(streamSeed), counts);
            } catch (AssertionError | IOException | RuntimeException e) {
                throw new AssertionError("stream seed " + streamSeed + " (run seed " + seed + "): " + e, e);
            }
        }
        return new Tally(fed, counts.frames, counts.bytes, counts.tooLarge, counts.malformed, counts.waiting,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private Inbound.Pool pool(int size) {
        if (pools[size] == null) {
            pools[size] = new Inbound.Pool(size, 2);
        }
        return pools[size];
    }

    private Fed checkValid(Random random) throws IOException {
        List<Frame> frames = frames(random);
        byte[] bytes = concatenate(frames);
        Inbound inbound = new Inbound(pool(1 + random.nextInt(300)), FRAMINGS.get(frames.get(0).framing()), MAX_FRAME);
        Chunks input = new Chunks(split(bytes, random));
        List<byte[]> delivered = new ArrayList<>();
        try {
            for (int reads = 0; delivered.size() < frames.size(); reads++) {
                check(reads < MOST_READS, "no progress after " + reads + " reads");
                if (inbound.read(input) == 0 && input.done()) {
                    throw new AssertionError("the stream ended with " + delivered.size() + " of " + frames.size()
                            + " frames delivered");
                }
                RealPacket<Object> packet;
                while ((packet = inbound.next()) != null) {
                    byte[] got = packet.bytes();
                    delivered.add(got);
                    inbound.delivered();
                    check(packet.toString().equals("Packet[" + got.length + " bytes, expired]"),
                            "a delivered packet still lent: " + packet);
                    if (delivered.size() < frames.size()) {
                        // The handler switches framing after each frame, as the stream was made.
                        inbound.framing(FRAMINGS.get(frames.get(delivered.size()).framing()));
                    }
                }
            }
        } catch (Inbound.Rejected e) {
            throw new AssertionError("a valid stream was refused: " + e, e);
        } finally {
            inbound.release();
        }
        for (int i = 0; i < frames.size(); i++) {
            if (!Arrays.equals(delivered.get(i), frames.get(i).packet())) {
                throw new AssertionError("frame " + i + " of " + frames.size() + " under "
                        + FRAMINGS.get(frames.get(i).framing()) + ": " + HexFormat.of().formatHex(delivered.get(i))
                        + " instead of " + HexFormat.of().formatHex(frames.get(i).packet()));
            }
        }
        check(!inbound.hasBytes(), "bytes left after the last frame");
        return new Fed(frames.size(), bytes.length, null, false);
    }

    /** Feeds bytes of unknown shape, switching framing along {@code plan} after each frame. */
    private Fed feed(byte[] bytes, Random random, List<Framing> plan, int maxFrame) throws IOException {
        Framing first = plan.get(0);
        Inbound inbound = new Inbound(pool(1 + random.nextInt(LARGEST_READ)), first, maxFrame);
        Chunks input = new Chunks(split(bytes, random));
        long frames = 0;
        long deliveredBytes = 0;
        try {
            for (int reads = 0; !input.done(); reads++) {
                check(reads < MOST_READS, "no progress after " + reads + " reads");
                inbound.read(input);
                RealPacket<Object> packet;
                while ((packet = inbound.next()) != null) {
                    Framing framing = inbound.framing();
                    check(framing.isRaw() || packet.length() <= maxFrame,
                            "a packet of " + packet.length() + " bytes under " + framing + " with a maximum of " + maxFrame);
                    deliveredBytes += packet.length();
                    frames++;
                    inbound.delivered();
                    if (frames < plan.size()) {
                        inbound.framing(plan.get((int) frames));
                    }
                }
            }
            check(deliveredBytes <= bytes.length, deliveredBytes + " bytes delivered of " + bytes.length + " read");
            return new Fed(frames, bytes.length, null, inbound.hasBytes());
        } catch (Inbound.Rejected expected) {
            if (expected.reason instanceof CloseReason.FrameTooLarge tooLarge) {
                check(tooLarge.size() >= maxFrame && tooLarge.maxFrameSize() == maxFrame,
                        "rejected as " + tooLarge + " with a maximum of " + maxFrame);
            } else {
                check(expected.reason instanceof CloseReason.FrameMalformed, "rejected as " + expected.reason);
            }
            return new Fed(frames, bytes.length, expected.reason, false);
        } finally {
            inbound.release();
        }
    }

    private static void check(boolean holds, String otherwise) {
        if (!holds) {
            throw new AssertionError(otherwise);
        }
    }

    /** One to forty random valid frames, the framing changed between some of them. */
    private static List<Frame> frames(Random random) {
        List<Frame> frames = new ArrayList<>();
        int count = 1 + random.nextInt(40);
        int framing = random.nextInt(FRAMED);
        for (int i = 0; i < count; i++) {
            frames.add(frame(framing, random));
            if (random.nextInt(4) == 0) {
                framing = random.nextInt(FRAMED);
            }
        }
        return frames;
    }

    private static byte[] concatenate(List<Frame> frames) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        frames.forEach(frame -> stream.writeBytes(frame.wire()));
        return stream.toByteArray();
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
                    payload = Arrays.copyOf(payload, 255);
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

    /** One to eight changes: a byte replaced or flipped, a run dropped, repeated, or random bytes inserted. */
    private static byte[] mutate(byte[] bytes, Random random) {
        byte[] out = bytes;
        int mutations = 1 + random.nextInt(8);
        for (int i = 0; i < mutations && out.length > 0; i++) {
            int at = random.nextInt(out.length);
            int run = 1 + random.nextInt(Math.min(16, out.length - at));
            switch (random.nextInt(5)) {
                case 0 -> out[at] = (byte) random.nextInt(256);
                case 1 -> out[at] ^= (byte) (1 << random.nextInt(8));
                case 2 -> out = splice(out, at, run, new byte[0]);
                case 3 -> out = splice(out, at, 0, Arrays.copyOfRange(out, at, at + run));
                default -> {
                    byte[] inserted = new byte[run];
                    random.nextBytes(inserted);
                    out = splice(out, at, 0, inserted);
                }
            }
        }
        return out.length > 0 ? out : new byte[] {0};
    }

    private static byte[] splice(byte[] bytes, int at, int removed, byte[] inserted) {
        byte[] out = new byte[bytes.length - removed + inserted.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(bytes, at + removed, out, at + inserted.length, bytes.length - at - removed);
        return out;
    }

    private static List<byte[]> split(byte[] bytes, Random random) {
        List<byte[]> chunks = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int length = 1 + random.nextInt(random.nextBoolean() ? 4 : Math.max(1, bytes.length));
            length = Math.min(length, bytes.length - at);
            chunks.add(Arrays.copyOfRange(bytes, at, at + length));
            at += length;
        }
        return chunks;
    }

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
}
