package dev.glisten;

import static dev.glisten.TestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK Flight Recorder events match what happened: one {@code dev.glisten.ConnectionOpened} and
 * one {@code dev.glisten.ConnectionClosed} per connection (with its reason, bytes and how long it was
 * open), one {@code dev.glisten.TlsHandshake} per handshake, well or not, and a
 * {@code dev.glisten.AcceptError} per failed accept (provoked in a child JVM with few descriptors).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FlightRecorderEventsTest {

    static final List<String> EVENTS = List.of("dev.glisten.ConnectionOpened", "dev.glisten.ConnectionClosed",
            "dev.glisten.TlsHandshake", "dev.glisten.AcceptError", "dev.glisten.MailboxOverflow");

    @TempDir
    Path dir;

    static Recording startRecording() {
        Recording recording = new Recording();
        for (String event : EVENTS) {
            recording.enable(event).withoutStackTrace();
        }
        recording.start();
        return recording;
    }

    /** Stops {@code recording}, dumps it to a file and reads the glisten events back. */
    private List<RecordedEvent> stopAndRead(Recording recording) throws IOException {
        try (recording) {
            recording.stop();
            Path file = dir.resolve("recording.jfr");
            recording.dump(file);
            return RecordingFile.readAllEvents(file).stream()
                    .filter(event -> EVENTS.contains(event.getEventType().getName())).toList();
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(event -> event.getEventType().getName().equals(name)).toList();
    }

    private static Handler<Void, Void> echoOrFail() {
        return (state, message, connection) -> {
            byte[] bytes = ((Message.Packet<Void>) message).bytes();
            if (new String(bytes, StandardCharsets.US_ASCII).equals("boom")) {
                throw new IllegalStateException("boom (thrown on purpose by the test)");
            }
            connection.send(bytes);
            return Next.continueWith(state);
        };
    }

    @Test
    void aMailboxOverflowIsRecordedAndTheCloseCarriesItsDetail() throws Exception {
        Recording recording = startRecording();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<ConnectionHandle<String>> handle =
                new java.util.concurrent.CompletableFuture<>();
        String peer;
        try (Server server = Server.<Void, String>builder(connection -> {
            handle.complete(connection.handle());
            return null;
        }, (state, message, connection) -> {
            if (message instanceof Message.User<String> user && user.message().equals("busy")) {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            if (message instanceof Message.Packet<String> packet) {
                return Next.stopAbnormal("told to stop: " + packet.text(StandardCharsets.US_ASCII));
            }
            return Next.continueWith(state);
        }).mailboxCapacity(1).bind("127.0.0.1").start(0);
                TestClient overflowed = TestClient.connect(server)) {
            peer = String.valueOf(overflowed.socket().getLocalSocketAddress());
            ConnectionHandle<String> to = handle.get(10, java.util.concurrent.TimeUnit.SECONDS);
            to.send("busy");
            eventually("the loop busy with the first message", () -> to.backlog() == 0);
            to.send("fills the mailbox");
            assertThat(to.send("one too many")).isFalse();
            release.countDown();
            overflowed.assertClosedByServer();
            try (TestClient stopped = TestClient.connect(server)) {
                stopped.write("now");
                stopped.assertClosedByServer();
            }
            eventually("both closes counted", () -> server.stats().closedTotal() == 2);
        } finally {
            release.countDown();
        }
        List<RecordedEvent> events = stopAndRead(recording);
        RecordedEvent overflow = named(events, "dev.glisten.MailboxOverflow").get(0);
        assertThat(overflow.getString("peer")).isEqualTo(peer);
        assertThat(overflow.getInt("capacity")).isEqualTo(1);
        assertThat(overflow.getString("policy")).isEqualTo("CLOSE");
        assertThat(named(events, "dev.glisten.ConnectionClosed")).extracting(event -> event.getString("detail"))
                .containsExactlyInAnyOrder("mailbox capacity 1", "told to stop: now");
    }

    @Test
    void connectionEventsCarryTheReasonBytesAndLifetime() throws Exception {
        Duration idle = Duration.ofMillis(300);
        Duration held = Duration.ofMillis(150);
        Recording recording = startRecording();
        String local;
        String leaverPeer;
        String idlerPeer;
        String failingPeer;
        Duration leaverAtMost;
        try (Server server = Server.<Void, Void>builder(connection -> null, echoOrFail())
                .idleTimeout(idle).bind("127.0.0.1").start(0)) {
            local = String.valueOf(server.address());

            long leaverStarted = System.nanoTime();
            try (TestClient leaver = TestClient.connect(server)) {
                leaverPeer = String.valueOf(leaver.socket().getLocalSocketAddress());
                assertThat(leaver.roundTrip("hello")).isEqualTo("hello");
                assertThat(leaver.roundTrip("again, longer")).isEqualTo("again, longer");
                Thread.sleep(held);
            }
            eventually("the leaver's connection ended", () -> server.stats().closedTotal() == 1);
            leaverAtMost = Duration.ofNanos(System.nanoTime() - leaverStarted);

            try (TestClient idler = TestClient.connect(server); TestClient failing = TestClient.connect(server)) {
                idlerPeer = String.valueOf(idler.socket().getLocalSocketAddress());
                failingPeer = String.valueOf(failing.socket().getLocalSocketAddress());
                assertThat(idler.roundTrip("hi")).isEqualTo("hi");
                failing.write("boom");
                failing.assertClosedByServer();
                idler.assertClosedByServer();
            }
            eventually("every connection ended", () -> server.stats().closedTotal() == 3);
            assertThat(server.stats().acceptErrors()).isZero();
        }
        List<RecordedEvent> events = stopAndRead(recording);

        List<RecordedEvent> opened = named(events, "dev.glisten.ConnectionOpened");
        assertThat(opened).extracting(event -> event.getString("peer"))
                .containsExactlyInAnyOrder(leaverPeer, idlerPeer, failingPeer);
        assertThat(opened).allSatisfy(event -> assertThat(event.getString("local")).isEqualTo(local));

        Map<String, RecordedEvent> closed = named(events, "dev.glisten.ConnectionClosed").stream()
                .collect(Collectors.toMap(event -> event.getString("peer"), Function.identity()));
        assertThat(closed).containsOnlyKeys(leaverPeer, idlerPeer, failingPeer);

        RecordedEvent leaver = closed.get(leaverPeer);
        assertThat(leaver.getString("reason")).isEqualTo("PeerClosed");
        assertThat(leaver.getBoolean("normal")).isTrue();
        assertThat(leaver.getLong("bytesReceived")).isEqualTo(18);
        assertThat(leaver.getLong("bytesSent")).isEqualTo(18);
        assertThat(leaver.getDuration("openFor")).isBetween(held, leaverAtMost);

        RecordedEvent idler = closed.get(idlerPeer);
        assertThat(idler.getString("reason")).isEqualTo("IdleTimedOut");
        assertThat(idler.getBoolean("normal")).isTrue();
        assertThat(idler.getLong("bytesReceived")).isEqualTo(2);
        assertThat(idler.getLong("bytesSent")).isEqualTo(2);
        assertThat(idler.getDuration("openFor")).isBetween(idle, idle.plusSeconds(3));

        RecordedEvent failing = closed.get(failingPeer);
        assertThat(failing.getString("reason")).isEqualTo("HandlerFailed");
        assertThat(failing.getBoolean("normal")).isFalse();
        assertThat(failing.getLong("bytesReceived")).isEqualTo(4);
        assertThat(failing.getLong("bytesSent")).isZero();
        assertThat(failing.getDuration("openFor")).isPositive().isLessThan(Duration.ofSeconds(3));

        assertThat(named(events, "dev.glisten.TlsHandshake")).as("no TLS here").isEmpty();
        assertThat(named(events, "dev.glisten.AcceptError")).as("no failed accepts here").isEmpty();
    }

    @Test
    void tlsHandshakeEventsTellSuccessFromFailure() throws Exception {
        TlsFixture tls = TlsFixture.make(dir.resolve("pki"));
        Recording recording = startRecording();
        String goodPeer;
        String badPeer;
        String protocol;
        String cipherSuite;
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .tls(tls.server()).bind("127.0.0.1").start(0)) {
            try (SSLSocket good = tls.connect(server)) {
                goodPeer = String.valueOf(good.getLocalSocketAddress());
                protocol = good.getSession().getProtocol();
                cipherSuite = good.getSession().getCipherSuite();
                good.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                good.getOutputStream().flush();
                assertThat(good.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
            }
            try (TestClient bad = TestClient.connect(server)) {
                badPeer = String.valueOf(bad.socket().getLocalSocketAddress());
                bad.write("not a client hello\r\n");
                bad.socket().getInputStream().readAllBytes();
            }
            eventually("both connections ended", () -> server.stats().closedTotal() == 2);
            assertThat(server.stats().tlsHandshakes()).isEqualTo(1);
            assertThat(server.stats().tlsHandshakeFailures()).isEqualTo(1);
        }
        List<RecordedEvent> events = stopAndRead(recording);

        Map<String, RecordedEvent> handshakes = named(events, "dev.glisten.TlsHandshake").stream()
                .collect(Collectors.toMap(event -> event.getString("peer"), Function.identity()));
        assertThat(handshakes).containsOnlyKeys(goodPeer, badPeer);
        RecordedEvent good = handshakes.get(goodPeer);
        assertThat(good.getBoolean("succeeded")).isTrue();
        assertThat(good.getString("protocol")).isEqualTo(protocol);
        assertThat(good.getString("cipherSuite")).isEqualTo(cipherSuite);
        assertThat(good.getString("failure")).isNull();
        assertThat(good.getDuration()).isPositive().isLessThan(Duration.ofSeconds(10));
        RecordedEvent bad = handshakes.get(badPeer);
        assertThat(bad.getBoolean("succeeded")).isFalse();
        assertThat(bad.getString("failure")).contains("SSL");
        assertThat(bad.getString("protocol")).isNull();

        Map<String, RecordedEvent> closed = named(events, "dev.glisten.ConnectionClosed").stream()
                .collect(Collectors.toMap(event -> event.getString("peer"), Function.identity()));
        assertThat(closed.get(goodPeer).getString("reason")).isEqualTo("PeerClosed");
        assertThat(closed.get(goodPeer).getLong("bytesReceived")).as("plain text bytes").isEqualTo(5);
        assertThat(closed.get(badPeer).getString("reason")).isEqualTo("TlsHandshakeFailed");
        assertThat(closed.get(badPeer).getBoolean("normal")).isFalse();
        assertThat(named(events, "dev.glisten.ConnectionOpened")).hasSize(2);
    }

    /**
     * The child process: records the glisten events, serves echo on 127.0.0.1 port 0 and prints the
     * port; on a line on its standard input, dumps the recording to {@code args[0]}, prints how many
     * accepts failed, and exits.
     */
    public static final class AcceptErrorsMain {
        public static void main(String[] args) throws Exception {
            Recording recording = startRecording();
            PrintStream out = System.out;
            Handler<Void, Void> echo = (state, message, connection) -> {
                connection.send(((Message.Packet<Void>) message).bytes());
                return Next.continueWith(state);
            };
            try (Server server = Server.<Void, Void>builder(connection -> null, echo).bind("127.0.0.1").start(0)) {
                out.println("port " + server.port());
                out.flush();
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                recording.stop();
                recording.dump(Path.of(args[0]));
                out.println("acceptErrors " + server.stats().acceptErrors());
                out.flush();
            }
        }
    }

    @Test
    void acceptErrorsAreRecordedWhenDescriptorsRunOut() throws Exception {
        Path file = dir.resolve("child.jfr");
        Path log = dir.resolve("child.log");
        String classpath = Path.of("target/classes").toAbsolutePath() + java.io.File.pathSeparator
                + Path.of("target/test-classes").toAbsolutePath();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder("bash", "-c", "ulimit -n 96 && exec \"$0\" -cp \"$1\" \"$2\" \"$3\"",
                java, classpath, AcceptErrorsMain.class.getName(), file.toString())
                .redirectError(log.toFile())
                .start();
        List<Socket> clients = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("child output; its log: %s", readQuietly(log)).startsWith("port ");
            int port = Integer.parseInt(first.substring("port ".length()));
            // More clients than the child has descriptors: it accepts until accept(2) fails with EMFILE.
            for (int i = 0; i < 120; i++) {
                Socket client = new Socket();
                clients.add(client);
                client.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            }
            Socket last = clients.get(clients.size() - 1);
            last.setSoTimeout(500);
            last.getOutputStream().write('x');
            assertThat(readOrTimeout(last)).as("the last client waits in the backlog").isEqualTo(-2);
            for (Socket client : clients) {
                client.close();
            }
            OutputStream in = child.getOutputStream();
            in.write("dump\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            String second = out.readLine();
            assertThat(second).as("child output; its log: %s", readQuietly(log)).startsWith("acceptErrors ");
            long acceptErrors = Long.parseLong(second.substring("acceptErrors ".length()));
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(acceptErrors).as("failed accepts the child counted").isPositive();

            List<RecordedEvent> errors = RecordingFile.readAllEvents(file).stream()
                    .filter(event -> event.getEventType().getName().equals("dev.glisten.AcceptError")).toList();
            assertThat(errors).as("one event per failed accept").hasSize((int) acceptErrors);
            assertThat(errors).allSatisfy(event -> {
                assertThat(event.getString("error")).contains("Too many open files");
                assertThat(event.getBoolean("exhaustion")).isTrue();
            });
        } finally {
            for (Socket client : clients) {
                client.close();
            }
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The next byte, -1 at the end of the stream, or -2 if none came within the socket's timeout. */
    private static int readOrTimeout(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (java.net.SocketTimeoutException e) {
            return -2;
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
