package dev.glisten.reliability;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.glisten.CloseReason;
import dev.glisten.Server;
import dev.glisten.ServerStats;
import dev.glisten.examples.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Random bytes into the http example, in this JVM: its server ({@code HttpServer.builder()}) on
 * loopback, clients that each send one input, end their side of the connection, and read the
 * answer until the server closes. The oracle: every answer holds only the statuses the example
 * documents; every connection is closed within {@link Abuse#PROMPTLY} of the input's end; the
 * server counts no handler or init failure, and logs nothing at WARNING or above.
 */
final class HttpFuzz {

    private static final int CLIENTS = 4;
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
            "CONNECT", "TRACE", "G\u00e9T", "", "get");
    private static final List<String> TARGETS = List.of("/", "/echo", "*", "http://127.0.0.1/", "/a?b=c", "",
            "/" + "x".repeat(9000), "/%00", "//", "/echo/");
    private static final List<String> VERSIONS = List.of("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1 ",
            "http/1.1", "HTTP/1.10", "", "HTTP/11");
    private static final List<String> FIELDS = List.of("Host: 127.0.0.1", "Host: a", "Host:", "Content-Length: 5",
            "Content-Length: 0", "Content-Length: -1", "Content-Length: 99999999999", "Content-Length: 5, 5",
            "Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Expect: 100-continue", "Connection: close",
            "Connection: keep-alive", " folded: value", "Bad Name: x", "X-Long: " + "y".repeat(9000), "X: \u0000",
            "Content-Type: text/plain");

    /**
     * What the fuzzing found.
     *
     * @param inputs inputs sent, each on a connection of its own
     * @param statuses how often each status came back
     * @param silentCloses connections closed with no answer (a head never finished, then the end of input)
     * @param hung connections still open {@link Abuse#PROMPTLY} after the input ended
     * @param undocumented statuses outside the example's documented set
     * @param stats the server's counters at the end
     * @param logged records logged at WARNING or above
     */
    record Tally(long inputs, Map<Integer, Long> statuses, long silentCloses, long hung, long undocumented,
            ServerStats stats, long logged) {

        long failures() {
            return stats.closed(CloseReason.HandlerFailed.class) + stats.closed(CloseReason.InitFailed.class);
        }
    }

    private HttpFuzz() { }

    static Tally run(long seed, Duration length) throws IOException, InterruptedException {
        LongAdder logged = new LongAdder();
        Logger root = Logger.getLogger("");
        Handler counter = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    logged.increment();
                }
            }

            @Override
            public void flush() { }

            @Override
            public void close() { }
        };
        root.addHandler(counter);
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        LongAdder inputs = new LongAdder();
        LongAdder silent = new LongAdder();
        LongAdder hung = new LongAdder();
        LongAdder undocumented = new LongAdder();
        Server server = HttpServer.builder().bind("127.0.0.1").start(0);
        try {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
            long until = System.nanoTime() + length.toNanos();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Random random = new Random(seed + c);
                clients.add(Thread.ofVirtual().name("http-fuzz-" + c).start(() -> {
                    for (int n = 0; n < 10_000_000 && System.nanoTime() - until < 0; n++) {
                        try {
                            byte[] answer = exchange(address, input(random));
                            inputs.increment();
                            if (answer == null) {
                                hung.increment();
                            } else if (answer.length == 0) {
                                silent.increment();
                            } else {
                                Matcher status = STATUS_LINE.matcher(new String(answer, US_ASCII));
                                // One status line per response; at most one response per input byte.
                                for (int r = 0; r < answer.length && status.find(); r++) {
                                    int code = Integer.parseInt(status.group(1));
                                    statuses.computeIfAbsent(code, k -> new LongAdder()).increment();
                                    if (!Abuse.HTTP_STATUSES.contains(code)) {
                                        undocumented.increment();
                                    }
                                }
                            }
                        } catch (IOException e) {
                            // The server reset a connection whose input it did not read: an answer too.
                            inputs.increment();
                            silent.increment();
                        }
                    }
                }));
            }
            for (Thread client : clients) {
                if (!client.join(length.plus(Abuse.PROMPTLY).plusSeconds(30))) {
                    client.interrupt();
                    throw new IOException("an HTTP fuzzing client did not stop");
                }
            }
            Map<Integer, Long> counted = new TreeMap<>();
            statuses.forEach((code, n) -> counted.put(code, n.sum()));
            // Every connection has ended by the time each client's read saw the close.
            return new Tally(inputs.sum(), counted, silent.sum(), hung.sum(), undocumented.sum(), server.stats(),
                    logged.sum());
        } finally {
            server.stop();
            root.removeHandler(counter);
        }
    }

    /** Sends one input, ends the output, reads until the close: the answer, or {@code null} if none came in time. */
    private static byte[] exchange(InetSocketAddress address, byte[] input) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, (int) Dialer.CONNECT_TIMEOUT.toMillis());
            Abuse.write(socket, socket.getOutputStream(), input);
            socket.shutdownOutput();
            return Abuse.readUntilClosed(socket, System.nanoTime() + Abuse.PROMPTLY.toNanos());
        }
    }

    /** A third random bytes, a third valid requests damaged, a third requests assembled from odd parts. */
    static byte[] input(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> {
                byte[] bytes = new byte[1 + random.nextInt(2000)];
                random.nextBytes(bytes);
                yield bytes;
            }
            case 1 -> Abuse.damaged(validRequests(random), random);
            default -> assembled(random);
        };
    }

    private static byte[] validRequests(Random random) {
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
            if (random.nextBoolean()) {
                requests.writeBytes(("GET /" + random.nextInt(100) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        .getBytes(US_ASCII));
            } else {
                byte[] body = new byte[random.nextInt(300)];
                random.nextBytes(body);
                requests.writeBytes(("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length
                        + (random.nextInt(4) == 0 ? "\r\nExpect: 100-continue" : "") + "\r\n\r\n").getBytes(US_ASCII));
                requests.writeBytes(body);
            }
        }
        return requests.toByteArray();
    }

    private static byte[] assembled(Random random) {
        StringBuilder request = new StringBuilder();
        request.append(pick(METHODS, random)).append(random.nextInt(8) == 0 ? "  " : " ").append(pick(TARGETS, random))
                .append(' ').append(pick(VERSIONS, random)).append(random.nextInt(8) == 0 ? "\n" : "\r\n");
        for (int i = 0, fields = random.nextInt(6); i < fields; i++) {
            request.append(pick(FIELDS, random)).append(random.nextInt(10) == 0 ? "\n" : "\r\n");
        }
        request.append(random.nextInt(10) == 0 ? "" : "\r\n");
        if (random.nextBoolean()) {
            request.append("hello");
        }
        return request.toString().getBytes(UTF_8);
    }

    private static String pick(List<String> choices, Random random) {
        return choices.get(random.nextInt(choices.size()));
    }
}
