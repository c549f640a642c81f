package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.glisten.examples.http.Response;
import dev.glisten.testkit.TestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The runnable jar's command-line contract, on the java that runs the tests (21 or newer). */
class MainIT {

    /** What a process killed by SIGTERM reports: 128 + 15. */
    private static final int TERMINATED = 143;

    @TempDir
    Path output;

    private JarProcess jar;

    @AfterEach
    void kill() {
        if (jar != null) {
            jar.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"echo", "chat", "http", "lowlevel"})
    void servesOnTheAnnouncedPortUntilSigterm(String example) throws Exception {
        jar = start(example, "--port", "0", "--bind", "127.0.0.1");
        int port = jar.awaitListening("127.0.0.1");

        try (TestClient connected = talkTo(example, port)) {
            assertThat(jar.terminate()).isIn(0, TERMINATED);
            if (example.equals("chat")) {
                assertThat(connected.readLine()).isEqualTo("server shutting down, bye");
            }
            assertThat(connected.awaitClosed()).as("bytes before the close").isZero();
        }

        assertThat(jar.stdout()).isEqualTo("listening on 127.0.0.1:" + port + "\n");
        // echo, chat and http (between requests) end their connections at the notice; lowlevel has
        // no drain and cuts its client off.
        String report = switch (example) {
            case "echo", "http" -> "drained 1 connection gracefully, forced 0";
            // Counting the second client of talkTo if the server had not yet seen it leave.
            case "chat" -> "drained [12] connections? gracefully, forced 0";
            default -> "drained 0 connections gracefully, forced 1";
        };
        assertThat(jar.stderr().lines()).anyMatch(line -> line.matches("glisten-examples: " + report + ", in \\d+ ms"));
        JarProcess.assertNothingListensOn(port);
    }

    @Test
    void announcesAnIpv6AddressInBrackets() throws Exception {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("::1", 0));
        } catch (IOException | IllegalArgumentException noIpv6) {
            assumeTrue(false, "no IPv6 loopback on this machine: " + noIpv6);
        }
        jar = start("echo", "--port", "0", "--bind", "::1");

        int port = jar.awaitListening("[::1]");

        assertThat(port).isPositive();
    }

    @Test
    void anUnknownOptionExitsWith2NamingIt() throws Exception {
        jar = start("echo", "--bogus");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValue("glisten-examples: unknown option --bogus");
        assertThat(jar.stderr()).contains("Usage: java -jar glisten-examples.jar");
        assertThat(jar.stdout()).isEmpty();
    }

    @Test
    void aBadValueExitsWith2NamingTheOptionAndValue() throws Exception {
        jar = start("chat", "--port", "99999");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValueSatisfying(
                line -> assertThat(line).contains("--port", "\"99999\""));
    }

    @Test
    void helpPrintsTheUsageAndExits0() throws Exception {
        jar = start("--help");

        assertThat(jar.awaitExit()).isZero();
        assertThat(jar.stdout()).startsWith("Usage: java -jar glisten-examples.jar <echo|chat|http|proxy|lowlevel>");
        // Scripts wait for that line to know a server is up: the help must never look like one.
        assertThat(jar.stdout().lines()).noneMatch(line -> line.startsWith("listening on"));
    }

    @Test
    void aPortInUseExitsWith1SayingSo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            jar = start("echo", "--port", String.valueOf(taken.getLocalPort()), "--bind", "127.0.0.1");

            assertThat(jar.awaitExit()).isEqualTo(1);
            assertThat(jar.stderr()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"echo", "chat"})
    void servesOnAUnixSocketFileUntilSigterm(String example) throws Exception {
        Path socketFile = output.resolve(example + ".sock");
        jar = start(example, "--unix", socketFile.toString());
        awaitLine(jar, "listening on unix:" + socketFile + "\n");

        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socketFile))) {
            String greeting = example.equals("chat") ? "welcome" : "ping\n";
            if (example.equals("echo")) {
                client.write(ByteBuffer.wrap("ping\n".getBytes(StandardCharsets.UTF_8)));
            }
            ByteBuffer received = ByteBuffer.allocate(256);
            long deadline = System.nanoTime() + JarProcess.STARTUP.toNanos();
            client.configureBlocking(false);
            while (!new String(received.array(), 0, received.position(), StandardCharsets.UTF_8).startsWith(greeting)
                    && System.nanoTime() < deadline) {
                if (client.read(received) < 0) {
                    break;
                }
                Thread.sleep(5);
            }
            assertThat(new String(received.array(), 0, received.position(), StandardCharsets.UTF_8)).startsWith(greeting);
            assertThat(jar.terminate()).isIn(0, TERMINATED);
        }
        assertThat(jar.stdout()).isEqualTo("listening on unix:" + socketFile + "\n");
        assertThat(socketFile).doesNotExist();
    }

    @Test
    void unixWithPortExitsWith2() throws Exception {
        jar = start("echo", "--unix", output.resolve("x.sock").toString(), "--port", "0");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValue(
                "glisten-examples: --unix listens on a socket file instead of TCP; --port does not go with it");
    }

    private static void awaitLine(JarProcess jar, String line) throws Exception {
        long deadline = System.nanoTime() + JarProcess.STARTUP.toNanos();
        while (!jar.stdout().contains("\n") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(jar.stdout()).as("stderr: %s", jar.stderr()).isEqualTo(line);
    }

    private JarProcess start(String... args) throws Exception {
        return JarProcess.start(JarProcess.testJava(), environment -> { }, output, args);
    }

    /** Checks the example answers like itself; returns a client still connected. */
    static TestClient talkTo(String example, int port) throws Exception {
        TestClient client = JarProcess.connect(port);
        try {
            if (example.equals("chat")) {
                assertThat(client.readLine()).startsWith("welcome");
                try (TestClient other = JarProcess.connect(port)) {
                    assertThat(other.readLine()).startsWith("welcome");
                    other.send("hi there\n");
                    assertThat(client.readLine()).isEqualTo("hi there");
                }
            } else if (example.equals("http")) {
                // Kept alive: HTTP/1.1's default.
                client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
                Response response = Response.read(client);
                assertThat(response.statusLine()).isEqualTo("HTTP/1.1 200 OK");
                assertThat(response.text()).isEqualTo("Hello from glisten!\n");
            } else {
                client.send("ping\n");
                assertThat(client.readLine()).isEqualTo("ping");
            }
            return client;
        } catch (Exception | AssertionError e) {
            client.close();
            throw e;
        }
    }
}
