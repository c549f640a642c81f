package dev.glisten.internal.accept;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs an echo server in a child JVM whose descriptor limit is tiny, floods it with clients, and
 * checks the acceptors back off instead of failing or spinning, then recover once descriptors free.
 */
class AcceptorBackoffTest {

    private static final int FD_LIMIT = 64;
    private static final int CLIENTS = 80;
    /** What the last client's read gives when it timed out, waiting in the backlog. */
    private static final int WAITED = -2;

    /** The child process: an echo server on 127.0.0.1, port 0, printing its port. */
    public static final class EchoMain {
        public static void main(String[] args) throws Exception {
            try (Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
                if (message instanceof Message.Packet<Void> packet) {
                    connection.send(packet.bytes());
                }
                return Next.continueWith(state);
            }).bind("127.0.0.1").start(0)) {
                System.out.println("port " + server.port());
                System.out.flush();
                server.awaitTermination();
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void backsOffWhenOutOfDescriptorsAndRecoversWhenTheyFree(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("server.log");
        String classpath = Path.of("target/classes").toAbsolutePath() + java.io.File.pathSeparator
                + Path.of("target/test-classes").toAbsolutePath();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process server = new ProcessBuilder("bash", "-c", "ulimit -n " + FD_LIMIT + " && exec \"$0\" -cp \"$1\" \"$2\"",
                java, classpath, EchoMain.class.getName())
                .redirectError(log.toFile())
                .start();
        List<Socket> clients = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("server output; its log: %s", readQuietly(log)).startsWith("port ");
            int port = Integer.parseInt(first.substring("port ".length()));

            // More clients than descriptors: the kernel completes their handshakes (backlog), the
            // server accepts until accept(2) fails with EMFILE.
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(connect(port));
            }
            Socket last = clients.get(CLIENTS - 1);
            last.getOutputStream().write('x');
            int answer;
            try {
                answer = last.getInputStream().read();
            } catch (SocketTimeoutException expected) {
                answer = WAITED;
            }
            assertThat(answer).as("a client beyond the descriptor limit waits in the backlog (-2: it did); the"
                    + " server's log: %s", readQuietly(log)).isEqualTo(WAITED);
            assertThat(server.isAlive()).isTrue();

            // Long enough out of descriptors (with the 0.5 s read above) for the back-off to reach its
            // cap. Capped at a second, it made this client wait up to 0.96 s after the release; at
            // 100 ms, some 30 ms.
            Thread.sleep(950);
            long released = System.nanoTime();
            for (Socket client : clients.subList(0, CLIENTS / 2)) {
                client.close();
            }
            last.setSoTimeout(10_000);
            assertThat(last.getInputStream().read()).as("served once descriptors freed").isEqualTo('x');
            assertThat(Duration.ofNanos(System.nanoTime() - released)).as("from the release to the echo: the"
                    + " acceptor sleeps at most 100 ms at a time")
                    .isLessThan(Duration.ofMillis(600));
            try (Socket fresh = connect(port)) {
                fresh.setSoTimeout(10_000);
                fresh.getOutputStream().write("again".getBytes(StandardCharsets.US_ASCII));
                assertThat(fresh.getInputStream().readNBytes(5)).isEqualTo("again".getBytes(StandardCharsets.US_ASCII));
            }

            // The child's log reaches the file through its own stderr; give the recovery line the
            // same few seconds any other output of the child gets.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String serverLog = readQuietly(log);
            while (!serverLog.contains("accepting connections again") && System.nanoTime() - deadline < 0) {
                Thread.sleep(50);
                serverLog = readQuietly(log);
            }
            assertThat(serverLog).contains("Too many open files").contains("accepting connections again");
            assertThat(count(serverLog, "backing off")).as("logged once per burst, not per attempt").isBetween(1, 3);
        } finally {
            for (Socket client : clients) {
                client.close();
            }
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(500);
        return socket;
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
