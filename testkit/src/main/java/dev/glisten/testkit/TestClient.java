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
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A blocking TCP client for tests, from {@link RunningServer#connect()} or
 * {@link RunningServer#connectTls}: every read gives up after the read timeout (default 5 seconds)
 * with {@link SocketTimeoutException}, so a server that does not answer fails the test instead of
 * hanging it. {@link #startTls} upgrades it in place, for STARTTLS or after a PROXY protocol header.
 */
public final class TestClient implements AutoCloseable {

    /** The default bound on each read: long enough for a loaded CI machine, short enough to fail. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);

    private final Socket tcp;
    // Replaced, once, by startTls: the same connection with TLS layered over it.
    private Socket socket;
    private InputStream in;
    private final Duration readTimeout;

    private TestClient(Socket socket, Duration readTimeout) throws IOException {
        this.tcp = socket;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.readTimeout = readTimeout;
    }

    /**
     * Connects to {@code address} with the {@link #DEFAULT_READ_TIMEOUT}: for a server that
     * {@link RunningServer} did not start (another process, the low-level socket API).
     *
     * @param address where the server listens
     * @return the connected client
     * @throws IOException if the connection fails or times out
     */
    public static TestClient connect(InetSocketAddress address) throws IOException {
        return connect(address, DEFAULT_READ_TIMEOUT);
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
     * Fails unless nothing arrives, and the server does not close, within {@code quiet}: the check
     * for a message that must not be sent (a line not yet complete, a broadcast to its own sender).
     * Returns as soon as the quiet period is over, so a shorter one makes a faster test and a
     * weaker check.
     *
     * @param quiet how long to listen; positive
     * @throws AssertionError naming what arrived, if anything did or the server closed
     * @throws IOException if the read fails
     */
    public void assertNothingArrivesWithin(Duration quiet) throws IOException {
        if (quiet.isZero() || quiet.isNegative()) {
            throw new IllegalArgumentException("quiet must be positive, got " + quiet);
        }
        byte[] arrived = new byte[256];
        int read;
        socket.setSoTimeout((int) Math.max(1, quiet.toMillis()));
        try {
            read = in.read(arrived);
        } catch (SocketTimeoutException expected) {
            return;
        }
        if (read < 0) {
            throw new AssertionError("expected nothing within " + quiet + ", but the server closed the connection");
        }
        throw new AssertionError("expected nothing within " + quiet + ", but received " + read + " bytes: "
                + describe(Arrays.copyOf(arrived, read)));
    }

    /** UTF-8 text when the bytes are printable, else their values: whichever a failure report can show. */
    private static String describe(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        boolean printable = text.chars().allMatch(c -> c == '\n' || c == '\r' || c == '\t' || !Character.isISOControl(c))
                && !text.contains("\uFFFD");
        return printable ? '"' + text.replace("\r", "\\r").replace("\n", "\\n") + '"' : Arrays.toString(bytes);
    }

    /**
     * Runs a TLS handshake over this connection and speaks TLS from then on: the client of a
     * STARTTLS protocol once the server agreed, or after {@link #send} wrote a PROXY protocol
     * header that must precede the handshake. The handshake must complete within the read timeout.
     *
     * @param context the client's trust (and, for mutual TLS, its key and certificate)
     * @param serverName the host name to ask for (SNI), which the server's certificate must be
     *     issued to, as a browser checks it; {@code null} to send no name and check none
     * @param applicationProtocols the protocols to offer by ALPN, preferred first; none to offer none
     * @return this client
     * @throws SocketTimeoutException if the handshake did not complete within the read timeout
     * @throws javax.net.ssl.SSLException if it failed (the client distrusts the certificate, the
     *     server refused the client's, no protocol in common)
     * @throws IOException if it failed otherwise
     * @throws IllegalStateException if the client already speaks TLS
     */
    public TestClient startTls(SSLContext context, String serverName, String... applicationProtocols)
            throws IOException {
        Objects.requireNonNull(context, "context");
        if (socket instanceof SSLSocket) {
            throw new IllegalStateException("the client already speaks TLS");
        }
        InetSocketAddress server = (InetSocketAddress) socket.getRemoteSocketAddress();
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket,
                serverName != null ? serverName : server.getHostString(), server.getPort(), true);
        SSLParameters parameters = tls.getSSLParameters();
        if (serverName != null) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        // Set explicitly: the JDK sends no SNI for a name without a dot, such as "localhost", and
        // RFC 6066 allows none for an IP address.
        parameters.setServerNames(serverName == null || isIpLiteral(serverName) ? List.of()
                : List.of(new SNIHostName(serverName)));
        parameters.setApplicationProtocols(applicationProtocols.clone());
        tls.setSSLParameters(parameters);
        handshake(tls);
        socket = tls;
        in = tls.getInputStream();
        return this;
    }

    private static boolean isIpLiteral(String name) {
        return name.contains(":") || name.matches("[0-9.]+");
    }

    /**
     * Runs the handshake, bounded in all: SO_TIMEOUT bounds each read of it, and a watchdog closes
     * the socket at the deadline so that a server dribbling bytes cannot stretch it either.
     */
    private void handshake(SSLSocket tls) throws IOException {
        tls.setSoTimeout((int) Math.max(1, readTimeout.toMillis()));
        CountDownLatch finished = new CountDownLatch(1);
        AtomicBoolean late = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().name("TestClient TLS handshake watchdog").start(() -> {
            try {
                if (!finished.await(readTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    late.set(true);
                    tls.close();
                }
            } catch (InterruptedException | IOException ignored) {
                // Nobody interrupts it; a close that fails leaves the handshake to SO_TIMEOUT.
            }
        });
        try {
            tls.startHandshake();
        } catch (IOException e) {
            tls.close();
            throw late.get() ? handshakeTimedOut(e) : e;
        } finally {
            finished.countDown();
            try {
                watchdog.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (late.get()) {
            throw handshakeTimedOut(null);
        }
    }

    private SocketTimeoutException handshakeTimedOut(IOException cause) {
        SocketTimeoutException timedOut = new SocketTimeoutException(
                "the TLS handshake did not complete within the read timeout of " + readTimeout);
        timedOut.initCause(cause);
        return timedOut;
    }

    /**
     * What the TLS handshake settled, as this client sees it.
     *
     * @return the session: protocol, cipher suite, the server's certificates
     * @throws IllegalStateException if the client speaks plain TCP
     */
    public SSLSession tlsSession() {
        if (!(socket instanceof SSLSocket tls)) {
            throw new IllegalStateException("the client speaks plain TCP; see startTls");
        }
        return tls.getSession();
    }

    /**
     * The protocol ALPN settled.
     *
     * @return the protocol; empty if none was negotiated
     * @throws IllegalStateException if the client speaks plain TCP
     */
    public Optional<String> applicationProtocol() {
        if (!(socket instanceof SSLSocket tls)) {
            throw new IllegalStateException("the client speaks plain TCP; see startTls");
        }
        String chosen = tls.getApplicationProtocol();
        return chosen == null || chosen.isEmpty() ? Optional.empty() : Optional.of(chosen);
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

    /**
     * Closes the connection with a reset (an RST rather than a FIN, by {@code SO_LINGER} 0), as a
     * crashed peer or a dropped mobile link does: the server's next send to it fails
     * ({@link dev.glisten.CloseReason.SendFailed}), and a read in progress fails
     * ({@link dev.glisten.CloseReason.SocketError}).
     *
     * @throws IOException if it fails
     */
    public void reset() throws IOException {
        // The TCP socket itself: closing a TLS one would first send close_notify, a polite goodbye.
        tcp.setSoLinger(true, 0);
        tcp.close();
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
