package dev.glisten;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.socket.ClientSocket;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A server on a Unix domain socket: same handler API, and a socket file it manages carefully. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnixSocketServerTest {

    private static final Duration WAIT = TestSupport.WAIT;

    @TempDir
    Path dir;

    private static Server startEcho(Path socketFile) throws IOException {
        return Server.<Void, Void>builder(connection -> null, TestSupport.echo()).start(socketFile);
    }

    private static String roundTrip(ClientSocket client, String text) throws IOException {
        client.send(text.getBytes(UTF_8));
        StringBuilder received = new StringBuilder();
        while (received.length() < text.length()) {
            received.append(new String(client.receive(1024, WAIT), UTF_8));
        }
        return received.toString();
    }

    @Test
    void echoesOverASocketFileWithTheSameHandlerApi() throws Exception {
        Path socketFile = dir.resolve("echo.sock");
        try (Server server = startEcho(socketFile)) {
            assertThat(server.unixPath()).contains(socketFile);
            assertThatThrownBy(server::address).isInstanceOf(IllegalStateException.class).hasMessageContaining("unixPath()");
            assertThatThrownBy(server::port).isInstanceOf(IllegalStateException.class);
            assertThat(server.toString()).contains("unix:" + socketFile);
            try (ClientSocket client = ClientSocket.connect(socketFile, WAIT)) {
                assertThat(roundTrip(client, "hello over a socket file")).isEqualTo("hello over a socket file");
                List<ConnectionInfo<Object>> open = server.connections();
                assertThat(open).hasSize(1);
                assertThat(open.get(0).peerAddress()).isInstanceOf(UnixDomainSocketAddress.class);
                assertThat(open.get(0).localAddress()).isEqualTo(UnixDomainSocketAddress.of(socketFile));
                assertThat(open.get(0).bytesReceived()).isEqualTo(24);
            }
            // A plain JDK client works too.
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socketFile))) {
                channel.write(ByteBuffer.wrap("jdk".getBytes(UTF_8)));
                ByteBuffer back = ByteBuffer.allocate(3);
                for (int i = 0; i < 100 && back.hasRemaining(); i++) {
                    channel.read(back);
                }
                assertThat(new String(back.array(), UTF_8)).isEqualTo("jdk");
            }
            TestSupport.eventually("both connections counted as closed", () -> server.stats().acceptedConnections() == 2
                    && server.connectionCount() == 0);
        }
    }

    @Test
    void tcpOnlySocketOptionsAndThePerAddressLimitDoNotApply() throws Exception {
        Path socketFile = dir.resolve("options.sock");
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .socketOptions(o -> o.noDelay(true).keepAlive(true).linger(Duration.ZERO).receiveBufferSize(64 * 1024))
                .maxConnectionsPerAddress(1)
                .start(socketFile);
                ClientSocket first = ClientSocket.connect(socketFile, WAIT);
                ClientSocket second = ClientSocket.connect(socketFile, WAIT)) {
            assertThat(roundTrip(first, "one")).isEqualTo("one");
            assertThat(roundTrip(second, "two")).isEqualTo("two");
            assertThat(server.stats().rejectedPerAddress()).isZero();
        }
    }

    @Test
    void aStaleSocketFileIsRemovedAtStart() throws Exception {
        Path socketFile = dir.resolve("stale.sock");
        // A server that died without cleaning up leaves its socket file behind.
        ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        gone.bind(UnixDomainSocketAddress.of(socketFile));
        gone.close();
        assertThat(socketFile).exists();
        try (Server server = startEcho(socketFile); ClientSocket client = ClientSocket.connect(socketFile, WAIT)) {
            assertThat(roundTrip(client, "fresh")).isEqualTo("fresh");
        }
    }

    @Test
    void aRegularFileOrDirectoryAtThePathIsRefusedAndKept() throws Exception {
        Path file = Files.writeString(dir.resolve("data.txt"), "precious");
        assertThatThrownBy(() -> startEcho(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("unix:" + file).hasMessageContaining("a regular file, not a socket");
        assertThat(file).hasContent("precious");

        Path directory = Files.createDirectory(dir.resolve("sub"));
        assertThatThrownBy(() -> startEcho(directory)).isInstanceOf(IOException.class)
                .hasMessageContaining("unix:" + directory).hasMessageContaining("a directory, not a socket");
        assertThat(directory).isDirectory();
    }

    @Test
    void aLiveServerAtThePathIsNotStolen() throws Exception {
        Path socketFile = dir.resolve("live.sock");
        try (Server first = startEcho(socketFile)) {
            assertThatThrownBy(() -> startEcho(socketFile)).isInstanceOf(BindException.class)
                    .hasMessageContaining("unix:" + socketFile).hasMessageContaining("address in use");
            try (ClientSocket client = ClientSocket.connect(socketFile, WAIT)) {
                assertThat(roundTrip(client, "still mine")).isEqualTo("still mine");
            }
        }
    }

    @Test
    void theSocketFileIsRemovedAtStopAndWhileSuspended() throws Exception {
        Path socketFile = dir.resolve("lifecycle.sock");
        Server server = startEcho(socketFile);
        try (ClientSocket kept = ClientSocket.connect(socketFile, WAIT)) {
            assertThat(socketFile).exists();
            // Accepted, not just queued in a backlog that suspending discards.
            assertThat(roundTrip(kept, "accepted")).isEqualTo("accepted");
            server.suspend();
            assertThat(socketFile).doesNotExist();
            assertThatThrownBy(() -> ClientSocket.connect(socketFile, WAIT)).isInstanceOf(IOException.class)
                    .hasMessageContaining("unix:" + socketFile);
            assertThat(roundTrip(kept, "open connections stay")).isEqualTo("open connections stay");
            server.resume();
            try (ClientSocket client = ClientSocket.connect(socketFile, WAIT)) {
                assertThat(roundTrip(client, "resumed")).isEqualTo("resumed");
            }
        } finally {
            server.stop();
        }
        assertThat(socketFile).doesNotExist();
        assertThatThrownBy(() -> ClientSocket.connect(socketFile, WAIT)).isInstanceOf(IOException.class);
    }

    @Test
    void stopLeavesAnotherServersSocketFileAlone() throws Exception {
        Path socketFile = dir.resolve("replaced.sock");
        Server server = startEcho(socketFile);
        try {
            // Someone removes the file and binds their own there: ours is unreachable, theirs is not ours.
            Files.delete(socketFile);
            try (ServerSocketChannel theirs = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                theirs.bind(UnixDomainSocketAddress.of(socketFile));
                server.stop();
                assertThat(socketFile).exists();
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void severalListenSocketsAreRefusedForASocketFile() {
        Path socketFile = dir.resolve("reuse.sock");
        assertThatThrownBy(() -> Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .listenSockets(2).start(socketFile))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listenSockets");
        assertThat(socketFile).doesNotExist();
    }

    @Test
    void aMissingDirectoryFailsNamingThePath() {
        Path socketFile = dir.resolve("no/such/dir/x.sock");
        assertThatThrownBy(() -> startEcho(socketFile)).isInstanceOf(IOException.class)
                .hasMessageContaining("unix:" + socketFile);
    }

    @Test
    void tlsWorksOverASocketFile() throws Exception {
        TlsFixture tls = TlsFixture.make(dir.resolve("pki"));
        Path socketFile = dir.resolve("tls.sock");
        try (Server server = Server.<Void, Void>builder(connection -> null, TestSupport.echo())
                .tls(tls.server()).start(socketFile);
                ClientSocket client = ClientSocket.connect(socketFile, WAIT)) {
            EngineOverSocket secured = EngineOverSocket.handshake(tls.client(), client);
            assertThat(secured.roundTrip("secret over a socket file")).isEqualTo("secret over a socket file");
            TestSupport.eventually("the handshake counted", () -> server.stats().tlsHandshakes() == 1);
            assertThat(server.connections()).singleElement()
                    .satisfies(info -> assertThat(info.tls()).isPresent());
        }
    }

    @Test
    void aClientOfAStaleSocketFileIsRefused() throws Exception {
        Path socketFile = dir.resolve("refusing.sock");
        ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        gone.bind(UnixDomainSocketAddress.of(socketFile));
        gone.close();
        assertThatThrownBy(() -> ClientSocket.connect(socketFile, WAIT)).isInstanceOf(ConnectException.class)
                .hasMessageContaining("unix:" + socketFile);
    }

    /** A TLS client driven by hand with an {@link SSLEngine}: the JDK's SSLSocket needs TCP. */
    private static final class EngineOverSocket {
        private final SSLEngine engine;
        private final ClientSocket socket;
        private ByteBuffer netIn = ByteBuffer.allocate(0);
        private final List<Byte> plain = new ArrayList<>();

        private EngineOverSocket(SSLEngine engine, ClientSocket socket) {
            this.engine = engine;
            this.socket = socket;
        }

        static EngineOverSocket handshake(SSLContext context, ClientSocket socket) throws IOException {
            SSLEngine engine = context.createSSLEngine("localhost", 0);
            engine.setUseClientMode(true);
            EngineOverSocket client = new EngineOverSocket(engine, socket);
            engine.beginHandshake();
            for (int step = 0; step < 1000; step++) {
                switch (engine.getHandshakeStatus()) {
                    case NEED_WRAP -> client.wrapAndSend(ByteBuffer.allocate(0));
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> client.unwrapSome();
                    case NEED_TASK -> engine.getDelegatedTask().run();
                    default -> {
                        return client;
                    }
                }
            }
            throw new AssertionError("the handshake did not finish in 1000 steps");
        }

        String roundTrip(String text) throws IOException {
            wrapAndSend(ByteBuffer.wrap(text.getBytes(UTF_8)));
            for (int step = 0; step < 1000 && plain.size() < text.length(); step++) {
                unwrapSome();
            }
            byte[] bytes = new byte[plain.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = plain.get(i);
            }
            return new String(bytes, UTF_8);
        }

        private void wrapAndSend(ByteBuffer app) throws IOException {
            ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            SSLEngineResult result = engine.wrap(app, net);
            assertThat(result.getStatus()).isEqualTo(SSLEngineResult.Status.OK);
            net.flip();
            if (net.hasRemaining()) {
                socket.send(net);
            }
        }

        /** Unwraps one record, receiving more bytes first when there is not a whole one. */
        private void unwrapSome() throws IOException {
            ByteBuffer app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
            SSLEngineResult result = engine.unwrap(netIn, app);
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                    || (result.bytesConsumed() == 0 && result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_UNWRAP)) {
                byte[] more = socket.receive(64 * 1024, WAIT);
                ByteBuffer joined = ByteBuffer.allocate(netIn.remaining() + more.length);
                joined.put(netIn).put(more).flip();
                netIn = joined;
                return;
            }
            app.flip();
            while (app.hasRemaining()) {
                plain.add(app.get());
            }
        }
    }
}
