package dev.glisten.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CI smoke test of the benchmark tools: compiles the C load generator, echo server and
 * {@code syscall_cost} with gcc (no warning allowed), runs {@code syscall_cost} briefly, drives the
 * C server and every Java echo server of the harness for a moment (the C server also under the
 * second pacing, several loops and small batches, with malformed values named), and checks that a
 * server which corrupts one byte is caught. Where OpenSSL's headers are installed it also builds loadgen with
 * {@code --tls} and drives the servers of the TLS point over TLS 1.3. The benchmark itself never
 * runs in CI.
 */
class LoadgenSmokeTest {

    private static final Path C_SOURCES = Path.of("src", "main", "c");
    private static final Path OUT = Path.of("target", "smoke");
    private static Path loadgen;
    private static Path echoEpoll;
    private static Path syscallCost;
    // loadgen built with OpenSSL, as benchmarks/bench builds it; null without libssl-dev.
    private static Path loadgenTls;

    @BeforeAll
    static void compile() throws Exception {
        assumeTrue(run(List.of("gcc", "--version"), 10).exit() == 0, "gcc is not installed");
        Files.createDirectories(OUT);
        loadgen = gcc("loadgen", "loadgen", List.of("-pthread"), List.of());
        echoEpoll = gcc("echo_epoll", "echo_epoll", List.of(), List.of());
        syscallCost = gcc("syscall_cost", "syscall_cost", List.of(), List.of());
        // The probe of benchmarks/harness/build.py: are OpenSSL's headers there?
        Path probe = Files.writeString(OUT.resolve("openssl-probe.c"), "#include <openssl/ssl.h>\n");
        if (run(List.of("gcc", "-E", "-o", "/dev/null", probe.toString()), 30).exit() == 0) {
            loadgenTls = gcc("loadgen", "loadgen-tls", List.of("-pthread", "-DLOADGEN_TLS"), List.of("-lssl", "-lcrypto"));
        }
    }

    @Test
    void echoesAgainstTheCServerWithEveryByteVerified() throws Exception {
        Process server = new ProcessBuilder(echoEpoll.toString(), "--port", "0").redirectErrorStream(true).start();
        try {
            int port = awaitListening(server);
            Result result = loadgen("echo", "--port", port, "-c", 4, "-s", 64, "-w", 0.2, "-d", 1, "--cpu-stat", 0);
            assertThat(result.exit()).as(result.output()).isZero();
            assertThat(result.json()).contains("\"verify\":true", "\"cpu_stat\":[{\"cpu\":0,");
            assertThat(result.number("round_trips")).as(result.output()).isPositive();
            assertThat(result.number("errors")).isZero();
            assertThat(result.number("stalled_connections")).isZero();
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void pacesWithSeveralLoopsAndSmallBatchesAndNamesAMalformedValue() throws Exception {
        Process server = new ProcessBuilder(echoEpoll.toString(), "--port", "0").redirectErrorStream(true).start();
        try {
            int port = awaitListening(server);
            // The harness's "threads" pacing, and the batch flag at its smallest useful size.
            Result result = loadgen("echo", "--port", port, "-c", 8, "-s", 64, "-t", 2, "--batch", 2, "-w", 0.2, "-d", 1);
            assertThat(result.exit()).as(result.output()).isZero();
            assertThat(result.json()).contains("\"threads\":2,\"batch\":2,", "\"voluntary_switches\":");
            assertThat(result.number("round_trips")).as(result.output()).isPositive();
            assertThat(result.number("errors")).isZero();
            assertThat(result.number("events_per_wait")).isPositive().isLessThanOrEqualTo(2);
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }

        for (String malformed : List.of("0", "4k", "lots")) {
            Result rejected = loadgen("echo", "--port", 1, "-c", 1, "--batch", malformed);
            assertThat(rejected.exit()).as(rejected.output()).isEqualTo(2);
            assertThat(rejected.output()).contains("--batch must be a whole number from 1 to", "'" + malformed + "'");
        }
        Result threads = loadgen("echo", "--port", 1, "-t", "two");
        assertThat(threads.exit()).isEqualTo(2);
        assertThat(threads.output()).contains("-t/--threads", "'two'");
        Result notEcho = loadgen("idle", "--port", 1, "--batch", 4);
        assertThat(notEcho.exit()).isEqualTo(2);
        assertThat(notEcho.output()).contains("--batch is for echo mode only");
    }

    @ParameterizedTest
    @ValueSource(strings = {"glisten", "netty-epoll", "netty-nio", "netty-epoll-2", "threads"})
    void everyJavaServerEchoes4KiBMessages(String name) throws Exception {
        try (Main.EchoServer server = start(name)) {
            Result result = loadgen("echo", "--port", server.address().getPort(), "-c", 4, "-s", 4096, "-w", 0.1, "-d", 0.4);
            assertThat(result.exit()).as(result.output()).isZero();
            assertThat(result.number("round_trips")).as(result.output()).isPositive();
            assertThat(result.number("errors")).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"glisten", "netty-epoll"})
    void theServersOfTheTlsPointEchoOverTls13(String name, @TempDir Path directory) throws Exception {
        assumeTrue(loadgenTls != null, "OpenSSL's headers (libssl-dev) are not installed");
        Path cert = directory.resolve("cert.pem");
        Path key = directory.resolve("key.pem");
        // The certificate benchmarks/harness/cli.py makes for the TLS point.
        Result made = run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=localhost"), 30);
        assumeTrue(made.exit() == 0, "openssl cannot make a certificate: " + made.output());

        try (Main.EchoServer server = start(name, "--tls-cert", cert.toString(), "--tls-key", key.toString())) {
            Result result = run(List.of(loadgenTls.toString(), "echo", "--port", String.valueOf(server.address().getPort()),
                    "-c", "4", "-s", "4096", "-w", "0.1", "-d", "0.4", "--tls"), 30);
            assertThat(result.exit()).as(result.output()).isZero();
            assertThat(result.json()).contains("\"tls\":true");
            assertThat(result.number("round_trips")).as(result.output()).isPositive();
            assertThat(result.number("errors")).isZero();
            // The same suite for every row, or the point would compare ciphers.
            assertThat(negotiatedSuite(server.address().getPort(), cert)).isEqualTo("TLS_AES_128_GCM_SHA256");
        }
    }

    /** The suite the server chooses for a client offering the JDK's TLS 1.3 suites, AES-256 first. */
    private static String negotiatedSuite(int port, Path serverCertificate) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(serverCertificate)) {
            trusted.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, trust.getTrustManagers(), null);
        try (SSLSocket client = (SSLSocket) context.getSocketFactory().createSocket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            client.setSoTimeout(5_000);
            client.setEnabledCipherSuites(new String[] {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"});
            client.startHandshake();
            return client.getSession().getCipherSuite();
        }
    }

    @Test
    void syscallCostTimesBothPairsOfCallsAndRejectsAMalformedFlag() throws Exception {
        Result result = run(List.of(syscallCost.toString(), "--iterations", "2000", "--rounds", "1"), 30);
        assertThat(result.exit()).as(result.output()).isZero();
        Matcher summary = Pattern.compile("syscall_cost: 64 B, read/write ([0-9.]+) ns, recv/send ([0-9.]+) ns per iteration")
                .matcher(result.output());
        assertThat(summary.find()).as(result.output()).isTrue();
        assertThat(Double.parseDouble(summary.group(1))).isPositive();
        assertThat(Double.parseDouble(summary.group(2))).isPositive();

        Result malformed = run(List.of(syscallCost.toString(), "--rounds", "many"), 30);
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.output()).contains("--rounds", "'many'");
    }

    @Test
    void reportsAServerThatFlipsAByte() throws Exception {
        try (Server corrupting = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                byte[] bytes = packet.bytes(); // a copy of its own, which the server may change
                bytes[bytes.length / 2] ^= 0x20;
                connection.send(bytes);
            }
            return Next.continueWith(state);
        }).bind("127.0.0.1").start(0)) {
            Result result = loadgen("echo", "--port", corrupting.port(), "-c", 4, "-s", 64, "-w", 0, "-d", 0.5);
            assertThat(result.exit()).as(result.output()).isEqualTo(1);
            assertThat(result.number("errors")).isEqualTo(4);
            assertThat(result.json()).contains("\"verify\":4").contains("of the echo is");
        }
    }

    @Test
    void measuresTheNewConnectionRateAndHoldsIdleConnections() throws Exception {
        try (Main.EchoServer server = start("glisten")) {
            int port = server.address().getPort();
            Result rate = loadgen("connect-rate", "--port", port, "-W", 2, "-w", 0.1, "-d", 0.4);
            assertThat(rate.exit()).as(rate.output()).isZero();
            assertThat(rate.number("connections_done")).isPositive();

            Process idle = new ProcessBuilder(loadgen.toString(), "idle", "--port", String.valueOf(port), "-c", "20").start();
            BufferedReader out = new BufferedReader(new InputStreamReader(idle.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertThat(ready).contains("\"event\":\"ready\"", "\"open\":20", "\"errors\":0");
            idle.getOutputStream().close();
            assertThat(idle.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(idle.exitValue()).isZero();
        }
    }

    private static Main.EchoServer start(String name, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of(name, "--port", "0"));
        args.addAll(List.of(options));
        Main.Options parsed = Main.Options.parse(args);
        return switch (name) {
            case "glisten" -> GlistenEcho.start(parsed);
            case "netty-epoll" -> NettyEcho.start(parsed, NettyEcho.Transport.EPOLL, 1);
            case "netty-epoll-2" -> NettyEcho.start(parsed, NettyEcho.Transport.EPOLL, 2);
            case "netty-nio" -> NettyEcho.start(parsed, NettyEcho.Transport.NIO, 1);
            case "threads" -> ThreadPerConnectionEcho.start(parsed);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Path gcc(String source, String name, List<String> flags, List<String> libraries) throws Exception {
        Path binary = OUT.resolve(name);
        List<String> command = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-Wextra"));
        command.addAll(flags);
        command.addAll(List.of("-o", binary.toString(), C_SOURCES.resolve(source + ".c").toString()));
        command.addAll(libraries);
        Result result = run(command, 60);
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).as("gcc warnings").isBlank();
        return binary;
    }

    private static int awaitListening(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        Matcher m = Pattern.compile("listening on .*:(\\d+)").matcher(line == null ? "" : line);
        assertThat(m.matches()).as("first line: " + line).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static Result loadgen(Object... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(loadgen.toString()));
        for (Object arg : args) {
            command.add(String.valueOf(arg));
        }
        return run(command, 30);
    }

    private static Result run(List<String> command, int timeoutSeconds) throws Exception {
        // Output goes to a file, so waiting is bounded by the timeout even if the process hangs;
        // stdin is empty, since loadgen reads nothing in these modes.
        Path output = Files.createTempFile("loadgen-smoke", ".out");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(output.toFile()).start();
            } catch (IOException e) {
                return new Result(-1, e.toString());
            }
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out: " + command + "\n" + Files.readString(output));
            }
            return new Result(process.exitValue(), Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** A finished process: exit status and its stdout and stderr, interleaved. */
    private record Result(int exit, String output) {

        String json() {
            return output.lines().filter(line -> line.startsWith("{")).reduce((a, b) -> b).orElse("");
        }

        double number(String field) {
            Matcher m = Pattern.compile("\"" + field + "\":(-?[0-9.]+)").matcher(json());
            assertThat(m.find()).as(field + " in " + output).isTrue();
            return Double.parseDouble(m.group(1));
        }
    }
}
