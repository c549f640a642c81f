package dev.glisten.examples.http;

import java.nio.ByteBuffer;

/**
 * The head of one request, read line by line as the connection frames it (RFC 9112 sections 3
 * and 5): the request line, then header fields up to the empty line. It keeps only what the
 * server acts on (the method, whether the target is {@code /echo}, the version, the body's
 * length, {@code Connection}, {@code Expect}, {@code Host}) and reads every byte in place, so a
 * request costs no allocation. One per connection, {@link #reset() reset} for each request.
 *
 * <p>Each step answers {@code null} to go on, or the error status to answer before closing.
 */
final class RequestHead {

    /** The most header fields a request may have: as Apache's {@code LimitRequestFields}. */
    static final int MOST_FIELDS = 100;

    enum Method { GET, HEAD, POST, OTHER }

    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[Character.toUpperCase(c)] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private boolean started;
    private Method method;
    private boolean echoTarget;
    private boolean http10;
    private int fields;
    private int hosts;
    private long contentLength;
    private boolean transferCoding;
    private boolean chunked;
    private boolean closeOption;
    private boolean keepAliveOption;
    private boolean expectContinue;

    RequestHead() {
        reset();
    }

    /** Forgets the last request, for the next. */
    void reset() {
        started = false;
        method = null;
        echoTarget = false;
        http10 = false;
        fields = 0;
        hosts = 0;
        contentLength = -1;
        transferCoding = false;
        chunked = false;
        closeOption = false;
        keepAliveOption = false;
        expectContinue = false;
    }

    /** Whether the request line has been read: a request is under way. */
    boolean started() {
        return started;
    }

    Method method() {
        return method;
    }

    /** Whether the target's path is {@code /echo}. */
    boolean echoTarget() {
        return echoTarget;
    }

    boolean http10() {
        return http10;
    }

    /** The body's length in bytes, 0 if none was declared. */
    long contentLength() {
        return Math.max(0, contentLength);
    }

    /** Whether the client waits for {@code 100 Continue} before it sends the body. */
    boolean expectsContinue() {
        return expectContinue && !http10;
    }

    /**
     * Whether the connection stays open after the response (RFC 9112 section 9.3): HTTP/1.1 unless
     * the client said {@code close}, HTTP/1.0 only if it said {@code keep-alive}.
     */
    boolean keepAlive() {
        return !closeOption && (!http10 || keepAliveOption);
    }

    /** Whether a line is empty: the end of the head, or (before a request line) a stray CRLF. */
    static boolean isEmpty(ByteBuffer line) {
        int length = line.limit();
        return length == 1 || (length == 2 && line.get(0) == '\r');
    }

    /** Reads {@code method SP request-target SP HTTP-version CRLF} (RFC 9112 section 3). */
    Status requestLine(ByteBuffer line) {
        int end = contentEnd(line);
        if (end < 0) {
            return Status.BAD_REQUEST;
        }
        int methodEnd = token(line, 0, end);
        if (methodEnd == 0 || methodEnd == end || line.get(methodEnd) != ' ') {
            return Status.BAD_REQUEST;
        }
        int targetStart = methodEnd + 1;
        int targetEnd = targetStart;
        while (targetEnd < end && line.get(targetEnd) > ' ' && line.get(targetEnd) < 0x7F) {
            targetEnd++;
        }
        if (targetEnd == targetStart || targetEnd == end || line.get(targetEnd) != ' ') {
            return Status.BAD_REQUEST;
        }
        int version = targetEnd + 1;
        if (end - version != 8 || !matches(line, version, "HTTP/") || !isDigit(line.get(version + 5))
                || line.get(version + 6) != '.' || !isDigit(line.get(version + 7))) {
            return Status.BAD_REQUEST;
        }
        if (line.get(version + 5) != '1') {
            return Status.VERSION_NOT_SUPPORTED;
        }
        started = true;
        // HTTP/1.2 and later minors would be read as 1.1, their compatible baseline (RFC 9110 section 2.5).
        http10 = line.get(version + 7) == '0';
        method = method(line, methodEnd);
        echoTarget = isEchoPath(line, targetStart, targetEnd);
        return null;
    }

    /** Reads one {@code field-name ":" OWS field-value OWS CRLF} (RFC 9112 section 5). */
    Status field(ByteBuffer line) {
        if (++fields > MOST_FIELDS) {
            return Status.HEADER_FIELDS_TOO_LARGE;
        }
        int end = contentEnd(line);
        if (end < 0) {
            return Status.BAD_REQUEST;
        }
        // A name followed by anything but a colon, whitespace before the colon included, must be
        // refused (section 5.1); so must obsolete line folding, a line that starts with whitespace.
        int nameEnd = token(line, 0, end);
        if (nameEnd == 0 || nameEnd == end || line.get(nameEnd) != ':') {
            return Status.BAD_REQUEST;
        }
        int valueStart = nameEnd + 1;
        int valueEnd = end;
        while (valueStart < valueEnd && isWhitespace(line.get(valueStart))) {
            valueStart++;
        }
        while (valueEnd > valueStart && isWhitespace(line.get(valueEnd - 1))) {
            valueEnd--;
        }
        for (int i = valueStart; i < valueEnd; i++) {
            byte b = line.get(i);
            if ((b >= 0 && b < ' ' && b != '\t') || b == 0x7F) {
                return Status.BAD_REQUEST;
            }
        }
        if (nameIs(line, nameEnd, "content-length")) {
            return contentLength(line, valueStart, valueEnd);
        } else if (nameIs(line, nameEnd, "transfer-encoding")) {
            transferCoding = true;
            chunked = lastTokenIs(line, valueStart, valueEnd, "chunked");
        } else if (nameIs(line, nameEnd, "connection")) {
            closeOption |= hasToken(line, valueStart, valueEnd, "close");
            keepAliveOption |= hasToken(line, valueStart, valueEnd, "keep-alive");
        } else if (nameIs(line, nameEnd, "expect")) {
            expectContinue = valueEnd - valueStart == 12 && equalsIgnoreCase(line, valueStart, "100-continue");
        } else if (nameIs(line, nameEnd, "host")) {
            hosts++;
        }
        return null;
    }

    /** After the empty line: what the head as a whole must satisfy. */
    Status complete() {
        // Section 3.2: an HTTP/1.1 request has exactly one Host.
        if (!http10 && hosts != 1) {
            return Status.BAD_REQUEST;
        }
        // Section 6.1: a body in a transfer coding has no length to read it by. Chunked is refused
        // with 411, asking for a Content-Length instead; a coding not understood, with 501.
        if (transferCoding) {
            return chunked ? Status.LENGTH_REQUIRED : Status.NOT_IMPLEMENTED;
        }
        if (contentLength > HttpServer.LONGEST_BODY) {
            return Status.CONTENT_TOO_LARGE;
        }
        return null;
    }

    private Status contentLength(ByteBuffer line, int start, int end) {
        if (start == end) {
            return Status.BAD_REQUEST;
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            byte digit = line.get(i);
            if (!isDigit(digit)) {
                return Status.BAD_REQUEST;
            }
            // Saturates just past the limit: the exact size of a body refused anyway does not matter.
            value = Math.min(value * 10 + (digit - '0'), HttpServer.LONGEST_BODY + 1L);
        }
        // Section 6.3: differing lengths make the body's end unknowable, a request smuggler's tool.
        if (contentLength >= 0 && contentLength != value) {
            return Status.BAD_REQUEST;
        }
        contentLength = value;
        return null;
    }

    private static Method method(ByteBuffer line, int end) {
        if (end == 3 && matches(line, 0, "GET")) {
            return Method.GET;
        }
        if (end == 4 && matches(line, 0, "HEAD")) {
            return Method.HEAD;
        }
        if (end == 4 && matches(line, 0, "POST")) {
            return Method.POST;
        }
        return Method.OTHER;
    }

    /** Whether the path of an origin-form ({@code /echo?x}) or absolute-form target is {@code /echo}. */
    private static boolean isEchoPath(ByteBuffer line, int start, int end) {
        int path = start;
        if (line.get(start) != '/') {
            int scheme = indexOf(line, start, end, ':');
            if (scheme < 0 || end - scheme < 3 || line.get(scheme + 1) != '/' || line.get(scheme + 2) != '/') {
                return false;
            }
            path = indexOf(line, scheme + 3, end, '/');
            if (path < 0) {
                return false;
            }
        }
        int pathEnd = indexOf(line, path, end, '?');
        return (pathEnd < 0 ? end : pathEnd) - path == 5 && matches(line, path, "/echo");
    }

    /** Where the line's content ends, before its CRLF (or bare LF); -1 if a CR or NUL is inside it. */
    private static int contentEnd(ByteBuffer line) {
        int end = line.limit() - 1;
        if (end > 0 && line.get(end - 1) == '\r') {
            end--;
        }
        for (int i = 0; i < end; i++) {
            if (line.get(i) == '\r' || line.get(i) == 0) {
                return -1;
            }
        }
        return end;
    }

    /** The end of the token that starts at {@code start}. */
    private static int token(ByteBuffer line, int start, int end) {
        int i = start;
        while (i < end && line.get(i) >= 0 && TOKEN[line.get(i)]) {
            i++;
        }
        return i;
    }

    private static boolean nameIs(ByteBuffer line, int nameEnd, String lowerCase) {
        return nameEnd == lowerCase.length() && equalsIgnoreCase(line, 0, lowerCase);
    }

    /** Whether the comma-separated list between start and end has {@code lowerCase} among its members. */
    private static boolean hasToken(ByteBuffer line, int start, int end, String lowerCase) {
        int member = start;
        while (member < end) {
            int memberEnd = indexOf(line, member, end, ',');
            if (memberEnd < 0) {
                memberEnd = end;
            }
            if (trimmedEquals(line, member, memberEnd, lowerCase)) {
                return true;
            }
            member = memberEnd + 1;
        }
        return false;
    }

    private static boolean lastTokenIs(ByteBuffer line, int start, int end, String lowerCase) {
        int lastComma = start - 1;
        for (int i = start; i < end; i++) {
            if (line.get(i) == ',') {
                lastComma = i;
            }
        }
        return trimmedEquals(line, lastComma + 1, end, lowerCase);
    }

    private static boolean trimmedEquals(ByteBuffer line, int start, int end, String lowerCase) {
        while (start < end && isWhitespace(line.get(start))) {
            start++;
        }
        while (end > start && isWhitespace(line.get(end - 1))) {
            end--;
        }
        return end - start == lowerCase.length() && equalsIgnoreCase(line, start, lowerCase);
    }

    private static boolean equalsIgnoreCase(ByteBuffer line, int at, String lowerCase) {
        for (int i = 0; i < lowerCase.length(); i++) {
            int b = line.get(at + i);
            if ((b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b) != lowerCase.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(ByteBuffer line, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (line.get(at + i) != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(ByteBuffer line, int start, int end, char c) {
        for (int i = start; i < end; i++) {
            if (line.get(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t';
    }
}
