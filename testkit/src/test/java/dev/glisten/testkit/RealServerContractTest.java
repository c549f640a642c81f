package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.glisten.ConnectionHandle;
import dev.glisten.Handler;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.ProxyProtocol;
import dev.glisten.Server;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** {@link HandlerContract} against a real server on 127.0.0.1, through {@link RunningServer}. */
class RealServerContractTest extends HandlerContract {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private RunningServer running;

    @Override
    Peer open(Options options, OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception {
        CompletableFuture<ConnectionHandle<String>> handle = new CompletableFuture<>();
        Server.Builder<String, String> builder = Server.builder((OnInit<String, String>) connection -> {
            handle.complete(connection.handle());
            return onInit.init(connection);
        }, handler).onClose(onClose);
        builder.framing(options.framing()).maxFrameSize(options.maxFrameSize())
                .mailboxCapacity(options.mailboxCapacity());
        if (options.idleTimeout() != null) {
            builder.idleTimeout(options.idleTimeout());
        }
        if (options.maxLifetime() != null) {
            builder.maxLifetime(options.maxLifetime());
        }
        if (options.sendTimeout() != null) {
            builder.sendTimeout(options.sendTimeout());
        }
        if (options.tls()) {
            builder.tls(certificates.serverTls(ALPN));
        }
        if (options.proxiedFrom() != null) {
            builder.proxyProtocol(ProxyProtocol.required(ProxyProtocol.Version.V1));
        }
        running = RunningServer.start(builder);
        TestClient client = running.connect();
        if (options.proxiedFrom() != null) {
            client.send(proxyHeaderV1(options.proxiedFrom(), running.address()));
        }
        if (options.tls()) {
            client.startTls(certificates.clientContext(), SERVER_NAME, ALPN);
        }
        return new Peer() {
            @Override
            public void send(String text) throws Exception {
                client.send(text);
            }

            @Override
            public String read(int n) throws Exception {
                return client.readText(n);
            }

            @Override
            public void deliver(String message) throws Exception {
                handle.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).send(message);
            }

            @Override
            public void closeOutput() throws Exception {
                client.shutdownOutput();
            }

            @Override
            public void resetWhileHandling(String command, CountDownLatch handling, CountDownLatch reset)
                    throws Exception {
                client.send(command);
                // Only once the handler runs: a reset that reached an idle connection would end it
                // at its next read, with SocketError, before any send.
                if (!handling.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new SocketTimeoutException("the handler did not get \"" + command + "\" within " + WAIT);
                }
                client.reset();
                reset.countDown();
            }

            @Override
            public void stopReading() {
                // Nothing to do: this client reads only when a test asks it to.
            }

            @Override
            public void pass(Duration time) throws InterruptedException {
                Thread.sleep(time);
            }

            @Override
            public SocketAddress address() {
                return client.localAddress();
            }

            @Override
            public void settle() {
                // Stopping the server closes whatever is still open: an ended connection must not
                // see a second onClose.
                running.close();
            }
        };
    }

    /** What HAProxy's {@code send-proxy} writes first, for a client at {@code source}. */
    private static byte[] proxyHeaderV1(InetSocketAddress source, InetSocketAddress destination) {
        return ("PROXY TCP4 " + source.getAddress().getHostAddress() + " " + destination.getAddress().getHostAddress()
                + " " + source.getPort() + " " + destination.getPort() + "\r\n").getBytes(US_ASCII);
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.close();
        }
    }
}
