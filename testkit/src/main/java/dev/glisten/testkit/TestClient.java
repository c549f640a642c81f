package dev.glisten.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * A blocking TCP client for tests, from {@link RunningServer#connect()}: every read gives up after
 * the read timeout (default 5 seconds) with {@link SocketTimeoutException}, so a server that does
 * not answer fails the test instead of hanging it.
 */
public final class TestClient implements AutoCloseable {

    /** The default bound on each read: long enough for a loaded CI machine, short enough to fail. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final InputStream in;
    private final Duration readTimeout;

    private TestClient(Socket socket, Duration readTimeout) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.readTimeout = readTimeout;
    }

    /**
     * Connects to {@code address}, waiting at most {@code timeout} for the connection.
     *
     * @param address where the server listens
     * @param timeout the bound on connecting and on each read; positive
     * @return the connected client
     * @throws IOException if the connection fails or times out
     */
    public static TestClient connect(InetSocketAddress address, Duration timeout) throws IOException {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(address, Math.toIntExact(timeout.toMillis()));
            return new TestClient(socket, timeout);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Sends {@code bytes}.
     *
     * @param bytes the bytes
     * @return this client
     * @throws IOException if the write fails
     */
    public TestClient send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return this;
    }

    /**
     * Sends {@code text} in UTF-8.
     *
     * @param text the text
     * @return this client
     * @throws IOException if the write fails
     */
    public TestClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads exactly {@code n} bytes, within the read timeout in all.
     *
     * @param n how many, zero or more
     * @return the bytes
     * @throws SocketTimeoutException if they did not all arrive in time
     * @throws EOFException if the server closed first
     * @throws IOException if the read fails
     */
    public byte[] readExactly(int n) throws IOException {
        byte[] bytes = new byte[n];
        long deadline = System.nanoTime() + readTimeout.toNanos();
        for (int at = 0; at < n; ) {
            awaitByte(deadline);
            int read = in.read(bytes, at, n - at);
            if (read < 0) {
                throw new EOFException("the server closed the connection after " + at + " of " + n + " bytes");
            }
            at += read;
        }
        return bytes;
    }

    /**
     * Reads exactly {@code n} bytes and decodes them as UTF-8; see {@link #readExactly(int)}.
     *
     * @param n how many bytes
     * @return the text
     * @throws IOException as {@link #readExactly(int)}
     */
    public String readText(int n) throws IOException {
        return new String(readExactly(n), StandardCharsets.UTF_8);
    }

    /**
     * Reads one line, within the read timeout in all.
     *
     * @return the line in UTF-8, without its {@code \n} or {@code \r\n}
     * @throws SocketTimeoutException if no whole line arrived in time
     * @throws EOFException if the server closed before the end of the line
     * @throws IOException if the read fails
     */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + readTimeout.toNanos();
        while (true) {
            awaitByte(deadline);
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the server closed the connection in the middle of a line: "
                        + line.toString(StandardCharsets.UTF_8));
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    /**
     * Waits, within the read timeout, for the server to close the connection, discarding what
     * arrives meanwhile.
     *
     * @return how many bytes were discarded
     * @throws SocketTimeoutException if the server did not close in time
     * @throws IOException if the read fails (a reset counts as closed)
     */
    public long awaitClosed() throws IOException {
        long deadline = System.nanoTime() + readTimeout.toNanos();
        long discarded = 0;
        byte[] buffer = new byte[8192];
        while (true) {
            awaitByte(deadline);
            int read;
            try {
                read = in.read(buffer);
            } catch (java.net.SocketException reset) {
                return discarded;
            }
            if (read < 0) {
                return discarded;
            }
            discarded += read;
        }
    }

    /**
     * Closes the sending side only (a TCP half-close): the server sees the end of the stream
     * ({@link dev.glisten.CloseReason.PeerClosed}) while this client can still read.
     *
     * @throws IOException if it fails
     */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /**
     * This side's address, as the server sees it as the peer.
     *
     * @return the local address of the socket
     */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Closes the socket. */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    private void awaitByte(long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("nothing arrived within the read timeout of " + readTimeout);
        }
        // SO_TIMEOUT bounds one read(2); the deadline bounds the whole call.
        socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(left).toMillis()));
    }

    @Override
    public String toString() {
        return "TestClient[" + Objects.toString(socket.getLocalSocketAddress()) + " -> "
                + socket.getRemoteSocketAddress() + "]";
    }
}
