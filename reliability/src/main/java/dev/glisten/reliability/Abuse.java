package dev.glisten.reliability;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kinds of abusive client, each one connection's worth of misbehaviour. Some only load the
 * server (their check is that legitimate clients do not notice); the others have a documented
 * answer, which {@link #once} checks: closed in time, or the right status.
 */
enum Abuse {
    /** Connects and sends nothing for a few seconds. */
    SILENT("connections that send nothing"),
    /** Sends a request one byte at a time, a few per second, and never finishes it. */
    SLOWLORIS("slowloris: a byte every 100-300 ms"),
    /** Resets the connection (RST) halfway through writing a large request. */
    RESET_MID_WRITE("resets in the middle of a write"),
    /** Sends a request with a large answer, reads part of it, resets. */
    RESET_MID_READ("resets in the middle of a read"),
    /** Random bytes where a TLS ClientHello belongs: closed within the handshake timeout. */
    TLS_GARBAGE("TLS garbage"),
    /** Part of a real ClientHello, then nothing: closed at the handshake timeout. */
    TLS_STALL("TLS handshakes that stall"),
    /** Random bytes, or a header with its signature damaged, where a PROXY header belongs: closed at once. */
    PROXY_GARBAGE("PROXY headers that are garbage"),
    /** Part of a valid PROXY header, the rest too late: closed at the header timeout. */
    PROXY_LATE("PROXY headers that come late"),
    /** A frame header announcing more than {@code --max-packet}: closed at once. */
    OVERSIZED_FRAME("frames over the maximum"),
    /** A chat member that never reads: disconnected once its mailbox is full. */
    NEVER_READS("chat members that never read"),
    /** Random bytes, or a damaged request: only documented statuses, then a close. */
    HTTP_GARBAGE("HTTP garbage"),
    /** A body over the limit (413) or a header line over it (431), then a close. */
    HTTP_OVERSIZED("HTTP requests over the limits");

    /** Beyond a server's own timeout, what a loaded machine may add before the close is seen. */
    static final Duration SLACK = Duration.ofSeconds(3);
    /** How long an answer the server gives at once may take on a loaded machine. */
    static final Duration PROMPTLY = Duration.ofSeconds(3);
    /** The statuses the http example documents (its Status enum). */
    static final Set<Integer> HTTP_STATUSES = Set.of(100, 200, 400, 405, 411, 413, 431, 501, 505);
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static final int RECEIVE_BUFFER_OF_NON_READERS = 4096;

    final String description;

    Abuse(String description) {
        this.description = description;
    }

    /**
     * How long an abuser of this kind waits before its next connection: abuse is in the manner, not
     * in volume (a flood of bytes only measures the machine's two cores), so those that move the
     * most bytes pause the longest.
     */
    Duration pause(Random random) {
        return switch (this) {
            case RESET_MID_WRITE, RESET_MID_READ -> Duration.ofMillis(100 + random.nextInt(200));
            default -> Duration.ofMillis(20 + random.nextInt(40));
        };
    }

    /** Whether the server owes this abuse a documented answer, checked by {@link #once}. */
    boolean checked() {
        return switch (this) {
            case SILENT, SLOWLORIS, RESET_MID_WRITE, RESET_MID_READ -> false;
            default -> true;
        };
    }

    /**
     * One abusive connection against {@code victim}, recorded in {@code tally}, ending by
     * {@code deadline} (a {@link System#nanoTime()}) at the latest.
     */
    void once(Victim victim, Random random, AbuseTally tally, long deadline) throws IOException, InterruptedException {
        Dialer dialer = victim.dialer();
        switch (this) {
            case SILENT -> {
                Socket socket = connect(dialer, tally);
                try {
                    sleepUntil(Math.min(deadline, System.nanoTime() + millis(random, 1000, 5000)));
                } finally {
                    socket.close();
                }
            }
            case SLOWLORIS -> {
                try (Socket socket = open(dialer, random, tally)) {
                    byte[] bytes = victim.wire().trickle(random);
                    long until = Math.min(deadline, System.nanoTime() + millis(random, 2000, 6000));
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < bytes.length && System.nanoTime() - until < 0; i++) {
                        write(socket, out, Arrays.copyOfRange(bytes, i, i + 1));
                        sleepUntil(Math.min(until, System.nanoTime() + millis(random, 100, 300)));
                    }
                }
            }
            case RESET_MID_WRITE -> {
                Socket socket = open(dialer, random, tally);
                byte[] request = victim.wire().large(random, 64 * 1024);
                try {
                    write(socket, socket.getOutputStream(), Arrays.copyOf(request, 1 + random.nextInt(request.length - 1)));
                } finally {
                    reset(socket);
                }
            }
            case RESET_MID_READ -> {
                Socket socket = open(dialer, random, tally);
                try {
                    write(socket, socket.getOutputStream(), victim.wire().large(random, 128 * 1024));
                    InputStream in = socket.getInputStream();
                    in.readNBytes(1 + random.nextInt(16 * 1024));
                } finally {
                    reset(socket);
                }
            }
            case TLS_GARBAGE, PROXY_GARBAGE, OVERSIZED_FRAME -> {
                try (Socket socket = connect(dialer, tally)) {
                    long sent = System.nanoTime();
                    try {
                        write(socket, socket.getOutputStream(), garbage(victim, random));
                    } catch (IOException closedAlready) {
                        // The server refused the first bytes before the rest were written: answered.
                        tally.answered(System.nanoTime() - sent);
                        return;
                    }
                    Duration limit = this == TLS_GARBAGE ? victim.serverTimeout().plus(SLACK) : PROMPTLY;
                    judgeClose(socket, sent, limit, deadline, tally);
                }
            }
            case TLS_STALL, PROXY_LATE -> {
                try (Socket socket = connect(dialer, tally)) {
                    // The server's timeout runs from the accept, as good as the connect here.
                    long connected = System.nanoTime();
                    byte[] whole = this == TLS_STALL ? victim.clientHello() : Dialer.proxyHeader(random);
                    write(socket, socket.getOutputStream(), Arrays.copyOf(whole, random.nextInt(whole.length)));
                    judgeClose(socket, connected, victim.serverTimeout().plus(SLACK), deadline, tally);
                }
            }
            case NEVER_READS -> neverRead(dialer, tally, deadline);
            case HTTP_GARBAGE, HTTP_OVERSIZED -> http(dialer, random, tally, deadline);
        }
    }

    private byte[] garbage(Victim victim, Random random) throws IOException {
        return switch (this) {
            case OVERSIZED_FRAME -> {
                byte[] frame = new byte[2 + 100];
                random.nextBytes(frame);
                // 65535 announced: over any --max-packet the suite gives.
                frame[0] = (byte) 0xFF;
                frame[1] = (byte) 0xFF;
                yield frame;
            }
            case PROXY_GARBAGE -> {
                // Never a header: random bytes that start like neither version's signature ("PROXY "
                // or CR LF CR LF ...), or a valid header with a byte of its signature changed. A damaged
                // header that stays valid, or merely incomplete, is the fuzzer's and PROXY_LATE's case.
                if (random.nextBoolean()) {
                    byte[] bytes = randomBytes(random, 1 + random.nextInt(300));
                    bytes[0] = (byte) ('a' + random.nextInt(26));
                    yield bytes;
                }
                byte[] header = Dialer.proxyHeader(random);
                int at = random.nextInt(header[0] == 'P' ? "PROXY ".length() : 12);
                header[at] = (byte) (header[at] + 1 + random.nextInt(255));
                yield header;
            }
            default -> randomBytes(random, 1 + random.nextInt(2048));
        };
    }

    /** Waits for the server's close: in time is answered, too late is a violation, the run's end is neither. */
    private void judgeClose(Socket socket, long since, Duration limit, long deadline, AbuseTally tally)
            throws IOException {
        long closedAt = awaitClose(socket, Math.min(deadline, since + limit.toNanos()));
        if (closedAt != 0) {
            tally.answered(closedAt - since);
        } else if (System.nanoTime() - (since + limit.toNanos()) >= 0) {
            tally.violated(description + ": still open " + limit.toMillis() + " ms later");
        } else {
            tally.unanswered();
        }
    }

    private void neverRead(Dialer dialer, AbuseTally tally, long deadline) throws IOException, InterruptedException {
        Socket socket = new Socket();
        try (socket) {
            // As small as the kernel allows, so the window closes after a few kilobytes.
            socket.setReceiveBufferSize(RECEIVE_BUFFER_OF_NON_READERS);
            socket.connect(dialer.address(), (int) Dialer.CONNECT_TIMEOUT.toMillis());
            tally.connected(socket.getLocalPort());
            long connected = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            // A byte a second of a line never finished (it is never relayed): the write fails once
            // the server has closed the connection, which is how a member that never reads learns it.
            for (int second = 0; second < 3600 && System.nanoTime() - deadline < 0; second++) {
                sleepUntil(Math.min(deadline, System.nanoTime() + Duration.ofSeconds(1).toNanos()));
                try {
                    write(socket, out, new byte[] {'x'});
                } catch (IOException closedByServer) {
                    tally.answered(System.nanoTime() - connected);
                    return;
                }
            }
            tally.unanswered();
        }
    }

    private void http(Dialer dialer, Random random, AbuseTally tally, long deadline) throws IOException {
        int expected = this == HTTP_OVERSIZED ? (random.nextBoolean() ? 413 : 431) : 0;
        byte[] request = switch (expected) {
            case 413 -> "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n".getBytes(US_ASCII);
            case 431 -> ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + "a".repeat(10_000) + "\r\n\r\n")
                    .getBytes(US_ASCII);
            default -> random.nextBoolean() ? randomBytes(random, 1 + random.nextInt(2000))
                    : damaged(("GET /" + random.nextInt(1000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n")
                            .getBytes(US_ASCII), random);
        };
        try (Socket socket = connect(dialer, tally)) {
            write(socket, socket.getOutputStream(), request);
            // The end of the request: a server still waiting for the rest of a head closes now.
            socket.shutdownOutput();
            long sent = System.nanoTime();
            byte[] answer = readUntilClosed(socket, Math.min(deadline, sent + PROMPTLY.toNanos()));
            if (answer == null) {
                if (System.nanoTime() - deadline < 0) {
                    tally.violated(description + ": still open " + PROMPTLY.toMillis() + " ms after the request ended");
                } else {
                    tally.unanswered();
                }
                return;
            }
            Matcher status = STATUS_LINE.matcher(new String(answer, US_ASCII));
            int first = 0;
            // One status line per response: at most one per request byte.
            for (int responses = 0; responses < request.length && status.find(); responses++) {
                int code = Integer.parseInt(status.group(1));
                first = first == 0 ? code : first;
                if (!HTTP_STATUSES.contains(code)) {
                    tally.violated(description + ": an undocumented status " + code);
                    return;
                }
            }
            if (expected != 0 && first != expected) {
                tally.violated(description + ": answered " + first + " instead of " + expected);
                return;
            }
            tally.answered(System.nanoTime() - sent);
        }
    }

    // --- the mechanics every abuser shares ---

    private static Socket connect(Dialer dialer, AbuseTally tally) throws IOException {
        Socket socket;
        try {
            socket = dialer.connect();
        } catch (IOException refused) {
            tally.refused();
            throw refused;
        }
        tally.connected(socket.getLocalPort());
        return socket;
    }

    /** Connected and set up (TLS handshake, PROXY header) like a legitimate client, before misbehaving. */
    private static Socket open(Dialer dialer, Random random, AbuseTally tally) throws IOException {
        Socket socket;
        try {
            socket = dialer.open(random);
        } catch (IOException refused) {
            tally.refused();
            throw refused;
        }
        tally.connected(socket.getLocalPort());
        return socket;
    }

    /** A write bounded in time: a server that stopped reading cannot hold the abuser forever. */
    static void write(Socket socket, OutputStream out, byte[] bytes) throws IOException {
        try (Watchdog.Guard guard = Watchdog.guard(socket, Dialer.READ_TIMEOUT)) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                throw guard.fired() ? new IOException("a write blocked for " + Dialer.READ_TIMEOUT.toSeconds()
                        + " s: the peer stopped reading", e) : e;
            }
        }
    }

    /** Closes with RST instead of FIN (SO_LINGER 0, as in socket(7)). */
    static void reset(Socket socket) {
        try (socket) {
            socket.setSoLinger(true, 0);
        } catch (IOException alreadyClosed) {
            // Closed by the server or the watchdog: nothing left to reset.
        }
    }

    /**
     * Reads and drops what the server sends until it closes (end of stream or reset).
     *
     * @return when the close was seen ({@link System#nanoTime()}, never 0), or 0 if still open at {@code until}
     */
    static long awaitClose(Socket socket, long until) throws IOException {
        byte[] answer = readUntilClosed(socket, until);
        return answer == null ? 0 : Math.max(1, System.nanoTime());
    }

    /** What the server sent before it closed (at most 1 MiB kept), or {@code null} if still open at {@code until}. */
    static byte[] readUntilClosed(Socket socket, long until) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[16 * 1024];
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        // Each pass reads a byte or more, or waits out the rest of the time: bounded by both.
        for (int reads = 0; reads < 1_000_000; reads++) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int read;
            try {
                read = in.read(buffer);
            } catch (SocketTimeoutException stillOpen) {
                continue;
            } catch (IOException reset) {
                return kept.toByteArray();
            }
            if (read < 0) {
                return kept.toByteArray();
            }
            if (kept.size() < 1024 * 1024) {
                kept.write(buffer, 0, read);
            }
        }
        return null;
    }

    static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            Thread.sleep(Duration.ofNanos(left));
        }
    }

    private static long millis(Random random, int from, int to) {
        return Duration.ofMillis(from + random.nextInt(to - from)).toNanos();
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A few bytes of {@code valid} replaced, flipped or cut. */
    static byte[] damaged(byte[] valid, Random random) {
        byte[] bytes = valid.clone();
        for (int i = 0, changes = 1 + random.nextInt(3); i < changes; i++) {
            int at = random.nextInt(bytes.length);
            switch (random.nextInt(3)) {
                case 0 -> bytes[at] = (byte) random.nextInt(256);
                case 1 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                default -> bytes = Arrays.copyOf(bytes, Math.max(1, at));
            }
        }
        return bytes;
    }

    /**
     * A server under abuse, as the abusers need it.
     *
     * @param dialer how legitimate clients reach it
     * @param wire what its protocol looks like
     * @param serverTimeout the server's own bound for what the abuse withholds: the TLS handshake
     *     timeout, or the PROXY header timeout; zero if none applies
     * @param clientHello a real ClientHello, for {@link #TLS_STALL}; empty for plain servers
     */
    record Victim(Dialer dialer, Wire wire, Duration serverTimeout, byte[] clientHello) { }
}
