package dev.glisten.socket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;

/** Both ends of one loopback connection, for tests that need a connected socket and its peer. */
record ConnectedPair(ClientSocket client, ClientSocket server) implements AutoCloseable {

    static final Duration PATIENCE = Duration.ofSeconds(5);

    /** Connects to {@code listener} (which must listen on 127.0.0.1 or ::1) and accepts the connection. */
    static ConnectedPair over(ListenSocket listener) throws IOException {
        String host = listener.localAddress().getAddress().getHostAddress();
        ClientSocket client = ClientSocket.connect(host, listener.port(), PATIENCE);
        try {
            return new ConnectedPair(client, listener.accept(PATIENCE));
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** A pair over a throwaway listener on 127.0.0.1 with {@code options}. */
    static ConnectedPair loopback(SocketOptions options) throws IOException {
        try (ListenSocket listener = ListenSocket.listen(0, options.toBuilder().bindAddress("127.0.0.1").build())) {
            return over(listener);
        }
    }

    static ConnectedPair loopback() throws IOException {
        return loopback(SocketOptions.defaults());
    }

    /** Receives until {@code count} bytes have arrived, each receive bounded by {@link #PATIENCE}. */
    static byte[] receiveExactly(ClientSocket socket, int count) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream(count);
        while (received.size() < count) {
            received.writeBytes(socket.receive(count - received.size(), PATIENCE));
        }
        return received.toByteArray();
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
