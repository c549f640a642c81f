package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Handler;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.testing.TestConnection;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@link HandlerContract} against {@link TestConnection}. */
class TestConnectionContractTest extends HandlerContract {

    private static final InetSocketAddress CLIENT_SOCKET = new InetSocketAddress("127.0.0.1", 50_123);

    @Override
    Peer open(Options options, OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception {
        TestConnection.Builder<String, String> builder = TestConnection.of(onInit, handler).onClose(onClose)
                .peerAddress(CLIENT_SOCKET);
        if (options.idleTimeout() != null) {
            builder.idleTimeout(options.idleTimeout());
        }
        if (options.maxLifetime() != null) {
            builder.maxLifetime(options.maxLifetime());
        }
        if (options.sendTimeout() != null) {
            builder.sendTimeout(options.sendTimeout());
        }
        builder.framing(options.framing()).maxFrameSize(options.maxFrameSize())
                .mailboxCapacity(options.mailboxCapacity());
        if (options.tls()) {
            builder.tls(ALPN, List.of(certificates.client())).serverName(SERVER_NAME);
        }
        if (options.proxiedFrom() != null) {
            builder.proxiedFrom(options.proxiedFrom());
        }
        TestConnection<String, String> connection = builder.start();
        return new Peer() {
            private int read;

            @Override
            public void send(String text) {
                connection.receive(text);
            }

            @Override
            public String read(int n) {
                byte[] sent = connection.sent();
                assertThat(sent.length - read).as("bytes sent and not yet read").isGreaterThanOrEqualTo(n);
                read += n;
                return new String(Arrays.copyOfRange(sent, read - n, read), UTF_8);
            }

            @Override
            public void deliver(String message) {
                connection.deliver(message);
            }

            @Override
            public void closeOutput() {
                connection.peerClosed();
            }

            @Override
            public void resetWhileHandling(String command, CountDownLatch handling, CountDownLatch reset) {
                // All on this thread: the reset comes first, and the handler finds it done.
                connection.failSends(new SocketException("Connection reset by peer"));
                reset.countDown();
                connection.receive(command);
                assertThat(handling.getCount()).as("the handler handled the command").isZero();
            }

            @Override
            public void stopReading() {
                connection.peerStopsReading();
            }

            @Override
            public void pass(Duration time) {
                connection.advance(time);
            }

            @Override
            public SocketAddress address() {
                return CLIENT_SOCKET;
            }

            @Override
            public void settle() {
                assertThat(connection.isOpen()).isFalse();
                assertThat(connection.onCloseCalls()).isEqualTo(1);
            }
        };
    }
}
