package dev.glisten.examples.http;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.glisten.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Writes one connection's responses: the status line and header fields into a buffer the
 * connection keeps, then head and body in one gathering write. The body of an echo is the
 * request's, sent from the server's read buffer; the greeting is a constant. So a response costs
 * no allocation beyond, once a second, the {@code Date} line all connections share.
 */
final class ResponseWriter {

    /** Whether the connection stays open, and what the response says of it (RFC 9112 section 9.3). */
    enum Persistence {
        /** HTTP/1.1's default: no {@code Connection} field. */
        KEEP_ALIVE(null),
        /** HTTP/1.0 persists only when both sides say so. */
        KEEP_ALIVE_HTTP10("Connection: keep-alive\r\n"),
        CLOSE("Connection: close\r\n");

        private final byte[] field;

        Persistence(String field) {
            this.field = field == null ? null : field.getBytes(US_ASCII);
        }
    }

    static final byte[] GREETING = ascii("Hello from glisten!\n");
    private static final byte[] TEXT = ascii("Content-Type: text/plain; charset=utf-8\r\n");
    private static final byte[] OCTETS = ascii("Content-Type: application/octet-stream\r\n");
    private static final byte[] CONTENT_LENGTH = ascii("Content-Length: ");
    private static final byte[] ALLOW_GET_HEAD = ascii("Allow: GET, HEAD\r\n");
    private static final byte[] ALLOW_GET_HEAD_POST = ascii("Allow: GET, HEAD, POST\r\n");
    private static final byte[] CONTINUE = ascii("HTTP/1.1 100 Continue\r\n\r\n");
    private static final byte[] CRLF = ascii("\r\n");
    // RFC 9110 section 5.6.7's IMF-fixdate: a two-digit day, which RFC_1123_DATE_TIME does not give.
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).withZone(ZoneOffset.UTC);
    private static volatile DateLine date = new DateLine(-1, null);

    // A head is at most a status line and five short fields: well under this.
    private final ByteBuffer head = ByteBuffer.allocate(256);
    private final ByteBuffer greeting = ByteBuffer.wrap(GREETING).asReadOnlyBuffer();
    private final ByteBuffer[] headAndBody = new ByteBuffer[2];

    /** The {@code 100 Continue} a client that sent {@code Expect: 100-continue} waits for before its body. */
    void continueInterim(Connection<?> connection) throws IOException {
        connection.send(CONTINUE);
    }

    /** 200 with the greeting, or only its head for a {@code HEAD} request. */
    void greeting(Connection<?> connection, Persistence persistence, boolean headOnly) throws IOException {
        writeHead(Status.OK, TEXT, GREETING.length, persistence, null);
        send(connection, headOnly ? null : greeting.clear());
    }

    /** 200 with the request's body, {@code null} for none. */
    void echo(Connection<?> connection, Persistence persistence, ByteBuffer body) throws IOException {
        writeHead(Status.OK, OCTETS, body == null ? 0 : body.remaining(), persistence, null);
        send(connection, body);
    }

    /** 405, with the methods the target allows. */
    void methodNotAllowed(Connection<?> connection, Persistence persistence, boolean echoTarget) throws IOException {
        byte[] body = Status.METHOD_NOT_ALLOWED.body();
        writeHead(Status.METHOD_NOT_ALLOWED, TEXT, body.length, persistence,
                echoTarget ? ALLOW_GET_HEAD_POST : ALLOW_GET_HEAD);
        send(connection, ByteBuffer.wrap(body));
    }

    /** An error that ends the connection: its status, a line saying why, and {@code Connection: close}. */
    void error(Connection<?> connection, Status status) throws IOException {
        byte[] body = status.body();
        writeHead(status, TEXT, body.length, Persistence.CLOSE, null);
        send(connection, ByteBuffer.wrap(body));
    }

    private void writeHead(Status status, byte[] contentType, long contentLength, Persistence persistence,
            byte[] allow) {
        head.clear().put(status.statusLine()).put(dateLine()).put(contentType).put(CONTENT_LENGTH);
        putDecimal(contentLength);
        head.put(CRLF);
        if (persistence.field != null) {
            head.put(persistence.field);
        }
        if (allow != null) {
            head.put(allow);
        }
        head.put(CRLF).flip();
    }

    private void send(Connection<?> connection, ByteBuffer body) throws IOException {
        if (body == null || !body.hasRemaining()) {
            connection.send(head);
            return;
        }
        headAndBody[0] = head;
        headAndBody[1] = body;
        try {
            connection.send(headAndBody);
        } finally {
            // The body may be a packet's view, lent for this call only.
            headAndBody[1] = null;
        }
    }

    private void putDecimal(long value) {
        long divisor = 1;
        while (divisor <= value / 10) {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10) {
            head.put((byte) ('0' + value / divisor % 10));
        }
    }

    /** {@code Date: IMF-fixdate CRLF}, which an origin server with a clock must send (RFC 9110 section 6.6.1). */
    private static byte[] dateLine() {
        long second = System.currentTimeMillis() / 1000;
        DateLine current = date;
        if (current.second != second) {
            // Racing connections may each format it once; any of their lines is right.
            String formatted = IMF_FIXDATE.format(Instant.ofEpochSecond(second));
            current = new DateLine(second, ascii("Date: " + formatted + "\r\n"));
            date = current;
        }
        return current.line;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(US_ASCII);
    }

    /** One second's {@code Date} line, replaced whole so that readers never see a second and another's line. */
    private static final class DateLine {
        final long second;
        final byte[] line;

        DateLine(long second, byte[] line) {
            this.second = second;
            this.line = line;
        }
    }
}
