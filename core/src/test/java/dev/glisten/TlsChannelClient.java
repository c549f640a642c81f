package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.glisten.internal.Steps;
import dev.glisten.internal.io.SocketWatcher;
import dev.glisten.internal.io.WatchedSocket;
import dev.glisten.internal.tls.RealClientTls;
import dev.glisten.internal.tls.TlsChannel;
import dev.glisten.socket.SocketOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * glisten's client TLS ({@link TlsChannel#client}) over a connection to 127.0.0.1, driven the way a
 * connection's own thread drives it: a {@link WatchedSocket} with a {@link SocketWatcher} of its
 * own, and the thread that connects as its owner, which reads without blocking and parks between
 * reads until the watcher sees bytes. Every wait is bounded by {@link #WAIT}.
 */
final class TlsChannelClient implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);

    private final SocketWatcher watcher;
    private final Thread watching;
    private final WatchedSocket socket;
    private final TlsChannel channel;
    private final ClientTls tls;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    private TlsChannelClient(SocketWatcher watcher, Thread watching, WatchedSocket socket, ClientTls tls, String host,
            int port) {
        this.watcher = watcher;
        this.watching = watching;
        this.socket = socket;
        this.tls = tls;
        this.channel = TlsChannel.client(socket, (RealClientTls) tls, host, port, WAIT);
    }

    /**
     * Connects to {@code port} on 127.0.0.1, with TLS set up for {@code host} (what a user would
     * have connected to); the handshake waits for {@link #handshake()}.
     */
    static TlsChannelClient connect(ClientTls tls, String host, int port) throws IOException {
        SocketChannel channel = SocketChannel.open();
        SocketWatcher watcher = new SocketWatcher();
        Thread watching = Thread.ofPlatform().daemon().name("test-watcher").start(() -> {
            while (watcher.step() != Steps.Outcome.DONE) {
                // Each step selects, and wakes the owner when its socket is ready.
            }
        });
        try {
            channel.socket().connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), (int) WAIT.toMillis());
            WatchedSocket socket = new WatchedSocket(channel, watcher);
            socket.start(SocketOptions.defaults());
            return new TlsChannelClient(watcher, watching, socket, tls, host, port);
        } catch (IOException | RuntimeException e) {
            channel.close();
            watcher.stop();
            throw e;
        }
    }

    /** Runs the handshake within the configuration's handshake timeout. */
    NegotiatedTls handshake() throws IOException {
        return channel.handshake(tls.handshakeTimeout(), () -> false);
    }

    void send(String text) throws IOException {
        boolean sent = channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), null, WAIT.toNanos());
        assertThat(sent).as("sent within " + WAIT).isTrue();
    }

    /** Sends close_notify and shuts the socket's output (half-close). */
    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /** Reads until what arrived (since the connection began) contains {@code expected}; returns all of it. */
    String readUntil(String expected) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!received().contains(expected)) {
            if (readSome(deadline) < 0) {
                fail("the stream ended before \"" + expected + "\"; received \"" + received() + "\"");
            }
        }
        return received();
    }

    /** Reads until the end of the stream; returns everything received. */
    String readToEnd() throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (readSome(deadline) >= 0) {
            assertThat(received.size()).as("bytes before the end").isLessThan(1_000_000);
        }
        return received();
    }

    /** Reads what has arrived, parking until something does; returns the count, or -1 at the end. */
    private int readSome(long deadline) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        for (;;) {
            int read = channel.read(buffer);
            if (read > 0) {
                received.write(buffer.array(), 0, read);
            }
            if (read != 0) {
                return read;
            }
            if (!channel.mayHaveMore() && !socket.awaitReadable(() -> false, deadline)) {
                fail("nothing more arrived within " + WAIT + "; received \"" + received() + "\"");
            }
        }
    }

    String received() {
        return received.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        channel.close();
        watcher.stop();
        watching.join(WAIT);
    }
}
