package dev.glisten.examples.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.DrainReport;
import dev.glisten.testkit.RunningServer;
import dev.glisten.testkit.RunningServerExtension;
import dev.glisten.testkit.TestClient;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP server on loopback, spoken to byte by byte: what the framing does across real reads
 * (heads and bodies split over writes, pipelined requests in one), and every answer the server
 * gives. Clients written by others (curl, wrk) speak to the packaged jar in {@code HttpIT}.
 */
class HttpServerTest {

    private static final String GREETING = "Hello from glisten!\n";
    /** Long enough for the server to read one write before the next arrives. */
    private static final Duration PAUSE = Duration.ofMillis(50);

    @RegisterExtension
    final RunningServerExtension servers = new RunningServerExtension();

    private RunningServer running;

    @BeforeEach
    void start() throws Exception {
        running = servers.start(HttpServer.builder());
    }

    @Test
    void getOfAnyPathIsAGreeting() throws Exception {
        TestClient client = running.connect();

        Response response = get(client, "/any/path?at=all");

        assertThat(response.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(response.field("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(response.field("Content-Length")).isEqualTo("20");
        assertThat(response.field("Date")).matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
        assertThat(response.field("Connection")).isNull();
        assertThat(response.text()).isEqualTo(GREETING);
    }

    @Test
    void headHasGetsFieldsAndNoBody() throws Exception {
        TestClient client = running.connect();
        client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");

        Response head = Response.read(client, true);

        assertThat(head.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(head.field("Content-Length")).isEqualTo("20");
        // Had a body been sent, it would now be read as the next response's status line.
        assertThat(get(client, "/").text()).isEqualTo(GREETING);
    }

    @Test
    void postToEchoSendsTheBodyBack() throws Exception {
        TestClient client = running.connect();
        byte[] body = new byte[100_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }

        Response response = post(client, "/echo", body);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.field("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void postToEchoWithoutABodyIsAnEmptyAnswer() throws Exception {
        TestClient client = running.connect();
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n");

        Response response = Response.read(client);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.field("Content-Length")).isEqualTo("0");
    }

    @Test
    void otherMethodsAndPathsAre405WithWhatIsAllowedAndTheConnectionGoesOn() throws Exception {
        TestClient client = running.connect();

        client.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        Response put = Response.read(client);
        client.send("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
        Response delete = Response.read(client);
        Response postElsewhere = post(client, "/other", "abc".getBytes(ISO_8859_1));

        assertThat(put.status()).isEqualTo(405);
        assertThat(put.field("Allow")).isEqualTo("GET, HEAD, POST");
        assertThat(delete.status()).isEqualTo(405);
        assertThat(delete.field("Allow")).isEqualTo("GET, HEAD");
        assertThat(postElsewhere.status()).isEqualTo(405);
        assertThat(postElsewhere.field("Allow")).isEqualTo("GET, HEAD");
        // The bodies were read past, so the connection is still in step.
        assertThat(get(client, "/").text()).isEqualTo(GREETING);
    }

    @Test
    void aConnectionIsKeptAliveByDefault() throws Exception {
        TestClient client = running.connect();

        for (int i = 0; i < 3; i++) {
            assertThat(get(client, "/" + i).status()).isEqualTo(200);
        }
        assertThat(running.server().stats().acceptedConnections()).isEqualTo(1);
    }

    @Test
    void connectionCloseEndsTheConnectionAfterTheResponse() throws Exception {
        TestClient client = running.connect();
        client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Response response = Response.read(client);

        assertThat(response.field("Connection")).isEqualTo("close");
        assertThat(response.text()).isEqualTo(GREETING);
        assertThat(client.awaitClosed()).isZero();
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive() throws Exception {
        TestClient once = running.connect();
        once.send("GET / HTTP/1.0\r\n\r\n");
        Response closing = Response.read(once);
        assertThat(closing.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(closing.field("Connection")).isEqualTo("close");
        assertThat(once.awaitClosed()).isZero();

        TestClient kept = running.connect();
        kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertThat(Response.read(kept).field("Connection")).isEqualTo("keep-alive");
        kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertThat(Response.read(kept).text()).isEqualTo(GREETING);
    }

    @Test
    void pipelinedRequestsInOneWriteAreAnsweredInOrder() throws Exception {
        TestClient client = running.connect();

        client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"
                + "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfifth"
                + "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertThat(Response.read(client).text()).isEqualTo(GREETING);
        assertThat(Response.read(client).text()).isEqualTo("second");
        assertThat(Response.read(client, true).field("Content-Length")).isEqualTo("20");
        assertThat(Response.read(client).text()).isEqualTo("fifth");
        Response last = Response.read(client);
        assertThat(last.field("Connection")).isEqualTo("close");
        assertThat(last.text()).isEqualTo(GREETING);
        assertThat(client.awaitClosed()).isZero();
    }

    @Test
    void aRequestSplitAcrossWritesAnywhereIsReadWhole() throws Exception {
        TestClient client = running.connect();
        String request = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";

        // Cut in the request line, in a field, between CR and LF, and in the body.
        String[] pieces = {"PO", "ST /echo HTTP/1.1\r\nHo", "st: x\r\nContent-Length: 10\r", "\n\r\n012", "3456789"};
        assertThat(String.join("", pieces)).isEqualTo(request);

        for (String piece : pieces) {
            client.send(piece);
            Thread.sleep(PAUSE.toMillis());
        }

        assertThat(Response.read(client).text()).isEqualTo("0123456789");
    }

    @Test
    void expectContinueGetsAnInterimResponseBeforeTheBodyIsSent() throws Exception {
        TestClient client = running.connect();
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");

        assertThat(client.readLine()).isEqualTo("HTTP/1.1 100 Continue");
        assertThat(client.readLine()).isEmpty();
        client.send("hello");

        assertThat(Response.read(client).text()).isEqualTo("hello");
    }

    @Test
    void strayEmptyLinesBeforeARequestAreIgnored() throws Exception {
        TestClient client = running.connect();
        client.send("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(Response.read(client).text()).isEqualTo(GREETING);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GARBAGE\r\n\r\n",
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX: folded\r\n  over two lines\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    })
    void aMalformedRequestIsAnswered400AndTheConnectionClosed(String request) throws Exception {
        TestClient client = running.connect();
        client.send(request);

        assertRefused(client, "HTTP/1.1 400 Bad Request");
    }

    @Test
    void anotherHttpVersionIs505() throws Exception {
        TestClient client = running.connect();
        client.send("GET / HTTP/2.0\r\nHost: x\r\n\r\n");

        assertRefused(client, "HTTP/1.1 505 HTTP Version Not Supported");
    }

    @Test
    void aRequestLineOf8KiBIsServedAndALongerOneIs400() throws Exception {
        String prefix = "GET /";
        String suffix = " HTTP/1.1\r\n";
        String longest = prefix + "a".repeat(RequestLines.LONGEST_LINE - prefix.length() - suffix.length()) + suffix;
        TestClient client = running.connect();

        client.send(longest + "Host: x\r\n\r\n");
        assertThat(Response.read(client).status()).isEqualTo(200);
        client.send(prefix + "a".repeat(RequestLines.LONGEST_LINE) + suffix + "Host: x\r\n\r\n");

        assertRefused(client, "HTTP/1.1 400 Bad Request");
    }

    @Test
    void aFieldLineOf8KiBIsServedAndALongerOneIs431() throws Exception {
        String longest = "X: " + "v".repeat(RequestLines.LONGEST_LINE - 5) + "\r\n";
        TestClient client = running.connect();

        client.send("GET / HTTP/1.1\r\nHost: x\r\n" + longest + "\r\n");
        assertThat(Response.read(client).status()).isEqualTo(200);
        // Without its end, which the server must not wait for.
        client.send("GET / HTTP/1.1\r\nHost: x\r\nX: " + "v".repeat(RequestLines.LONGEST_LINE));

        assertRefused(client, "HTTP/1.1 431 Request Header Fields Too Large");
    }

    @Test
    void aHundredFieldsAreServedAnd101Are431() throws Exception {
        TestClient client = running.connect();
        client.send(requestWithFields(100));
        assertThat(Response.read(client).status()).isEqualTo(200);

        client.send(requestWithFields(101));

        assertRefused(client, "HTTP/1.1 431 Request Header Fields Too Large");
    }

    @Test
    void aBodyOf1MiBIsEchoedAndALongerOneRefusedWith413BeforeItIsSent() throws Exception {
        TestClient client = running.connect();
        byte[] largest = new byte[HttpServer.LONGEST_BODY];
        Arrays.fill(largest, (byte) 'z');
        assertThat(post(client, "/echo", largest).body()).isEqualTo(largest);

        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + (HttpServer.LONGEST_BODY + 1) + "\r\n\r\n");

        assertRefused(client, "HTTP/1.1 413 Content Too Large");
    }

    @Test
    void aChunkedBodyIsRefusedWith411() throws Exception {
        TestClient client = running.connect();
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        assertRefused(client, "HTTP/1.1 411 Length Required");
    }

    @Test
    void aRefusedConnectionHarmsNoOther() throws Exception {
        TestClient bystander = running.connect();
        assertThat(get(bystander, "/").status()).isEqualTo(200);
        TestClient offender = running.connect();
        offender.send("GET / HTTP/1.1\r\nHost: x\r\nX: " + "v".repeat(20_000) + "\r\n\r\n");

        assertRefused(offender, "HTTP/1.1 431 Request Header Fields Too Large");
        assertThat(get(bystander, "/").status()).isEqualTo(200);
    }

    @Test
    void aGracefulShutdownClosesAnIdleConnectionAndAnswersARequestUnderWayFirst() throws Exception {
        TestClient idle = running.connect();
        assertThat(get(idle, "/").status()).isEqualTo(200);
        TestClient midway = running.connect();
        midway.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nha");
        Thread.sleep(PAUSE.toMillis());

        FutureTask<DrainReport> shutdown = new FutureTask<>(() -> running.server().shutdown(Duration.ofSeconds(5)));
        Thread.ofVirtual().start(shutdown);
        assertThat(idle.awaitClosed()).isZero();
        midway.send("lf");

        // With Connection: close if the notice came before the rest of the body, else the notice
        // finds the connection between requests: either way the request is answered, then it closes.
        assertThat(Response.read(midway).text()).isEqualTo("half");
        assertThat(midway.awaitClosed()).isZero();
        DrainReport report = shutdown.get(10, TimeUnit.SECONDS);
        assertThat(report.graceful()).isEqualTo(2);
        assertThat(report.forced()).isZero();
    }

    @Test
    void aGracefulShutdownReportsEveryConnectionAsEndedByItsLoop() throws Exception {
        TestClient client = running.connect();
        assertThat(get(client, "/").status()).isEqualTo(200);

        DrainReport report = running.server().shutdown(Duration.ofSeconds(5));

        assertThat(report.graceful()).isEqualTo(1);
        assertThat(report.forced()).isZero();
        assertThat(client.awaitClosed()).isZero();
    }

    private static Response get(TestClient client, String path) throws Exception {
        client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        return Response.read(client);
    }

    private static Response post(TestClient client, String path, byte[] body) throws Exception {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(ISO_8859_1));
        request.writeBytes(body);
        client.send(request.toByteArray());
        return Response.read(client);
    }

    /** A GET with Host and then {@code count - 1} more fields. */
    private static String requestWithFields(int count) {
        StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        for (int i = 1; i < count; i++) {
            request.append("X-Field-").append(i).append(": v\r\n");
        }
        return request.append("\r\n").toString();
    }

    private static void assertRefused(TestClient client, String statusLine) throws Exception {
        Response response = Response.read(client);
        assertThat(response.statusLine()).isEqualTo(statusLine);
        assertThat(response.field("Connection")).isEqualTo("close");
        assertThat(response.field("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(client.awaitClosed()).as("bytes after the answer").isZero();
    }
}
