package dev.glisten.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.CloseReason;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.EOFException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/** RunningServer, its clients' bounded reads (plain and TLS), the extension, and the module's boundary. */
class RunningServerTest {

    @RegisterExtension
    final RunningServerExtension servers = new RunningServerExtension();

    @TempDir
    static Path certificateDirectory;
    static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.generate(certificateDirectory);
    }

    private static Server.Builder<String, Void> lineServer() {
        return Server.<String, Void>builder(connection -> "", (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                String text = packet.text(StandardCharsets.UTF_8);
                if (text.startsWith("quit")) {
                    return Next.stop();
                }
                if (!text.startsWith("silence")) {
                    connection.send(("echo: " + text).getBytes(StandardCharsets.UTF_8));
                }
            }
            return Next.continueWith(state);
        });
    }

    @Test
    void servesOnLoopbackAndReadsLinesAndExactCounts() throws Exception {
        RunningServer running = servers.start(lineServer());
        assertThat(running.address().getAddress().isLoopbackAddress()).isTrue();
        TestClient client = running.connect();
        assertThat(client.send("one\r\n").readLine()).isEqualTo("echo: one");
        assertThat(client.send("two").readExactly(9)).isEqualTo("echo: two".getBytes(StandardCharsets.UTF_8));
        client.send("quit");
        assertThat(client.awaitClosed()).isZero();
        assertThatThrownBy(client::readLine).isInstanceOf(EOFException.class);
    }

    @Test
    void everyReadGivesUpAfterTheReadTimeout() throws Exception {
        try (RunningServer running = RunningServer.start(lineServer(), Duration.ofMillis(200))) {
            TestClient client = running.connect();
            client.send("silence");
            long started = System.nanoTime();
            assertThatThrownBy(client::readLine).isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
            assertThatThrownBy(() -> client.readExactly(1)).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void assertsThatNothingArrivesWithinAQuietPeriod() throws Exception {
        TestClient client = servers.start(lineServer()).connect();
        client.send("silence");
        client.assertNothingArrivesWithin(Duration.ofMillis(100));
        client.send("x\n");
        assertThatThrownBy(() -> client.assertNothingArrivesWithin(Duration.ofSeconds(5)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("\"echo: x\\n\"");
        client.send("quit");
        assertThatThrownBy(() -> client.assertNothingArrivesWithin(Duration.ofSeconds(5)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("the server closed the connection");
    }

    @Test
    void aTlsClientChecksTheServerNameOffersAlpnAndStaysBounded() throws Exception {
        RunningServer running = servers.start(lineServer().tls(certificates.serverTls("x-test", "h2")));
        TestClient client = running.connectTls(certificates.clientContext(), "localhost", "h2");
        assertThat(client.applicationProtocol()).contains("h2");
        assertThat(client.tlsSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(client.tlsSession().getPeerPrincipal().getName()).isEqualTo("CN=localhost");
        client.send("silence");
        client.assertNothingArrivesWithin(Duration.ofMillis(100));
        assertThat(client.send("over tls\n").readLine()).isEqualTo("echo: over tls");

        // A certificate issued to another name is refused, as a careful client would.
        assertThatThrownBy(() -> running.connectTls(certificates.clientContext(), "example.com"))
                .isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> running.connect().applicationProtocol()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTlsHandshakeWithAServerThatNeverAnswersTimesOut() throws Exception {
        Server.Builder<Void, Void> silent = Server.builder(connection -> null,
                (state, message, connection) -> Next.continueWith(state));
        try (RunningServer running = RunningServer.start(silent, Duration.ofMillis(300))) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> running.connectTls(certificates.clientContext(), "localhost"))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void theExtensionTakesAReadTimeoutToo() throws Exception {
        TestClient client = servers.start(lineServer(), Duration.ofMillis(200)).connect();
        client.send("silence");
        long started = System.nanoTime();
        assertThatThrownBy(client::readLine).isInstanceOf(SocketTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aTlsClientCanHalfClose() throws Exception {
        CompletableFuture<CloseReason> closed = new CompletableFuture<>();
        RunningServer running = servers.start(lineServer().onClose((state, reason, connection) -> closed.complete(reason))
                .tls(certificates.serverTls()));
        TestClient client = running.connectTls(certificates.clientContext(), "localhost");
        assertThat(client.send("before\n").readLine()).isEqualTo("echo: before");

        // TLS 1.3 half-close: close_notify goes out, and the server sees the end of the stream.
        client.shutdownOutput();

        assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo(new CloseReason.PeerClosed());
        assertThat(client.awaitClosed()).isZero();
    }

    @Test
    void closingStopsTheServer() throws Exception {
        RunningServer running = RunningServer.start(lineServer());
        running.connect();
        running.close();
        assertThat(running.server().isRunning()).isFalse();
    }

    @Test
    void theModuleExportsOnlyItsPackage() {
        ModuleDescriptor descriptor = ModuleFinder.of(Path.of("target/classes")).find("dev.glisten.testkit")
                .orElseThrow().descriptor();
        assertThat(descriptor.exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactly("dev.glisten.testkit");
        assertThat(descriptor.requires()).extracting(ModuleDescriptor.Requires::name)
                .containsExactlyInAnyOrder("java.base", "dev.glisten", "org.junit.jupiter.api");
    }
}
