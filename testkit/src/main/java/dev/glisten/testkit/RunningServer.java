package dev.glisten.testkit;

import dev.glisten.Server;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;

/**
 * A real server for one test, on a free loopback port, with clients that cannot hang the test:
 *
 * <pre>{@code
 * try (RunningServer running = RunningServer.start(Server.builder(onInit, handler))) {
 *     TestClient client = running.connect();
 *     client.send("ping\n");
 *     assertThat(client.readLine()).isEqualTo("pong");
 * }
 * }</pre>
 *
 * <p>{@link #close()} closes every client it connected, then stops the server. With JUnit 5,
 * {@link RunningServerExtension} does that after each test.
 *
 * <p>It is also the server for testing a {@link dev.glisten.Client}: start one whose handler plays
 * the other side, then {@code Client.builder(onInit, handler).connect(running.address())}. To run
 * a client's handler without sockets, use {@link dev.glisten.testing.TestConnection.Builder#outbound()}.
 */
public final class RunningServer implements AutoCloseable {

    private final Server server;
    private final Duration readTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<TestClient> clients = new ArrayList<>();

    private RunningServer(Server server, Duration readTimeout) {
        this.server = server;
        this.readTimeout = readTimeout;
    }

    /**
     * Binds {@code builder} to {@code 127.0.0.1} and starts it on a free port; clients read with
     * {@link TestClient#DEFAULT_READ_TIMEOUT}.
     *
     * @param builder the server to run; its bind address is replaced
     * @return the running server
     * @throws IOException if it cannot start
     */
    public static RunningServer start(Server.Builder<?, ?> builder) throws IOException {
        return start(builder, TestClient.DEFAULT_READ_TIMEOUT);
    }

    /**
     * As {@link #start(Server.Builder)}, with another bound on every client read.
     *
     * @param builder the server to run; its bind address is replaced
     * @param readTimeout the bound on connecting and on each read of its clients; positive
     * @return the running server
     * @throws IOException if it cannot start
     */
    public static RunningServer start(Server.Builder<?, ?> builder, Duration readTimeout) throws IOException {
        Objects.requireNonNull(builder, "builder");
        if (readTimeout.isZero() || readTimeout.isNegative()) {
            throw new IllegalArgumentException("readTimeout must be positive, got " + readTimeout);
        }
        return new RunningServer(builder.bind("127.0.0.1").start(0), readTimeout);
    }

    /**
     * Connects a new client.
     *
     * @return a client whose reads time out after the read timeout
     * @throws IOException if it cannot connect
     */
    public TestClient connect() throws IOException {
        TestClient client = TestClient.connect(address(), readTimeout);
        lock.lock();
        try {
            clients.add(client);
        } finally {
            lock.unlock();
        }
        return client;
    }

    /**
     * Connects a new client and runs a TLS handshake, for a server built with
     * {@link Server.Builder#tls}; see {@link TestClient#startTls} for the arguments.
     *
     * <pre>{@code
     * TestClient client = running.connectTls(clientContext, "localhost", "h2");
     * assertThat(client.applicationProtocol()).contains("h2");
     * }</pre>
     *
     * @param context the client's trust (and, for mutual TLS, its key and certificate)
     * @param serverName the host name to ask for and check the certificate against; {@code null}
     *     for neither
     * @param applicationProtocols the protocols to offer by ALPN, preferred first
     * @return a client speaking TLS, whose handshake and reads time out after the read timeout
     * @throws IOException if it cannot connect, or the handshake fails or times out
     */
    public TestClient connectTls(SSLContext context, String serverName, String... applicationProtocols)
            throws IOException {
        TestClient client = connect();
        try {
            return client.startTls(context, serverName, applicationProtocols);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * The server, to inspect its stats or connections.
     *
     * @return the server
     */
    public Server server() {
        return server;
    }

    /**
     * Where the server listens.
     *
     * @return {@code 127.0.0.1} and the port it got
     */
    public InetSocketAddress address() {
        return server.address();
    }

    /** Closes the clients, then stops the server (which runs every connection's {@code onClose}). */
    @Override
    public void close() {
        lock.lock();
        try {
            for (TestClient client : clients) {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // Closing a test's socket fails only if it is already broken: nothing to clean.
                }
            }
            clients.clear();
        } finally {
            lock.unlock();
        }
        server.stop();
    }
}
