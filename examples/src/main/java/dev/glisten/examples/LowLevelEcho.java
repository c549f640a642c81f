package dev.glisten.examples;

import dev.glisten.DrainReport;
import dev.glisten.socket.ClientSocket;
import dev.glisten.socket.ListenSocket;
import dev.glisten.socket.SocketOptions;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An echo server built on the low-level layer alone ({@link ListenSocket}, {@link ClientSocket}), as
 * glisten's {@code tcp.listen} / {@code tcp.accept} / {@code tcp.receive} example: it serves clients
 * one by one, echoing each until it disconnects, while later clients wait in the listen backlog.
 * {@link EchoServer} is the same service with a thread per connection.
 *
 * <p>One virtual thread runs the accept loop. {@link #close()} stops it from any thread.
 *
 * <p>There is no graceful shutdown to offer: the client being served, if any, is cut off by
 * {@link #close()} (and counted as forced by {@link #shutdown()}), while {@link EchoServer}'s
 * loop is told and ends the connection itself.
 */
public final class LowLevelEcho implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("dev.glisten.examples.lowlevel");
    private static final int RECEIVE_SIZE = 4096;

    private final ListenSocket listenSocket;
    private final Thread acceptLoop;
    // Guards closed and client, so that a client accepted while close() runs is either closed by
    // close() or never served; otherwise it could keep the loop, and close(), waiting. A lock rather
    // than synchronized: before JDK 24 a virtual thread holding a monitor pins its carrier.
    private final Lock lock = new ReentrantLock();
    private boolean closed;
    private ClientSocket client;

    private LowLevelEcho(ListenSocket listenSocket) {
        this.listenSocket = listenSocket;
        this.acceptLoop = Thread.ofVirtual().name("lowlevel-echo-" + listenSocket.port()).unstarted(this::serveOneByOne);
    }

    /**
     * Listens and starts serving.
     *
     * @param bindAddress the local address to listen on, such as {@code "0.0.0.0"} or {@code "::1"}
     * @param port the TCP port, 0 for any free one (see {@link #address()})
     * @return the running server; {@link #close()} stops it
     * @throws IOException if it cannot listen on that address and port
     */
    public static LowLevelEcho start(String bindAddress, int port) throws IOException {
        LowLevelEcho echo = new LowLevelEcho(
                ListenSocket.listen(port, SocketOptions.builder().bindAddress(bindAddress).build()));
        echo.acceptLoop.start();
        return echo;
    }

    /**
     * The address the listen socket is bound to, with the real port.
     *
     * @return the bound address
     */
    public InetSocketAddress address() {
        return listenSocket.localAddress();
    }

    /**
     * Stops listening, disconnects the client being served, and waits for the accept loop to end.
     * Safe to call more than once.
     */
    @Override
    public void close() {
        shutdown();
    }

    /**
     * Stops at once as {@link #close()} does, and says so in the terms of
     * {@link dev.glisten.Server#shutdown(Duration)}.
     *
     * @return no connection drained gracefully; forced is 1 if a client was being served, else 0
     *     (so 0 on a second call)
     */
    public DrainReport shutdown() {
        long started = System.nanoTime();
        int forced = 0;
        lock.lock();
        try {
            closed = true;
            if (client != null) {
                client.close();
                client = null;
                forced = 1;
            }
        } finally {
            lock.unlock();
        }
        listenSocket.close();
        try {
            acceptLoop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new DrainReport(0, forced, Duration.ofNanos(System.nanoTime() - started));
    }

    /**
     * Blocks until {@link #close()} has stopped the server.
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public void awaitTermination() throws InterruptedException {
        acceptLoop.join();
    }

    private void serveOneByOne() {
        while (true) {
            ClientSocket accepted;
            try {
                accepted = listenSocket.accept();
            } catch (IOException e) {
                if (!listenSocket.isOpen()) {
                    return;
                }
                // Per accept(2), a failure on an open listen socket concerns one connection or is
                // passing (EMFILE); pause so that the latter does not spin.
                LOG.log(Level.WARNING, "accept failed, accepting again: " + e);
                pause();
                continue;
            }
            try (accepted) {
                if (!serving(accepted)) {
                    return;
                }
                echoUntilPeerCloses(accepted);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, () -> "client " + accepted.peerAddress() + " left: " + e);
            } finally {
                serving(null);
            }
        }
    }

    private static void echoUntilPeerCloses(ClientSocket client) throws IOException {
        try {
            while (true) {
                client.send(client.receive(RECEIVE_SIZE));
            }
        } catch (EOFException peerClosed) {
            // The normal end of a conversation: serve the next client.
        }
    }

    /** Records the client being served; {@code false} when {@link #close()} has already begun. */
    private boolean serving(ClientSocket accepted) {
        lock.lock();
        try {
            client = accepted;
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
