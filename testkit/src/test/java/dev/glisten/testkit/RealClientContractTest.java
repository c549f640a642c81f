package dev.glisten.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Client;
import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.Handler;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.Server;
import java.io.ByteArrayOutputStream;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * {@link ClientContract} as a real {@link Client} connected to a real glisten server on
 * 127.0.0.1, through {@link RunningServer}; the server's connection is the test's
 * {@link ClientContract.Peer}, driven from the test's thread.
 */
class RealClientContractTest extends ClientContract {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private RunningServer running;
    private Client<String> client;
    private final ScriptedServer server = new ScriptedServer();

    @Override
    Peer open(Options options, OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception {
        Server.Builder<Void, String> serverBuilder = Server.builder(server::accept, server::handle)
                .onClose(server::closed).allowHalfClose(true);
        Client.Builder<String, String> builder = Client.builder(onInit, handler).onClose(onClose)
                .framing(options.framing()).mailboxCapacity(options.mailboxCapacity())
                .mailboxOverflow(options.mailboxOverflow()).allowHalfClose(options.allowHalfClose())
                .connectTimeout(WAIT);
        if (options.idleTimeout() != null) {
            builder.idleTimeout(options.idleTimeout());
        }
        if (options.sendTimeout() != null) {
            builder.sendTimeout(options.sendTimeout());
        }
        if (options.tls()) {
            serverBuilder.tls(certificates.serverTls(ALPN));
            builder.tls(certificates.clientTls(SERVER_NAME, ALPN));
        }
        running = RunningServer.start(serverBuilder);
        client = builder.connect(running.address());
        Connection<String> accepted = server.accepted.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        return new Peer() {
            @Override
            public void send(String text) throws Exception {
                accepted.send(text.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public String read(int n) throws Exception {
                return server.read(n);
            }

            @Override
            public void awaitEndOfStream() throws Exception {
                String ended = server.inputEnded.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(ended).as("how the server's input ended")
                        .isIn("end of input", "closed: " + new CloseReason.PeerClosed());
                assertThat(server.unread()).as("bytes the server did not read").isEmpty();
            }

            @Override
            public void deliver(String message) {
                client.send(message);
            }

            @Override
            public void finishOutput() throws Exception {
                accepted.shutdownOutput();
            }

            @Override
            public void close() {
                accepted.close();
            }

            @Override
            public void stopReading() throws Exception {
                accepted.handle().send(ScriptedServer.STOP_READING);
                if (!server.stoppedReading.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new SocketTimeoutException("the server did not stop reading within " + WAIT);
                }
            }

            @Override
            public void pass(Duration time) throws InterruptedException {
                Thread.sleep(time);
            }

            @Override
            public SocketAddress serverAddress() {
                return running.address();
            }

            @Override
            public SocketAddress clientAddress() {
                return accepted.peerAddress();
            }

            @Override
            public void settle() {
                // Closing the client and stopping the server end whatever is still open: an
                // ended client must not see a second onClose.
                stop();
            }
        };
    }

    @AfterEach
    void stop() {
        server.resumeReading.countDown();
        if (client != null) {
            client.close();
        }
        if (running != null) {
            running.close();
        }
    }

    /**
     * The server's side of the one connection: it keeps what it reads for {@link #read}, notes how
     * its input ended, and stops reading on {@link #STOP_READING} by waiting in its handler, which
     * is what keeps a glisten connection from reading.
     */
    private static final class ScriptedServer {

        static final String STOP_READING = "stop reading";

        final CompletableFuture<Connection<String>> accepted = new CompletableFuture<>();
        final CompletableFuture<String> inputEnded = new CompletableFuture<>();
        final CountDownLatch stoppedReading = new CountDownLatch(1);
        final CountDownLatch resumeReading = new CountDownLatch(1);
        private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
        // What the connection's thread received and read has not yet returned; test thread only.
        private byte[] pending = new byte[0];

        Void accept(Connection<String> connection) {
            accepted.complete(connection);
            return null;
        }

        Next<Void> handle(Void state, Message<String> message, Connection<String> connection) throws Exception {
            switch (message) {
                case Message.Packet<String> packet -> received.add(packet.bytes());
                case Message.EndOfInput<String> end -> inputEnded.complete("end of input");
                case Message.User<String> user -> {
                    stoppedReading.countDown();
                    resumeReading.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
                case Message.ShuttingDown<String> notice -> { }
            }
            return Next.continueWith(state);
        }

        void closed(Void state, CloseReason reason, Connection<String> connection) {
            inputEnded.complete("closed: " + reason);
        }

        /** Exactly {@code n} bytes, within {@link #WAIT} in all. */
        String read(int n) throws InterruptedException, SocketTimeoutException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            ByteArrayOutputStream gathered = new ByteArrayOutputStream();
            gathered.writeBytes(pending);
            while (gathered.size() < n) {
                byte[] more = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (more == null) {
                    throw new SocketTimeoutException("the server read " + gathered.size() + " of " + n
                            + " bytes within " + WAIT);
                }
                gathered.writeBytes(more);
            }
            byte[] all = gathered.toByteArray();
            pending = Arrays.copyOfRange(all, n, all.length);
            return new String(all, 0, n, StandardCharsets.UTF_8);
        }

        /** What arrived and no {@link #read} took. */
        String unread() {
            StringBuilder rest = new StringBuilder(new String(pending, StandardCharsets.UTF_8));
            received.forEach(bytes -> rest.append(new String(bytes, StandardCharsets.UTF_8)));
            return rest.toString();
        }
    }
}
