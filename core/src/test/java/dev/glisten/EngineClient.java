package dev.glisten;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLParameters;

/**
 * A TLS 1.3 client driven by hand with an {@link SSLEngine} over a blocking socket, so a test
 * decides what goes into each TCP write: here, the client's Finished and its first application
 * record together, as a client that does not wait between them may well send them (and as the
 * kernel may deliver them to a server that reads late). A server must decrypt that record at once,
 * not wait for more bytes.
 */
final class EngineClient {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    private final InputStream in;
    private final OutputStream out;
    private final ByteBuffer netIn;
    private final ByteBuffer appIn;

    private EngineClient(SSLContext context, Socket socket) throws IOException {
        engine = context.createSSLEngine(TestTlsClient.HOST, socket.getPort());
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        parameters.setServerNames(List.of(new SNIHostName(TestTlsClient.HOST)));
        engine.setSSLParameters(parameters);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        netIn = ByteBuffer.allocate(4 * engine.getSession().getPacketBufferSize());
        appIn = ByteBuffer.allocate(4 * engine.getSession().getApplicationBufferSize());
    }

    /**
     * Runs the handshake over {@code socket} (connected, with a read timeout) and sends the
     * client's last flight and the first record of {@code firstMessage} in one write.
     */
    static EngineClient handshakeAndSendInOneWrite(SSLContext context, Socket socket, String firstMessage)
            throws IOException {
        EngineClient client = new EngineClient(context, socket);
        ByteArrayOutputStream lastFlight = client.handshakeHoldingTheLastFlight();
        lastFlight.write(client.wrap(firstMessage.getBytes(StandardCharsets.UTF_8)));
        client.out.write(lastFlight.toByteArray());
        client.out.flush();
        return client;
    }

    private ByteArrayOutputStream handshakeHoldingTheLastFlight() throws IOException {
        engine.beginHandshake();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (int steps = 0; steps < 100; steps++) {
            HandshakeStatus status = engine.getHandshakeStatus();
            switch (status) {
                case NEED_TASK -> {
                    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                        task.run();
                    }
                }
                case NEED_WRAP -> {
                    ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
                    SSLEngineResult result = engine.wrap(EMPTY, net);
                    pending.write(net.array(), 0, net.position());
                    if (result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                        return pending; // the client's Finished: held back
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    if (pending.size() > 0) {
                        out.write(pending.toByteArray());
                        out.flush();
                        pending.reset();
                    }
                    unwrapSome();
                }
                default -> fail("unexpected handshake status " + status);
            }
        }
        throw new AssertionError("the handshake did not finish in 100 steps");
    }

    /** Encrypts {@code bytes} into records. */
    byte[] wrap(byte[] bytes) throws IOException {
        ByteBuffer source = ByteBuffer.wrap(bytes);
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        while (source.hasRemaining()) {
            ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(source, net);
            records.write(net.array(), 0, net.position());
        }
        return records.toByteArray();
    }

    /** Reads and decrypts until {@code n} application bytes have arrived. */
    byte[] read(int n) throws IOException {
        for (int steps = 0; appIn.position() < n; steps++) {
            if (steps > 1_000) {
                fail("no " + n + " bytes after 1,000 reads");
            }
            unwrapSome();
            HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_TASK) {
                for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                    task.run();
                }
            }
        }
        appIn.flip();
        byte[] bytes = new byte[n];
        appIn.get(bytes);
        appIn.compact();
        return bytes;
    }

    /** Unwraps one record, reading from the socket first if none has fully arrived. */
    private void unwrapSome() throws IOException {
        for (;;) {
            netIn.flip();
            SSLEngineResult result = engine.unwrap(netIn, appIn);
            netIn.compact();
            switch (result.getStatus()) {
                case OK -> {
                    return;
                }
                case BUFFER_UNDERFLOW -> {
                    byte[] chunk = new byte[netIn.remaining()];
                    int read = in.read(chunk);
                    if (read < 0) {
                        throw new IOException("the server closed the connection");
                    }
                    netIn.put(chunk, 0, read);
                }
                default -> throw new IOException("unexpected unwrap status " + result.getStatus());
            }
        }
    }
}
