package dev.glisten.testkit;

import dev.glisten.Server;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Stops, after each test, the servers the test started through it:
 *
 * <pre>{@code
 * @RegisterExtension
 * final RunningServerExtension servers = new RunningServerExtension();
 *
 * @Test
 * void echoes() throws IOException {
 *     TestClient client = servers.start(Server.builder(onInit, handler)).connect();
 *     ...
 * }
 * }</pre>
 *
 * <p>Needs {@code junit-jupiter-api} on the class path, which the kit does not bring.
 */
public final class RunningServerExtension implements AfterEachCallback {

    private final ReentrantLock lock = new ReentrantLock();
    private final List<RunningServer> running = new ArrayList<>();

    /** Makes an extension with no servers yet. */
    public RunningServerExtension() { }

    /**
     * Starts a server as {@link RunningServer#start(Server.Builder)} does, stopped after the test.
     *
     * @param builder the server to run
     * @return the running server
     * @throws IOException if it cannot start
     */
    public RunningServer start(Server.Builder<?, ?> builder) throws IOException {
        return stopAfterTheTest(RunningServer.start(builder));
    }

    /**
     * Starts a server as {@link RunningServer#start(Server.Builder, Duration)} does, its clients'
     * reads bounded by {@code readTimeout}, stopped after the test.
     *
     * @param builder the server to run
     * @param readTimeout the bound on connecting and on each read of its clients; positive
     * @return the running server
     * @throws IOException if it cannot start
     */
    public RunningServer start(Server.Builder<?, ?> builder, Duration readTimeout) throws IOException {
        return stopAfterTheTest(RunningServer.start(builder, readTimeout));
    }

    private RunningServer stopAfterTheTest(RunningServer server) {
        lock.lock();
        try {
            running.add(server);
        } finally {
            lock.unlock();
        }
        return server;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        lock.lock();
        try {
            running.forEach(RunningServer::close);
            running.clear();
        } finally {
            lock.unlock();
        }
    }
}
