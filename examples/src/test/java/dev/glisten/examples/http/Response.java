package dev.glisten.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.testkit.TestClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 response as a test client reads it off the socket: status line, fields (names
 * lower-cased), and a body of the {@code Content-Length} given. Every read is bounded by the
 * client's read timeout.
 *
 * @param statusLine such as {@code HTTP/1.1 200 OK}
 * @param fields the header fields by lower-case name
 * @param body the body's bytes
 */
public record Response(String statusLine, Map<String, String> fields, byte[] body) {

    /** More than any response of the server has: a bound on the loop, not a limit of HTTP. */
    private static final int MOST_FIELDS = 32;

    /** Reads one response, with its body unless {@code headOnly} (the answer to a HEAD). */
    public static Response read(TestClient client, boolean headOnly) throws IOException {
        String statusLine = client.readLine();
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; ; i++) {
            assertThat(i).as("fields of the response to %s", statusLine).isLessThan(MOST_FIELDS);
            String field = client.readLine();
            if (field.isEmpty()) {
                break;
            }
            int colon = field.indexOf(':');
            assertThat(colon).as("field %s", field).isPositive();
            fields.put(field.substring(0, colon).toLowerCase(Locale.ROOT), field.substring(colon + 1).strip());
        }
        int length = headOnly || statusLine.startsWith("HTTP/1.1 1") ? 0
                : Integer.parseInt(fields.getOrDefault("content-length", "0"));
        return new Response(statusLine, fields, client.readExactly(length));
    }

    /** Reads one response with its body. */
    public static Response read(TestClient client) throws IOException {
        return read(client, false);
    }

    public int status() {
        return Integer.parseInt(statusLine.split(" ")[1]);
    }

    public String field(String name) {
        return fields.get(name.toLowerCase(Locale.ROOT));
    }

    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Response that && statusLine.equals(that.statusLine) && fields.equals(that.fields)
                && java.util.Arrays.equals(body, that.body);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * statusLine.hashCode() + fields.hashCode()) + java.util.Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return statusLine + " " + fields + " " + text();
    }
}
