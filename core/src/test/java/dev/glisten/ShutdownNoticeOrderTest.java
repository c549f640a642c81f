package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where {@link Message.ShuttingDown} falls among the user messages already queued: after them, up to
 * one mailbox batch (64), so a chat line on its way to a client reaches it before the goodbye, and a
 * mailbox that keeps filling cannot hold the goodbye back. the core's TestConnection (dev.glisten.testing) follows
 * the same rule.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShutdownNoticeOrderTest {

    private final CountDownLatch handling = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final CompletableFuture<ConnectionHandle<String>> handle = new CompletableFuture<>();
    private final CompletableFuture<String> seenAtTheNotice = new CompletableFuture<>();
    private Server server;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.stop();
        }
    }

    /** "wait" blocks until released; user messages are appended; the notice ends the connection. */
    private Next<String> handle(String seen, Message<String> message, Connection<String> connection)
            throws InterruptedException {
        return switch (message) {
            case Message.Packet<String> packet -> {
                handling.countDown();
                assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
                yield Next.continueWith(seen + "[" + packet.text(StandardCharsets.UTF_8) + "]");
            }
            case Message.User<String> user -> Next.continueWith(seen + user.message());
            case Message.EndOfInput<String> end -> Next.stop();
            case Message.ShuttingDown<String> notice -> {
                // Only the first connection's: the listener probes below may open others.
                if (connection.handle().equals(handle.getNow(null))) {
                    seenAtTheNotice.complete(seen);
                }
                yield Next.stop();
            }
        };
    }

    @Test
    void theNoticeComesAfterTheMessagesQueuedBeforeItUpToOneBatch() throws Exception {
        server = Server.<String, String>builder(connection -> {
            handle.complete(connection.handle());
            return "";
        }, this::handle).bind("127.0.0.1").start(0);
        try (Socket client = new Socket("127.0.0.1", server.port())) {
            client.getOutputStream().write("wait".getBytes(StandardCharsets.UTF_8));
            assertThat(handling.await(5, TimeUnit.SECONDS)).isTrue();
            // Queued while the handler is busy: three letters, then more than a batch of dots.
            ConnectionHandle<String> connection = handle.get(5, TimeUnit.SECONDS);
            for (int i = 0; i < 70; i++) {
                assertThat(connection.send(i < 3 ? String.valueOf((char) ('a' + i)) : ".")).isTrue();
            }

            CompletableFuture<DrainReport> report = CompletableFuture.supplyAsync(() -> server.shutdown(Duration.ofSeconds(5)));
            TestSupport.eventually("the listener closes", Duration.ofSeconds(5), this::refusesConnections);
            // The notice is recorded right after the listener closes, by the same call; a moment's
            // grace makes sure it waits before the handler returns.
            Thread.sleep(200);
            release.countDown();

            assertThat(seenAtTheNotice.get(5, TimeUnit.SECONDS)).isEqualTo("[wait]abc" + ".".repeat(61));
            assertThat(report.get(10, TimeUnit.SECONDS).forced()).isZero();
        }
    }

    private boolean refusesConnections() {
        try (Socket probe = new Socket("127.0.0.1", server.port())) {
            return false;
        } catch (ConnectException refused) {
            return true;
        } catch (IOException other) {
            return false;
        }
    }
}
