package dev.glisten.socket;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** listen/accept/receive/send over a Unix domain socket file, with the same calls as over TCP. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnixListenSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void acceptsReceivesAndSends() throws Exception {
        Path socketFile = dir.resolve("low.sock");
        try (ListenSocket listener = ListenSocket.listen(socketFile)) {
            assertThat(listener.unixPath()).contains(socketFile);
            assertThat(listener.toString()).contains("unix:" + socketFile);
            assertThatThrownBy(listener::port).isInstanceOf(IllegalStateException.class);
            try (ClientSocket client = ClientSocket.connect(socketFile, WAIT);
                    ClientSocket accepted = listener.accept(WAIT)) {
                client.send("ping".getBytes(UTF_8));
                assertThat(new String(accepted.receive(4, WAIT), UTF_8)).isEqualTo("ping");
                accepted.send("pong".getBytes(UTF_8));
                assertThat(new String(client.receive(4), UTF_8)).isEqualTo("pong");
                assertThatThrownBy(accepted::peerAddress).isInstanceOf(IllegalStateException.class);
                assertThat(accepted.toString()).contains("unix:" + socketFile);
                TestPki pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
                dev.glisten.Tls tls = dev.glisten.Tls.builder()
                        .certificate(pki.chain(TestPki.KeyKind.EC_P384_SEC1), pki.key(TestPki.KeyKind.EC_P384_SEC1)).build();
                assertThatThrownBy(() -> accepted.startTls(tls)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("Unix domain socket");
                client.shutdownOutput();
                assertThatThrownBy(() -> accepted.receive(10, WAIT)).isInstanceOf(EOFException.class);
            }
        }
        assertThat(socketFile).doesNotExist();
    }

    @Test
    void timedCallsTimeOutAndLeaveTheSocketsUsable() throws Exception {
        Path socketFile = dir.resolve("timed.sock");
        try (ListenSocket listener = ListenSocket.listen(socketFile, SocketOptions.builder().backlog(16).build())) {
            assertThatThrownBy(() -> listener.accept(Duration.ofMillis(50))).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("unix:" + socketFile);
            try (ClientSocket client = ClientSocket.connect(socketFile, WAIT);
                    ClientSocket accepted = listener.accept(WAIT)) {
                assertThatThrownBy(() -> accepted.receive(10, Duration.ofMillis(50)))
                        .isInstanceOf(SocketTimeoutException.class);
                client.send("after".getBytes(UTF_8));
                assertThat(new String(accepted.receive(5, WAIT), UTF_8)).isEqualTo("after");
            }
        }
    }

    @Test
    void aLargeSendWaitsForTheReaderInsteadOfFailing() throws Exception {
        Path socketFile = dir.resolve("large.sock");
        byte[] large = new byte[4 * 1024 * 1024];
        try (ListenSocket listener = ListenSocket.listen(socketFile);
                ClientSocket client = ClientSocket.connect(socketFile, WAIT);
                ClientSocket accepted = listener.accept(WAIT)) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    accepted.send(large);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            long received = 0;
            for (int i = 0; i < 100_000 && received < large.length; i++) {
                received += client.receive(64 * 1024, WAIT).length;
            }
            assertThat(received).isEqualTo(large.length);
            sending.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void closeWakesABlockedAccept() throws Exception {
        Path socketFile = dir.resolve("wake.sock");
        ListenSocket listener = ListenSocket.listen(socketFile);
        CompletableFuture<Throwable> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                listener.accept().close();
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        listener.close();
        assertThat(accepting.get(10, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
        assertThat(socketFile).doesNotExist();
    }

    @Test
    void aLiveListenerOrAFileAtThePathIsNotReplaced() throws Exception {
        Path socketFile = dir.resolve("taken.sock");
        try (ListenSocket first = ListenSocket.listen(socketFile)) {
            assertThatThrownBy(() -> ListenSocket.listen(socketFile)).isInstanceOf(BindException.class)
                    .hasMessageContaining("address in use");
            assertThat(first.isOpen()).isTrue();
        }
        Path file = Files.writeString(dir.resolve("file"), "keep");
        assertThatThrownBy(() -> ListenSocket.listen(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a socket");
        assertThat(file).hasContent("keep");
    }
}
