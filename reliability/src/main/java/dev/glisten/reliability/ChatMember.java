package dev.glisten.reliability;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * The chat example's legitimate clients. A member joins (its setup ends with the welcome line),
 * talks for a while, a line every 10 to 30 ms, reads every other member's lines on a second
 * thread, and leaves. Each line carries its sender, a sequence number, when it was sent and a
 * CRC-32, so a receiver checks every byte, and that lines from each sender arrive in order with
 * none missing from the first it sees (a member that joins misses what was said before). An
 * <em>exchange</em> here is one line delivered, timed from its sending to its arrival.
 */
final class ChatMember {

    private static final AtomicLong MEMBERS = new AtomicLong();
    /** The chat's longest line is 64 KiB; anything longer is not the chat's doing. */
    private static final int LONGEST_LINE = 64 * 1024 + 1;
    private static final Duration READER_EXIT = Duration.ofSeconds(5);

    private final Dialer dialer;
    private final Ledger ledger;
    private final int lineBytes;

    /**
     * @param lineBytes the largest random part of a line, before Base64: larger lines fill a member
     *     that never reads sooner
     */
    ChatMember(Dialer dialer, Ledger ledger, int lineBytes) {
        this.dialer = dialer;
        this.ledger = ledger;
        this.lineBytes = lineBytes;
    }

    /**
     * One member's stay: joins, talks until {@code until} (a {@link System#nanoTime()}), leaves.
     *
     * @throws IOException if joining or sending fails; what the reader finds wrong goes to the ledger
     */
    void stay(Random random, long until) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Socket socket = dialer.open(random);
        Thread reader = null;
        boolean[] leaving = {false};
        try {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String welcome = readLine(in);
            if (welcome == null || !welcome.startsWith("welcome")) {
                throw new Conversation.Corrupt("the chat greeted a new member with " + welcome);
            }
            ledger.connected(System.nanoTime() - start);
            reader = Thread.ofVirtual().name("chat-reader").start(() -> read(in, leaving));
            long member = MEMBERS.incrementAndGet();
            // A line per 10 ms at most: bounded by the stay.
            for (long sequence = 0; System.nanoTime() - until < 0; sequence++) {
                Abuse.write(socket, socket.getOutputStream(), line(member, sequence, random));
                Abuse.sleepUntil(Math.min(until, System.nanoTime() + Duration.ofMillis(10 + random.nextInt(20)).toNanos()));
            }
        } finally {
            synchronized (leaving) {
                leaving[0] = true;
            }
            socket.close();
        }
        if (reader != null) {
            reader.join(READER_EXIT);
        }
    }

    private byte[] line(long member, long sequence, Random random) {
        byte[] payload = new byte[1 + random.nextInt(lineBytes)];
        random.nextBytes(payload);
        String body = member + " " + sequence + " " + System.nanoTime() + " " + Base64.getEncoder().encodeToString(payload);
        return ("L " + body + " " + crc(body) + "\n").getBytes(US_ASCII);
    }

    private static String crc(String body) {
        CRC32 crc = new CRC32();
        crc.update(body.getBytes(US_ASCII));
        return Long.toHexString(crc.getValue());
    }

    /** Reads other members' lines until this member leaves; anything wrong is a failure in the ledger. */
    private void read(InputStream in, boolean[] leaving) {
        Map<Long, Long> lastSequence = new HashMap<>();
        try {
            // One line per pass, or the end: bounded by the stay, as the socket closes when it ends.
            for (long lines = 0; lines < Long.MAX_VALUE; lines++) {
                String line = readLine(in);
                long arrived = System.nanoTime();
                if (line == null) {
                    if (!left(leaving)) {
                        ledger.failed("the chat closed a member that was still talking");
                    }
                    return;
                }
                if (!line.startsWith("L ")) {
                    // A line of a client that is not a member of the suite's: none is expected.
                    continue;
                }
                String[] parts = line.split(" ");
                if (parts.length != 6) {
                    ledger.failed("a chat line in " + parts.length + " parts: " + abbreviate(line));
                    return;
                }
                String body = parts[1] + " " + parts[2] + " " + parts[3] + " " + parts[4];
                if (!crc(body).equals(parts[5])) {
                    ledger.failed("a chat line whose CRC does not match: " + abbreviate(line));
                    return;
                }
                long sender = Long.parseLong(parts[1]);
                long sequence = Long.parseLong(parts[2]);
                Long last = lastSequence.put(sender, sequence);
                if (last != null && sequence != last + 1) {
                    ledger.failed("line " + sequence + " of member " + sender + " came after line " + last);
                    return;
                }
                ledger.exchanged(arrived - Long.parseLong(parts[3]), line.length() + 1);
            }
        } catch (IOException e) {
            if (!left(leaving)) {
                ledger.failed("a chat member's read failed: " + e);
            }
        }
    }

    private static boolean left(boolean[] leaving) {
        synchronized (leaving) {
            return leaving[0];
        }
    }

    /** One line without its newline; {@code null} at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        // Bounded by LONGEST_LINE bytes.
        while (line.size() <= LONGEST_LINE) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            if (b == '\n') {
                return line.toString(US_ASCII);
            }
            line.write(b);
        }
        throw new Conversation.Corrupt("a chat line longer than " + LONGEST_LINE + " bytes");
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 80) + "...";
    }
}
