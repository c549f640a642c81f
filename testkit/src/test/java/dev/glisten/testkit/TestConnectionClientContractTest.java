package dev.glisten.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Handler;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.testing.TestConnection;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/** {@link ClientContract} against {@link TestConnection}, made outbound. */
class TestConnectionClientContractTest extends ClientContract {

    /** An outbound test connection's peer, the server, by default. */
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 4_000);
    /** An outbound test connection's own address, by default. */
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 50_000);

    @Override
    Peer open(Options options, OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception {
        TestConnection.Builder<String, String> builder = TestConnection.of(onInit, handler).onClose(onClose)
                .outbound().framing(options.framing()).mailboxCapacity(options.mailboxCapacity())
                .mailboxOverflow(options.mailboxOverflow()).allowHalfClose(options.allowHalfClose());
        if (options.idleTimeout() != null) {
            builder.idleTimeout(options.idleTimeout());
        }
        if (options.sendTimeout() != null) {
            builder.sendTimeout(options.sendTimeout());
        }
        if (options.tls()) {
            builder.tls(ALPN, List.of(certificates.server())).serverName(SERVER_NAME);
        }
        final class ServerPeer extends MemoryPeer implements Peer {
            ServerPeer() {
                super(builder.start());
            }

            @Override
            public void awaitEndOfStream() {
                assertThat(connection.outputShut() || !connection.isOpen()).as("the client's stream ended").isTrue();
                assertThat(unread()).as("bytes the server did not read").isZero();
            }

            @Override
            public void finishOutput() {
                connection.peerClosed();
            }

            @Override
            public void close() {
                // Until it sends, a client cannot tell a close from a half-close: either ends what it reads.
                connection.peerClosed();
            }

            @Override
            public SocketAddress serverAddress() {
                return SERVER;
            }

            @Override
            public SocketAddress clientAddress() {
                return CLIENT;
            }
        }
        return new ServerPeer();
    }
}
