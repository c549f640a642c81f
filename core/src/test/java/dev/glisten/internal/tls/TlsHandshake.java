package dev.glisten.internal.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * One real TLS conversation on 127.0.0.1: a JDK {@link SSLServerSocket} on port 0 with the
 * server's context, and a JDK client that completes the handshake, sends a byte and reads its
 * echo. Every step is bounded by socket timeouts.
 */
final class TlsHandshake {

    private static final int TIMEOUT_MILLIS = 10_000;

    /**
     * What each side saw.
     *
     * @param protocol the protocol the client negotiated, or {@code null} if it failed
     * @param serverChain the chain the server presented, as the client received it
     * @param clientChain the chain the client presented, as the server received it (empty if none)
     * @param clientFailure what the client threw, or {@code null}
     * @param serverFailure what the server threw, or {@code null}
     */
    record Outcome(String protocol, List<Certificate> serverChain, List<Certificate> clientChain,
            Throwable clientFailure, Throwable serverFailure) {

        Outcome succeeded() {
            if (clientFailure != null || serverFailure != null) {
                AssertionError error = new AssertionError("handshake failed: client " + clientFailure + ", server " + serverFailure);
                if (clientFailure != null) {
                    error.addSuppressed(clientFailure);
                }
                if (serverFailure != null) {
                    error.addSuppressed(serverFailure);
                }
                throw error;
            }
            return this;
        }
    }

    private TlsHandshake() { }

    static Outcome run(SSLContext server, SSLContext client, String protocol, boolean needClientAuth) throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
            listener.setSoTimeout(TIMEOUT_MILLIS);
            listener.setNeedClientAuth(needClientAuth);
            CompletableFuture<List<Certificate>> served = new CompletableFuture<>();
            Thread.ofVirtual().name("tls-test-server").start(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout(TIMEOUT_MILLIS);
                    socket.startHandshake();
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    out.write(in.read());
                    out.flush();
                    served.complete(needClientAuth ? List.of(socket.getSession().getPeerCertificates()) : List.of());
                } catch (Throwable t) {
                    served.completeExceptionally(t);
                }
            });
            String negotiated = null;
            List<Certificate> serverChain = List.of();
            Throwable clientFailure = null;
            try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress(loopback, listener.getLocalPort()), TIMEOUT_MILLIS);
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.setEnabledProtocols(new String[] {protocol});
                socket.startHandshake();
                socket.getOutputStream().write(42);
                socket.getOutputStream().flush();
                int echo = socket.getInputStream().read();
                if (echo != 42) {
                    throw new IOException("expected the echo of 42, read " + echo);
                }
                negotiated = socket.getSession().getProtocol();
                serverChain = List.of(socket.getSession().getPeerCertificates());
            } catch (IOException e) {
                clientFailure = e;
            }
            List<Certificate> clientChain = List.of();
            Throwable serverFailure = null;
            try {
                clientChain = served.get(2L * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                serverFailure = e.getCause();
            } catch (TimeoutException e) {
                serverFailure = e;
            }
            return new Outcome(clientFailure == null ? negotiated : null, serverChain, clientChain, clientFailure, serverFailure);
        }
    }
}
