package dev.glisten.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Handler;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.testing.TestConnection;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
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
        final class ClientPeer extends MemoryPeer implements Peer {
            ClientPeer() {
                super(builder.start());
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
            public SocketAddress address() {
                return CLIENT_SOCKET;
            }
        }
        return new ClientPeer();
    }
}
