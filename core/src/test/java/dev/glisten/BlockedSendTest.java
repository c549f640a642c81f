package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thread blocked sending to a connection whose peer does not read (a proxy writing one side's
 * bytes to the other) is released at once when the connection ends by itself, or when the thread
 * is interrupted, rather than at the send timeout.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlockedSendTest {

    private static final byte[] MUCH = new byte[32 * 1024 * 1024];

    /** A server whose connection stops when its peer sends a byte; its Connection goes to {@code opened}. */
    private static Server start(CompletableFuture<Connection<Void>> opened) throws IOException {
        return Server.<Void, Void>builder(connection -> {
            opened.complete(connection);
            return null;
        }, (state, message, connection) -> Next.stop()).sendTimeout(Duration.ofSeconds(30))
                .bind("127.0.0.1").start(0);
    }

    /** Starts a thread sending MUCH on {@code connection}; completes with what the send threw. */
    private static CompletableFuture<Throwable> sendFrom(Thread.Builder thread, Connection<Void> connection,
            CompletableFuture<Thread> sender) {
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        sender.complete(thread.start(() -> {
            try {
                connection.send(MUCH);
                failed.complete(null);
            } catch (Throwable e) {
                failed.complete(e);
            }
        }));
        return failed;
    }

    @Test
    void aConnectionThatEndsByItselfReleasesASenderBlockedOnIt() throws Exception {
        CompletableFuture<Connection<Void>> opened = new CompletableFuture<>();
        try (Server server = start(opened); Socket peer = new Socket("127.0.0.1", server.port())) {
            Connection<Void> connection = opened.get(10, TimeUnit.SECONDS);
            CompletableFuture<Throwable> failed = sendFrom(Thread.ofVirtual(), connection, new CompletableFuture<>());
            Thread.sleep(300); // the send fills the buffers and waits for room
            assertThat(failed).isNotDone();
            long stopped = System.nanoTime();
            peer.getOutputStream().write(1); // the handler stops: the connection ends on its own thread
            Throwable thrown = failed.get(5, TimeUnit.SECONDS);
            assertThat(thrown).isInstanceOf(IOException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void anInterruptedSenderStopsWaitingAtOnce() throws Exception {
        CompletableFuture<Connection<Void>> opened = new CompletableFuture<>();
        try (Server server = start(opened); Socket peer = new Socket("127.0.0.1", server.port())) {
            Connection<Void> connection = opened.get(10, TimeUnit.SECONDS);
            CompletableFuture<Thread> sender = new CompletableFuture<>();
            CompletableFuture<Throwable> failed = sendFrom(Thread.ofPlatform(), connection, sender);
            Thread.sleep(300);
            assertThat(failed).isNotDone();
            sender.get().interrupt();
            assertThat(failed.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedIOException.class);
        }
    }
}
