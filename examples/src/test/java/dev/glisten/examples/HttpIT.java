package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.glisten.examples.http.Response;
import dev.glisten.testkit.TestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code http} on the runnable jar, spoken to by clients nobody here wrote: curl for the protocol's
 * cases and wrk for load (Debian's packages; {@code .ci/run} installs both), and a raw socket for
 * what those clients never send (pipelining, malformed requests).
 */
class HttpIT {

    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    private static final String GREETING = "Hello from glisten!\n";

    @TempDir
    static Path output;

    private static JarProcess jar;
    private static String base;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "http", "--port", "0", "--bind",
                "127.0.0.1");
        port = jar.awaitListening("127.0.0.1");
        base = "http://127.0.0.1:" + port;
    }

    @AfterAll
    static void stop() {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void curlGetsTheGreetingFromAnyPath() throws Exception {
        Run curl = curl("-sS", "-i", base + "/any/path?q=1");

        assertThat(curl.stdout()).startsWith("HTTP/1.1 200 OK\r\n")
                .contains("\r\nContent-Type: text/plain; charset=utf-8\r\n").endsWith("\r\n\r\n" + GREETING);
    }

    @Test
    void curlPostsABodyToEchoAndGetsItBack() throws Exception {
        byte[] body = new byte[200_000];
        new Random(7).nextBytes(body);
        Path sent = Files.write(output.resolve("body.bin"), body);
        Path received = output.resolve("echoed.bin");

        Run curl = curl("-sS", "--data-binary", "@" + sent, "-o", received.toString(), "-w", "%{http_code}",
                base + "/echo");

        assertThat(curl.stdout()).isEqualTo("200");
        assertThat(Files.readAllBytes(received)).isEqualTo(body);
    }

    @Test
    void curlsTwoUrlsShareOneKeptAliveConnection() throws Exception {
        Run curl = curl("-sS", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                base + "/first", base + "/second");

        assertThat(curl.stdout()).isEqualTo("200 1\n200 0\n");
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        Run curl = curl("-sS", "-H", "Connection: close", "-D", "-", "-o", "/dev/null", "-o", "/dev/null",
                "-w", "connects %{num_connects}\n", base + "/first", base + "/second");

        assertThat(curl.stdout()).contains("\r\nConnection: close\r\n").contains("connects 1\n")
                .doesNotContain("connects 0");
    }

    @Test
    void http10GetsItsAnswerAndTheConnectionCloses() throws Exception {
        Run curl = curl("-sS", "-0", "-D", "-", "-o", "/dev/null", "-o", "/dev/null", "-w",
                "%{http_code} connects %{num_connects}\n", base + "/first", base + "/second");

        assertThat(curl.stdout()).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nConnection: close\r\n")
                .contains("200 connects 1\n").doesNotContain("connects 0");
    }

    @Test
    void otherMethodsAre405() throws Exception {
        Run curl = curl("-sS", "-i", "-X", "DELETE", base + "/echo");

        assertThat(curl.stdout()).startsWith("HTTP/1.1 405 Method Not Allowed\r\n")
                .contains("\r\nAllow: GET, HEAD, POST\r\n");
    }

    @Test
    void aChunkedBodyIsRefusedWith411() throws Exception {
        Run curl = curl("-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "hello", "-o", "/dev/null", "-w",
                "%{http_code}", base + "/echo");

        assertThat(curl.stdout()).isEqualTo("411");
    }

    @Test
    void aBodyOverTheLimitIsRefusedWith413() throws Exception {
        Path large = Files.write(output.resolve("large.bin"), new byte[1024 * 1024 + 1]);

        // curl asks with Expect: 100-continue before a body this large, so it never sends it.
        Run curl = curl("-sS", "--data-binary", "@" + large, "-o", "/dev/null", "-w", "%{http_code}", base + "/echo");

        assertThat(curl.stdout()).isEqualTo("413");
    }

    @Test
    void aFieldOver8KiBIs431AndARequestLineOver8KiBIs400() throws Exception {
        Run longField = curl("-sS", "-H", "X-Long: " + "v".repeat(9000), "-o", "/dev/null", "-w", "%{http_code}",
                base + "/");
        Run longTarget = curl("-sS", "-o", "/dev/null", "-w", "%{http_code}", base + "/" + "p".repeat(9000));

        assertThat(longField.stdout()).isEqualTo("431");
        assertThat(longTarget.stdout()).isEqualTo("400");
    }

    @Test
    void aHundredFieldsAreServedAnd101Are431() throws Exception {
        assertThat(curl(withFields(100)).stdout()).isEqualTo("200");
        assertThat(curl(withFields(101)).stdout()).isEqualTo("431");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (TestClient client = JarProcess.connect(port)) {
            client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo"
                    + "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

            assertThat(Response.read(client).text()).isEqualTo(GREETING);
            assertThat(Response.read(client).text()).isEqualTo("two");
            assertThat(Response.read(client).field("Connection")).isEqualTo("close");
            assertThat(client.awaitClosed()).isZero();
        }
    }

    @Test
    void aMalformedRequestIsAnswered400AndClosed() throws Exception {
        try (TestClient client = JarProcess.connect(port)) {
            client.send("HELLO THERE\r\n\r\n");

            Response response = Response.read(client);
            assertThat(response.statusLine()).isEqualTo("HTTP/1.1 400 Bad Request");
            assertThat(response.field("Connection")).isEqualTo("close");
            assertThat(client.awaitClosed()).isZero();
        }
    }

    @Test
    void wrkFinds100ConnectionsServedWithoutErrors() throws Exception {
        Run wrk = run(tool("wrk"), "-t1", "-c100", "-d3s", base + "/");

        assertThat(wrk.stdout()).as(wrk.stdout()).containsPattern("\\d+ requests in ")
                .doesNotContain("Socket errors").doesNotContain("Non-2xx");
        assertThat(requests(wrk.stdout())).as(wrk.stdout()).isPositive();
    }

    /** curl with a Host field and {@code count - 1} others, its own User-Agent and Accept removed. */
    private static String[] withFields(int count) {
        List<String> args = new ArrayList<>(List.of("-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "User-Agent:",
                "-H", "Accept:"));
        for (int i = 1; i < count; i++) {
            args.addAll(List.of("-H", "X-Field-" + i + ": v"));
        }
        args.add(base + "/");
        return args.toArray(String[]::new);
    }

    private static long requests(String wrkOutput) {
        Matcher count = Pattern.compile("(\\d+) requests in ").matcher(wrkOutput);
        return count.find() ? Long.parseLong(count.group(1)) : 0;
    }

    private static Run curl(String... args) throws Exception {
        Run curl = run(tool("curl"), args);
        assertThat(curl.exit()).as("curl's exit status; stderr: %s", curl.stderr()).isZero();
        return curl;
    }

    /**
     * The tool on the PATH; the test is skipped, as a last resort, where it is missing. Each run is
     * bounded by {@link #TOOL_TIMEOUT}, so a server that never answers fails the test rather than
     * hanging it.
     */
    private static Path tool(String name) {
        Optional<Path> found = List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
        Assumptions.assumeTrue(found.isPresent(), name + " is not installed (.ci/run installs it)");
        return found.get();
    }

    private static Run run(Path tool, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(tool.toString()));
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(output, tool.getFileName() + "-out", ".txt");
        Path stderr = Files.createTempFile(output, tool.getFileName() + "-err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!process.waitFor(TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail(tool.getFileName() + " still running after " + TOOL_TIMEOUT + "; stderr: " + Files.readString(stderr));
        }
        return new Run(process.exitValue(), Files.readString(stdout, UTF_8), Files.readString(stderr, UTF_8));
    }

    private record Run(int exit, String stdout, String stderr) { }
}
