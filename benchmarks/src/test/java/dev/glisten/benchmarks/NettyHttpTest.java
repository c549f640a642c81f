package dev.glisten.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP point's Netty peer answers real clients: curl (the way a person checks it), and two
 * pipelined requests on one raw socket (what keeps wrk's connections alive). Port 0, loopback.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NettyHttpTest {

    @Test
    void answersCurlWithHelloWorldAndKeepsTheConnection() throws Exception {
        assumeTrue(exitOf(List.of("curl", "--version")) == 0, "curl is not installed");
        try (Main.EchoServer server = start()) {
            String url = "http://127.0.0.1:" + server.address().getPort() + "/";
            // Two URLs in one curl run share a connection when the server keeps it open; -v says so.
            Curl curl = curl(List.of("-sS", "-v", "--max-time", "10", url, url));

            assertThat(curl.exit()).as(curl.stderr()).isZero();
            assertThat(curl.stdout()).isEqualTo(NettyHttp.HELLO + NettyHttp.HELLO);
            assertThat(curl.stderr()).contains("< HTTP/1.1 200 OK", "< content-type: text/plain",
                    "< content-length: 13", "Re-using existing connection");
        }
    }

    @Test
    void answersPipelinedRequestsInOrderAndRefusesOtherMethods() throws Exception {
        try (Main.EchoServer server = start();
             Socket socket = new Socket("127.0.0.1", server.address().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                    + "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

            assertThat(answers.split("HTTP/1\\.1 ", -1)).hasSize(4);
            assertThat(answers).startsWith("HTTP/1.1 200 OK\r\n")
                    .containsSubsequence("Hello, World!", "HTTP/1.1 405 Method Not Allowed\r\n", "allow: GET",
                            "HTTP/1.1 200 OK\r\n", "connection: close", "Hello, World!")
                    .endsWith("Hello, World!");
        }
    }

    private static Main.EchoServer start() throws Exception {
        return NettyHttp.start(Main.Options.parse(List.of("netty-http", "--port", "0", "--bind", "127.0.0.1")));
    }

    private record Curl(int exit, String stdout, String stderr) { }

    private static Curl curl(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl"));
        command.addAll(args);
        Path stdout = Files.createTempFile("curl", ".out");
        Path stderr = Files.createTempFile("curl", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                    .redirectInput(new File("/dev/null")).start();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("curl timed out: " + Files.readString(stderr));
            }
            return new Curl(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    private static int exitOf(List<String> command) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (InputStream ignored = process.getInputStream()) {
                ignored.transferTo(OutputStream.nullOutputStream());
            }
            return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
