package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A plain {@link Socket} client for tests, or a TLS one ({@link #connectTls}). Every read has a
 * timeout, so a reply that never comes fails the test instead of hanging it.
 */
final class TestClient implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private TestClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static TestClient connect(InetSocketAddress address) throws IOException {
        return connect(address.getPort());
    }

    static TestClient connect(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) TIMEOUT.toMillis());
            return new TestClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects to {@code 127.0.0.1:port} and completes a TLS handshake, as a careful client would:
     * trusting only {@code server}'s certificate, asking for the name {@code localhost} (SNI) and
     * checking that the certificate is issued to it. The handshake waits at most {@link #TIMEOUT}.
     */
    static TestClient connectTls(int port, TestCertificate server) throws Exception {
        TestClient plain = connect(port);
        try {
            SSLSocket tls = (SSLSocket) server.clientContext().getSocketFactory()
                    .createSocket(plain.socket, "localhost", port, true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(parameters);
            TestClient client = new TestClient(tls);
            tls.startHandshake();
            return client;
        } catch (Exception e) {
            plain.close();
            throw e;
        }
    }

    /** The TLS version the handshake settled, such as {@code "TLSv1.3"}. */
    String tlsProtocol() {
        return ((SSLSocket) socket).getSession().getProtocol();
    }

    void send(String text) throws IOException {
        send(text.getBytes(UTF_8));
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads exactly {@code count} bytes, each read waiting at most {@link #TIMEOUT}. */
    byte[] receive(int count) throws IOException {
        byte[] bytes = in.readNBytes(count);
        if (bytes.length < count) {
            throw new EOFException("the server closed after " + bytes.length + " of " + count + " bytes");
        }
        return bytes;
    }

    /** Reads up to and including the next {@code "\n"}. */
    String receiveLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int next;
        while ((next = in.read()) != '\n') {
            if (next < 0) {
                throw new EOFException("the server closed in the middle of \"" + line.toString(UTF_8) + "\"");
            }
            line.write(next);
        }
        line.write('\n');
        return line.toString(UTF_8);
    }

    /** Fails if any byte arrives within {@code quiet}. */
    void assertReceivesNothingWithin(Duration quiet) throws IOException {
        socket.setSoTimeout((int) quiet.toMillis());
        try {
            int next = in.read();
            fail(next < 0 ? "the server closed the connection" : "unexpectedly received byte " + next);
        } catch (SocketTimeoutException expected) {
            // Nothing arrived: what we wanted.
        } finally {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
        }
    }

    /**
     * Waits (at most {@link #TIMEOUT}) for a TLS server to send one alert record (RFC 8446 section
     * 5.1: content type 21, a 2-byte version, a 2-byte length, then the alert) and close.
     */
    void assertTlsAlertThenClosedByServer() throws IOException {
        try {
            byte[] header = in.readNBytes(5);
            assertThat(header).as("a TLS record header").hasSize(5);
            assertThat(header[0]).as("the record's content type: alert").isEqualTo((byte) 21);
            int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
            assertThat(in.readNBytes(length)).as("the alert").hasSize(length);
        } catch (SocketException reset) {
            return; // reset before the alert was read: closed all the same
        }
        assertClosedByServer();
    }

    /** Waits (at most {@link #TIMEOUT}) for the server to close the connection, reading nothing else. */
    void assertClosedByServer() throws IOException {
        try {
            assertThat(in.read()).as("a read after the server closed").isEqualTo(-1);
        } catch (SocketException reset) {
            // A close with unread data resets the connection (RFC 1122 4.2.2.13): closed all the same.
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
