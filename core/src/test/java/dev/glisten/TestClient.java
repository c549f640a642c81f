package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A blocking client socket for tests. Connecting and every read are bounded by timeouts, so a
 * server that never answers fails the test instead of hanging it.
 */
final class TestClient implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private TestClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code server} over loopback (127.0.0.1 when it listens on a wildcard). */
    static TestClient connect(Server server) throws IOException {
        InetAddress host = server.address().getAddress();
        return connect(new InetSocketAddress(host.isAnyLocalAddress() ? InetAddress.getByName("127.0.0.1") : host,
                server.port()));
    }

    static TestClient connect(InetSocketAddress address) throws IOException {
        return connect(address, socket -> { });
    }

    /** Connects after {@code beforeConnect} has configured the socket (buffer sizes must be set before). */
    static TestClient connect(InetSocketAddress address, Consumer<Socket> beforeConnect) throws IOException {
        assertThat(address.getAddress().isLoopbackAddress()).as("tests talk to loopback only: " + address).isTrue();
        Socket socket = new Socket();
        try {
            beforeConnect.accept(socket);
            socket.connect(address, (int) CONNECT_TIMEOUT.toMillis());
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            return new TestClient(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    Socket socket() {
        return socket;
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void write(String text) throws IOException {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads exactly {@code n} bytes, failing on end of stream or after the read timeout. */
    byte[] read(int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            fail("end of stream after " + bytes.length + " of " + n + " bytes");
        }
        return bytes;
    }

    String readString(int length) throws IOException {
        return new String(read(length), StandardCharsets.UTF_8);
    }

    /** Writes {@code text} and reads back as many bytes (an echo). */
    String roundTrip(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(bytes);
        return new String(read(bytes.length), StandardCharsets.UTF_8);
    }

    /** Asserts the server closed the connection: the next read ends the stream (or is reset). */
    void assertClosedByServer() throws IOException {
        try {
            int next = in.read();
            assertThat(next).as("the server should have closed the connection, but sent a byte").isEqualTo(-1);
        } catch (SocketException reset) {
            // A server closing with unread bytes in its receive buffer sends RST instead of FIN (RFC 2525, 2.17).
            assertThat(reset.getMessage()).contains("reset");
        }
    }

    /** Closes with a reset (RST) instead of the normal FIN, as a crashed peer would: SO_LINGER 0. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
