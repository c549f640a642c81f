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
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * The JDK's TLS client ({@link SSLSocket}) talking to a server on 127.0.0.1. Connecting, the
 * handshake and every read are bounded by {@link TestClient}'s timeouts, so a server that never
 * answers fails the test instead of hanging it.
 *
 * <p>The client asks for the server name (SNI) {@code localhost}. A test changes that, the
 * protocols or the ALPN list through the {@link SSLParameters} it is given.
 */
final class TestTlsClient implements AutoCloseable {

    static final String HOST = "localhost";

    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;

    private TestTlsClient(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code server} and completes the handshake with the default parameters. */
    static TestTlsClient connect(SSLContext context, Server server) throws IOException {
        return connect(context, server, parameters -> { });
    }

    /** Connects to {@code server} and completes the handshake after {@code configure} has set the parameters. */
    static TestTlsClient connect(SSLContext context, Server server, Consumer<SSLParameters> configure)
            throws IOException {
        Socket plain = plain(server);
        try {
            return over(context, plain, configure);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** A plain TCP socket connected to {@code server} on 127.0.0.1, with the read timeout set. */
    static Socket plain(Server server) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), server.port()),
                    (int) TestClient.CONNECT_TIMEOUT.toMillis());
            plain.setSoTimeout((int) TestClient.READ_TIMEOUT.toMillis());
            return plain;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** Layers TLS over a connected socket (as after STARTTLS) and completes the handshake. */
    static TestTlsClient over(SSLContext context, Socket plain, Consumer<SSLParameters> configure) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, HOST, plain.getPort(), true);
        SSLParameters parameters = socket.getSSLParameters();
        // The JDK sends no server name for a host without a dot: ask for it explicitly.
        parameters.setServerNames(List.of(new SNIHostName(HOST)));
        configure.accept(parameters);
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int) TestClient.READ_TIMEOUT.toMillis());
        socket.startHandshake();
        return new TestTlsClient(socket);
    }

    /**
     * Tries a handshake and an echo that the server must refuse; returns what the client saw. In
     * TLS 1.3 the client finishes its side before the server has judged the client's certificate,
     * so a refusal may only show on the first read: both places count.
     */
    static IOException refused(SSLContext context, Server server, Consumer<SSLParameters> configure) {
        try (TestTlsClient client = connect(context, server, configure)) {
            client.write("refuse me".getBytes(StandardCharsets.UTF_8));
            int read = client.in.read();
            if (read != -1) {
                fail("the server accepted the client and answered a byte, " + read);
            }
            return new IOException("the server closed the connection without an alert");
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * Reads a plain socket until the server closes it; returns what the server sent before (a TLS
     * alert, for instance), failing after the read timeout or beyond 100,000 bytes.
     */
    static byte[] readUntilClosed(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] all = new byte[0];
        byte[] chunk = new byte[4096];
        try {
            for (int n; (n = in.read(chunk)) >= 0; ) {
                all = Arrays.copyOf(all, all.length + n);
                System.arraycopy(chunk, 0, all, all.length - n, n);
                assertThat(all.length).as("bytes from a server that should close").isLessThan(100_000);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection within the read timeout", e);
        } catch (SocketException reset) {
            // A close with unread input sends RST (RFC 2525, 2.17): closed all the same.
        }
        return all;
    }

    SSLSocket socket() {
        return socket;
    }

    SSLSession session() {
        return socket.getSession();
    }

    /** The certificate the server presented. */
    X509Certificate serverCertificate() throws IOException {
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads exactly {@code n} bytes, failing on end of stream or after the read timeout. */
    byte[] read(int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            fail("end of stream after " + bytes.length + " of " + n + " bytes");
        }
        return bytes;
    }

    /** Reads up to and excluding the next {@code \n}, at most 1,000 bytes. */
    String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int next; (next = in.read()) != '\n'; ) {
            if (next < 0 || line.length() > 1_000) {
                fail("no line end after \"" + line + "\"");
            }
            line.append((char) next);
        }
        return line.toString();
    }

    /** Writes {@code text} and reads back as many bytes (an echo). */
    String roundTrip(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(bytes);
        return new String(read(bytes.length), StandardCharsets.UTF_8);
    }

    /** Asserts the server closed the connection: the next read ends the stream or fails. */
    void assertClosedByServer() throws IOException {
        try {
            assertThat(in.read()).as("the server should have closed the connection, but sent a byte").isEqualTo(-1);
        } catch (SSLException | SocketException closed) {
            // An alert or a reset is a close too.
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
