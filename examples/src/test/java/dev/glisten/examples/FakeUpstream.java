package dev.glisten.examples;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking JDK server on {@code 127.0.0.1} for the proxy to relay to, doing whatever a test
 * needs with each connection (answering only after EOF, never reading, sending on its own). Each
 * accepted socket is served on a thread of its own, its reads bounded by {@link #READ_TIMEOUT};
 * {@link #awaitServed} rethrows what failed there.
 */
final class FakeUpstream implements AutoCloseable {

    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    /** What the server does with one connection; the socket is closed afterwards. */
    @FunctionalInterface
    interface Behaviour {
        void serve(Socket socket) throws Exception;
    }

    private final ServerSocket listener;
    private final Behaviour behaviour;
    private final List<CompletableFuture<Void>> served = new ArrayList<>();
    private final Thread acceptor;

    private FakeUpstream(ServerSocket listener, Behaviour behaviour) {
        this.listener = listener;
        this.behaviour = behaviour;
        this.acceptor = Thread.ofPlatform().daemon().name("fake-upstream").start(this::acceptAll);
    }

    static FakeUpstream start(Behaviour behaviour) throws IOException {
        return new FakeUpstream(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), behaviour);
    }

    int port() {
        return listener.getLocalPort();
    }

    private void acceptAll() {
        while (!listener.isClosed()) {
            Socket socket;
            try {
                socket = listener.accept();
                socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            } catch (IOException closed) {
                return;
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            synchronized (served) {
                served.add(done);
                served.notifyAll();
            }
            Thread.ofVirtual().start(() -> {
                try (socket) {
                    behaviour.serve(socket);
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
        }
    }

    /** Waits until {@code connections} connections have been accepted and served; rethrows a failure. */
    void awaitServed(int connections, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Void>> all;
        synchronized (served) {
            while (served.size() < connections) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("the upstream accepted " + served.size() + " of " + connections + " connections within "
                            + timeout);
                }
                served.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            all = List.copyOf(served);
        }
        for (CompletableFuture<Void> one : all) {
            try {
                one.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            } catch (TimeoutException e) {
                fail("an upstream connection was still being served " + timeout + " later");
            }
        }
    }

    /** How many connections it has accepted. */
    int accepted() {
        synchronized (served) {
            return served.size();
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        try {
            acceptor.join(READ_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
