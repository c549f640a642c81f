package dev.glisten.examples.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The head parser alone, fed lines as {@link RequestLines} cuts them (each with its line feed). */
class RequestHeadTest {

    private final RequestHead head = new RequestHead();

    @ParameterizedTest(name = "{0} -> {1}, echo {2}")
    @CsvSource({
        "GET / HTTP/1.1,                      GET,   false",
        "HEAD /x HTTP/1.1,                    HEAD,  false",
        "POST /echo HTTP/1.1,                 POST,  true",
        "POST /echo?x=1 HTTP/1.1,             POST,  true",
        "POST http://localhost:8080/echo HTTP/1.1, POST, true",
        "POST /echo/ HTTP/1.1,                POST,  false",
        "POST /echoes HTTP/1.1,               POST,  false",
        "POST http://localhost HTTP/1.1,      POST,  false",
        "PUT /echo HTTP/1.1,                  OTHER, true",
        "get / HTTP/1.1,                      OTHER, false",
        "OPTIONS * HTTP/1.1,                  OTHER, false",
    })
    void readsTheMethodAndWhetherTheTargetIsEcho(String requestLine, RequestHead.Method method, boolean echo) {
        assertThat(head.requestLine(line(requestLine + "\r\n"))).isNull();

        assertThat(head.started()).isTrue();
        assertThat(head.method()).isEqualTo(method);
        assertThat(head.echoTarget()).isEqualTo(echo);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GARBAGE", "GET /", "GET / ", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", " GET / HTTP/1.1",
        "GET / http/1.1", "GET / HTTP/1", "GET / HTTP/1.10", "GET / HTTP/x.1", "G(T / HTTP/1.1", "GET /\u00e9 HTTP/1.1",
        "GET /a\rb HTTP/1.1", ""})
    void aMalformedRequestLineIsABadRequest(String requestLine) {
        assertThat(head.requestLine(line(requestLine + "\r\n"))).isEqualTo(Status.BAD_REQUEST);
        assertThat(head.started()).isFalse();
    }

    @Test
    void anotherMajorVersionIsNotSupported() {
        assertThat(head.requestLine(line("GET / HTTP/2.0\r\n"))).isEqualTo(Status.VERSION_NOT_SUPPORTED);
    }

    @Test
    void aBareLineFeedEndsALineToo() {
        assertThat(head.requestLine(line("GET / HTTP/1.1\n"))).isNull();
        assertThat(head.field(line("Host: x\n"))).isNull();
        assertThat(RequestHead.isEmpty(line("\n"))).isTrue();
        assertThat(RequestHead.isEmpty(line("\r\n"))).isTrue();
        assertThat(RequestHead.isEmpty(line("x\n"))).isFalse();
        assertThat(head.complete()).isNull();
    }

    @ParameterizedTest(name = "{0} {1} -> keep alive {2}")
    @CsvSource(delimiter = '|', value = {
        "HTTP/1.1 |                        | true",
        "HTTP/1.1 | Connection: close      | false",
        "HTTP/1.1 | connection: Keep-Alive, CLOSE | false",
        "HTTP/1.2 |                        | true",
        "HTTP/1.0 |                        | false",
        "HTTP/1.0 | Connection: keep-alive | true",
        "HTTP/1.0 | Connection: foo ,keep-alive | true",
        "HTTP/1.0 | Connection: keep-alive, close | false",
    })
    void keepsTheConnectionAliveAsRfc9112Says(String version, String field, boolean keepAlive) {
        head.requestLine(line("GET / " + version + "\r\n"));
        head.field(line("Host: x\r\n"));
        if (field != null) {
            assertThat(head.field(line(field + "\r\n"))).isNull();
        }

        assertThat(head.complete()).isNull();
        assertThat(head.keepAlive()).isEqualTo(keepAlive);
        assertThat(head.http10()).isEqualTo(version.equals("HTTP/1.0"));
    }

    @Test
    void readsTheBodysLengthAndAnExpectation() {
        request("POST /echo HTTP/1.1", "Host: x", "Content-Length:  12 ", "Content-Length: 12", "EXPECT: 100-Continue");

        assertThat(head.complete()).isNull();
        assertThat(head.contentLength()).isEqualTo(12);
        assertThat(head.expectsContinue()).isTrue();
    }

    @Test
    void http10HasNoInterimResponse() {
        request("POST /echo HTTP/1.0", "Expect: 100-continue", "Content-Length: 1");

        assertThat(head.complete()).isNull();
        assertThat(head.expectsContinue()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 1x", "Content-Length: -1", "Content-Length:", "Content-Length: 1, 1",
        "Bad Header", "Host : x", " folded: value", "\tfolded: value", ": empty name", "X: a\u0000b", "X: a\u0001b",
        "X: a\rb", "X\u00e9: v"})
    void aMalformedFieldIsABadRequest(String field) {
        head.requestLine(line("GET / HTTP/1.1\r\n"));

        assertThat(head.field(line(field + "\r\n"))).isEqualTo(Status.BAD_REQUEST);
    }

    @Test
    void differingLengthsAreABadRequest() {
        request("POST /echo HTTP/1.1", "Content-Length: 5");

        assertThat(head.field(line("Content-Length: 6\r\n"))).isEqualTo(Status.BAD_REQUEST);
    }

    @Test
    void aFieldValueMayHoldObsoleteTextAndTabs() {
        request("GET / HTTP/1.1", "Host: x");

        assertThat(head.field(line("X-Name: caf\u00e9\tau lait\r\n"))).isNull();
    }

    @Test
    void anHttp11RequestNeedsExactlyOneHost() {
        request("GET / HTTP/1.1");
        assertThat(head.complete()).isEqualTo(Status.BAD_REQUEST);

        head.reset();
        request("GET / HTTP/1.1", "Host: a", "host: b");
        assertThat(head.complete()).isEqualTo(Status.BAD_REQUEST);

        head.reset();
        request("GET / HTTP/1.0");
        assertThat(head.complete()).isNull();
    }

    @Test
    void aChunkedBodyIsRefusedWith411AndAnotherCodingWith501() {
        request("POST /echo HTTP/1.1", "Host: x", "Transfer-Encoding: gzip, Chunked");
        assertThat(head.complete()).isEqualTo(Status.LENGTH_REQUIRED);

        head.reset();
        request("POST /echo HTTP/1.1", "Host: x", "Transfer-Encoding: chunked, gzip");
        assertThat(head.complete()).isEqualTo(Status.NOT_IMPLEMENTED);
    }

    @Test
    void aBodyOverTheLimitIsTooLargeEvenIfItsLengthOverflowsALong() {
        request("POST /echo HTTP/1.1", "Host: x", "Content-Length: " + HttpServer.LONGEST_BODY);
        assertThat(head.complete()).isNull();

        head.reset();
        request("POST /echo HTTP/1.1", "Host: x", "Content-Length: " + (HttpServer.LONGEST_BODY + 1));
        assertThat(head.complete()).isEqualTo(Status.CONTENT_TOO_LARGE);

        head.reset();
        request("POST /echo HTTP/1.1", "Host: x", "Content-Length: 99999999999999999999999999");
        assertThat(head.complete()).isEqualTo(Status.CONTENT_TOO_LARGE);
    }

    @Test
    void aHundredFieldsAreReadAndOneMoreIsTooMany() {
        head.requestLine(line("GET / HTTP/1.1\r\n"));
        for (int i = 0; i < RequestHead.MOST_FIELDS; i++) {
            assertThat(head.field(line("X-" + i + ": v\r\n"))).as("field %d", i).isNull();
        }

        assertThat(head.field(line("X-last: v\r\n"))).isEqualTo(Status.HEADER_FIELDS_TOO_LARGE);
    }

    @Test
    void resetForgetsTheLastRequest() {
        request("POST /echo HTTP/1.0", "Content-Length: 3", "Connection: keep-alive");
        head.reset();

        assertThat(head.started()).isFalse();
        assertThat(head.contentLength()).isZero();
        request("GET / HTTP/1.1", "Host: x");
        assertThat(head.complete()).isNull();
        assertThat(head.keepAlive()).isTrue();
        assertThat(head.echoTarget()).isFalse();
    }

    private void request(String requestLine, String... fields) {
        assertThat(head.requestLine(line(requestLine + "\r\n"))).isNull();
        for (String field : fields) {
            assertThat(head.field(line(field + "\r\n"))).as(field).isNull();
        }
    }

    /** As the server lends it: a read-only view from 0 to the line's length. */
    private static ByteBuffer line(String text) {
        return ByteBuffer.wrap(text.getBytes(ISO_8859_1)).asReadOnlyBuffer();
    }
}
