package dev.glisten.examples;

import static dev.glisten.examples.TcpProxyTest.WAIT;
import static dev.glisten.examples.TcpProxyTest.awaitNoConnections;
import static dev.glisten.examples.TcpProxyTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.DrainReport;
import dev.glisten.Server;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TcpProxy}'s flow control, between real sockets on loopback: a peer that does not read
 * stops the other through TCP (the proxy stops reading; nothing piles up in its heap), the other
 * direction flows on meanwhile, the send timeout bounds the wait, a shutdown is not held up by a
 * connection waiting in a send, and relayed bytes are not copied in Java code.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TcpProxyBackpressureTest {

    /** How long writes must make no progress to count as stopped. */
    private static final Duration STALLED = Duration.ofSeconds(1);

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable each : started.reversed()) {
            each.close();
        }
    }

    @Test
    void aClientThatNeverReadsIsStoppedByTcpNotBufferedAndLosesNothing() throws Exception {
        Server echo = started(EchoServer.builder().bind("127.0.0.1").start(0));
        Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", echo.port()), Duration.ofSeconds(30));
        byte[] data = random(256 << 20, 3);
        long heapBefore = heapAfterGc();

        try (SocketChannel client = connect(proxy.port())) {
            long written = writeUntilStalled(client, data);

            // Every buffer on the way is the kernel's: the echo's answers fill the client's receive
            // buffer, then the proxy's sends to it block, and each socket behind fills in turn.
            assertThat(written).as("bytes accepted before TCP stopped the client").isLessThan(kernelBuffersOnTheWay());
            assertThat(heapAfterGc() - heapBefore).as("heap grown meanwhile").isLessThan(16L << 20);
            long proxyHasRead = bytesReceived(proxy);
            LockSupport.parkNanos(STALLED.toNanos());
            assertThat(bytesReceived(proxy)).as("the proxy stopped reading the client").isEqualTo(proxyHasRead);

            // Once the client reads, everything comes back, in order.
            byte[] echoed = readExactly(client, (int) written);
            assertThat(Arrays.mismatch(echoed, Arrays.copyOf(data, (int) written))).isEqualTo(-1);
        }
        awaitNoConnections(proxy);
    }

    @Test
    void anUpstreamThatNeverReadsStopsTheClientWhileItsOwnBytesStillFlow() throws Exception {
        byte[] answer = random(16 << 20, 4);
        CompletableFuture<Void> clientStopped = new CompletableFuture<>();
        CompletableFuture<Void> clientDone = new CompletableFuture<>();
        try (FakeUpstream upstream = FakeUpstream.start(socket -> {
            clientStopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            socket.getOutputStream().write(answer); // never reading a byte
            clientDone.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        })) {
            Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()), Duration.ofSeconds(30));
            try (SocketChannel client = connect(proxy.port())) {
                long written = writeUntilStalled(client, random(256 << 20, 5));
                assertThat(written).isLessThan(kernelBuffersOnTheWay());
                clientStopped.complete(null);

                // The client's connection waits in a send to the upstream; the upstream's, which
                // only reads its own socket, relays the answer regardless.
                assertThat(Arrays.mismatch(readExactly(client, answer.length), answer)).isEqualTo(-1);
                clientDone.complete(null);
            }
            upstream.awaitServed(1, WAIT);
            awaitNoConnections(proxy);
        }
    }

    @Test
    void aClientThatReadsNothingForTheSendTimeoutEndsBothConnections() throws Exception {
        CompletableFuture<Long> upstreamSent = new CompletableFuture<>();
        try (FakeUpstream upstream = FakeUpstream.start(socket -> {
            long sent = 0;
            byte[] chunk = new byte[64 * 1024];
            try {
                while (sent < 1L << 30) {
                    socket.getOutputStream().write(chunk);
                    sent += chunk.length;
                }
            } catch (IOException closedByTheProxy) {
                upstreamSent.complete(sent);
            }
        })) {
            Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", upstream.port()), Duration.ofSeconds(1));
            try (Socket client = TcpProxyTest.connect(proxy.port())) {
                long start = System.nanoTime();
                assertThat(upstreamSent.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isLessThan(kernelBuffersOnTheWay());
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(900));
                awaitNoConnections(proxy);
            }
        }
    }

    @Test
    void aShutdownIsNotHeldUpByAConnectionWaitingOnAnUpstreamThatDoesNotRead() throws Exception {
        CompletableFuture<Void> released = new CompletableFuture<>();
        try (FakeUpstream upstream = FakeUpstream.start(socket -> released.get(WAIT.toSeconds(), TimeUnit.SECONDS))) {
            TcpProxy tcpProxy = TcpProxy.to(TcpProxy.Upstream.of("127.0.0.1", upstream.port()));
            Server proxy = tcpProxy.builder().bind("127.0.0.1").stopTimeout(Duration.ofSeconds(5)).start(0);
            started.add(proxy::stop);
            try (SocketChannel client = connect(proxy.port())) {
                writeUntilStalled(client, random(256 << 20, 6));

                long start = System.nanoTime();
                DrainReport report = tcpProxy.shutdown(proxy, Duration.ofMillis(500));

                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
                assertThat(report.forced()).isEqualTo(1);
            } finally {
                released.complete(null);
            }
        }
    }

    @Test
    void relayedBytesAreNotCopiedInJavaCode() throws Exception {
        Server echo = started(EchoServer.builder().bind("127.0.0.1").start(0));
        Server proxy = startProxy(TcpProxy.Upstream.of("127.0.0.1", echo.port()), Duration.ofSeconds(30));
        ByteBuffer block = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer back = ByteBuffer.allocateDirect(64 * 1024);

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port());
        try (SocketChannel client = SocketChannel.open(address)) {
            pingPong(client, block, back, 8 << 20); // warm-up: class loading, JIT, the pools' buffers
            long before = allocatedByAllThreads();
            long relayed = pingPong(client, block, back, 128 << 20);
            long allocated = allocatedByAllThreads() - before;

            // Both ways through the proxy (and the echo): 256 MiB, of which a copy would allocate as much.
            assertThat(allocated).as("bytes allocated by every thread while relaying %d bytes", 2 * relayed)
                    .isLessThan(16L << 20);
        }
    }

    // ------------------------------------------------------------------------------------- helpers

    private Server startProxy(TcpProxy.Upstream upstream, Duration sendTimeout) throws IOException {
        return started(TcpProxy.to(upstream).builder().bind("127.0.0.1").sendTimeout(sendTimeout).start(0));
    }

    private Server started(Server server) {
        started.add(server::stop);
        return server;
    }

    private static SocketChannel connect(int port) throws IOException {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        channel.configureBlocking(false);
        return channel;
    }

    /** Writes {@code data} without blocking until no byte is taken for {@link #STALLED}; returns how many were. */
    private static long writeUntilStalled(SocketChannel channel, byte[] data) throws IOException {
        ByteBuffer remaining = ByteBuffer.wrap(data);
        long lastProgress = System.nanoTime();
        while (System.nanoTime() - lastProgress < STALLED.toNanos()) {
            if (!remaining.hasRemaining()) {
                throw new AssertionError("all " + data.length + " bytes were taken: nothing stopped the client");
            }
            if (channel.write(remaining) > 0) {
                lastProgress = System.nanoTime();
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        return remaining.position();
    }

    /** Reads exactly {@code length} bytes without blocking, within {@link TcpProxyTest#WAIT}. */
    private static byte[] readExactly(SocketChannel channel, int length) throws IOException {
        ByteBuffer received = ByteBuffer.allocate(length);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (received.hasRemaining()) {
            int read = channel.read(received);
            if (read < 0) {
                throw new AssertionError("closed after " + received.position() + " of " + length + " bytes");
            }
            if (read == 0) {
                assertThat(System.nanoTime() - deadline).as("%d of %d bytes within %s", received.position(), length, WAIT)
                        .isNegative();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        return received.array();
    }

    /**
     * Sends {@code total} bytes through a blocking channel in blocks, reading each block's echo
     * back before the next, from direct buffers only, so the client itself allocates nothing.
     */
    private static long pingPong(SocketChannel channel, ByteBuffer block, ByteBuffer back, long total) throws Exception {
        CompletableFuture<Long> done = CompletableFuture.supplyAsync(() -> {
            try {
                long sent = 0;
                while (sent < total) {
                    block.clear();
                    while (block.hasRemaining()) {
                        channel.write(block);
                    }
                    back.clear();
                    while (back.hasRemaining()) {
                        if (channel.read(back) < 0) {
                            throw new IOException("closed after " + sent + " bytes");
                        }
                    }
                    sent += block.capacity();
                }
                return sent;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            return done.get(WAIT.toSeconds() * 3, TimeUnit.SECONDS);
        } finally {
            if (!done.isDone()) {
                channel.close(); // ends the blocked read
            }
        }
    }

    private static long bytesReceived(Server proxy) {
        return proxy.connections().stream().mapToLong(info -> info.bytesReceived()).sum();
    }

    /**
     * The most bytes the kernel can hold between the client's writes and its reads: a send and a
     * receive buffer at each of the four sockets on the way, each at its largest (tcp_wmem and
     * tcp_rmem), plus a megabyte for what the threads have in hand.
     */
    private static long kernelBuffersOnTheWay() throws IOException {
        return 4 * (largest("tcp_wmem") + largest("tcp_rmem")) + (1 << 20);
    }

    private static long largest(String sysctl) throws IOException {
        // One line; Files.readString trusts the size /proc reports, which is 0.
        String[] values = Files.readAllLines(Path.of("/proc/sys/net/ipv4", sysctl)).get(0).trim().split("\\s+");
        return Long.parseLong(values[values.length - 1]);
    }

    private static long heapAfterGc() {
        System.gc();
        return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    }

    /**
     * {@code com.sun.management.ThreadMXBean.getTotalThreadAllocatedBytes()}: the heap allocated by
     * every thread so far, virtual threads included (their carriers count what they allocate).
     * Called by reflection, since this module reads no management module.
     */
    private static long allocatedByAllThreads() throws ReflectiveOperationException {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method total = Class.forName("com.sun.management.ThreadMXBean").getMethod("getTotalThreadAllocatedBytes");
        return (long) total.invoke(threads);
    }
}
