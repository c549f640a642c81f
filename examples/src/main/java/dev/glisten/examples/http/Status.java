package dev.glisten.examples.http;

import static java.nio.charset.StandardCharsets.US_ASCII;

/**
 * The response statuses the server sends (RFC 9110 section 15), each with its status line encoded
 * once and, for the errors, a one-line body saying what was wrong.
 */
enum Status {
    CONTINUE(100, "Continue", null),
    OK(200, "OK", null),
    BAD_REQUEST(400, "Bad Request", "malformed request"),
    METHOD_NOT_ALLOWED(405, "Method Not Allowed", "method not allowed: GET or HEAD any path, POST /echo"),
    LENGTH_REQUIRED(411, "Length Required", "send the body with a Content-Length, not chunked"),
    CONTENT_TOO_LARGE(413, "Content Too Large", "body longer than " + HttpServer.LONGEST_BODY + " bytes"),
    HEADER_FIELDS_TOO_LARGE(431, "Request Header Fields Too Large",
            "more than " + RequestHead.MOST_FIELDS + " header fields, or one longer than "
                    + RequestLines.LONGEST_LINE + " bytes"),
    NOT_IMPLEMENTED(501, "Not Implemented", "transfer coding not implemented"),
    VERSION_NOT_SUPPORTED(505, "HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1 are served");

    private final int code;
    private final byte[] statusLine;
    private final byte[] body;

    Status(int code, String reason, String body) {
        this.code = code;
        this.statusLine = ("HTTP/1.1 " + code + " " + reason + "\r\n").getBytes(US_ASCII);
        this.body = body == null ? null : (body + "\n").getBytes(US_ASCII);
    }

    int code() {
        return code;
    }

    /** {@code HTTP/1.1 CODE REASON} and its CRLF. */
    byte[] statusLine() {
        return statusLine;
    }

    /** What an error response says, a line of text; {@code null} for 100 and 200. */
    byte[] body() {
        return body;
    }
}
