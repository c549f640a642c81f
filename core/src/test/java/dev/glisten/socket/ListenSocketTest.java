package dev.glisten.socket;

import static dev.glisten.socket.ConnectedPair.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ListenSocketTest {

    private static final SocketOptions LOOPBACK = SocketOptions.builder().bindAddress("127.0.0.1").build();

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void listeningOnPortZeroReportsTheRealPort() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK)) {
            assertThat(listener.port()).isBetween(1, 65_535);
            assertThat(listener.localAddress().getPort()).isEqualTo(listener.port());
            assertThat(listener.localAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            try (ClientSocket client = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE);
                 ClientSocket accepted = listener.accept(PATIENCE)) {
                assertThat(accepted.localAddress().getPort()).isEqualTo(listener.port());
                assertThat(accepted.peerAddress()).isEqualTo(client.localAddress());
            }
        }
    }

    @Test
    void listeningWithDefaultsBindsTheIpv4Wildcard() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0)) {
            assertThat(listener.localAddress().getAddress().isAnyLocalAddress()).isTrue();
            try (ClientSocket client = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE);
                 ClientSocket accepted = listener.accept(PATIENCE)) {
                accepted.send(new byte[] {42});
                assertThat(client.receive(1, PATIENCE)).containsExactly(42);
            }
        }
    }

    @Test
    void listensAndAcceptsOnIpv6Loopback() throws Exception {
        assumeIpv6Loopback();
        try (ListenSocket listener = ListenSocket.listen(0, SocketOptions.builder().bindAddress("::1").build());
             ConnectedPair pair = ConnectedPair.over(listener)) {
            assertThat(listener.localAddress().getAddress()).isInstanceOf(Inet6Address.class);
            assertThat(listener.toString()).contains("]:" + listener.port());
            pair.client().send("over six".getBytes());
            assertThat(ConnectedPair.receiveExactly(pair.server(), 8)).isEqualTo("over six".getBytes());
        }
    }

    @Test
    void acceptTimesOutAndTheListenSocketStillAccepts() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> listener.accept(Duration.ofMillis(100)))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("127.0.0.1:" + listener.port())
                    .hasMessageContaining("PT0.1S");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(90));
            assertThat(listener.isOpen()).isTrue();

            try (ClientSocket client = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE);
                 ClientSocket accepted = listener.accept(PATIENCE)) {
                assertThat(accepted.peerAddress()).isEqualTo(client.localAddress());
            }
            try (ClientSocket client = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE)) {
                Future<ClientSocket> accepted = threads.submit(() -> listener.accept());
                try (ClientSocket server = accepted.get(5, TimeUnit.SECONDS)) {
                    assertThat(server.peerAddress()).isEqualTo(client.localAddress());
                }
            }
        }
    }

    @Test
    void timedAcceptBehindAnUntimedAcceptStillTimesOutOnTime() throws Exception {
        ListenSocket listener = ListenSocket.listen(0, LOOPBACK);
        Future<ClientSocket> untimed = threads.submit(() -> listener.accept());
        try {
            Thread.sleep(50);
            long start = System.nanoTime();
            assertThatThrownBy(() -> listener.accept(Duration.ofMillis(200)))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        } finally {
            listener.close();
        }
        assertThatThrownBy(() -> untimed.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(AsynchronousCloseException.class);
    }

    @Test
    void closeWakesAThreadBlockedInAccept() throws Exception {
        ListenSocket listener = ListenSocket.listen(0, LOOPBACK);
        Future<ClientSocket> untimed = threads.submit(() -> listener.accept());
        Future<ClientSocket> timed = threads.submit(() -> listener.accept(Duration.ofMinutes(1)));
        Thread.sleep(100);
        assertThat(untimed).isNotDone();
        assertThat(timed).isNotDone();

        listener.close();

        assertThatThrownBy(() -> untimed.get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(AsynchronousCloseException.class);
        assertThatThrownBy(() -> timed.get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(AsynchronousCloseException.class);
    }

    @Test
    void acceptOnAClosedListenSocketThrowsClosedChannelException() throws Exception {
        ListenSocket listener = ListenSocket.listen(0, LOOPBACK);
        int port = listener.port();
        listener.close();
        listener.close();

        assertThat(listener.isOpen()).isFalse();
        assertThat(listener.port()).isEqualTo(port);
        assertThat(listener.toString()).contains("closed");
        assertThatThrownBy(listener::accept).isExactlyInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> listener.accept(PATIENCE)).isExactlyInstanceOf(ClosedChannelException.class);
    }

    @Test
    void closingFreesThePort() throws Exception {
        ListenSocket first = ListenSocket.listen(0, LOOPBACK);
        int port = first.port();
        first.close();
        try (ListenSocket second = ListenSocket.listen(port, LOOPBACK)) {
            assertThat(second.port()).isEqualTo(port);
        }
    }

    @Test
    void acceptedSocketsGetTheListenSocketsOptions() throws Exception {
        SocketOptions options = LOOPBACK.toBuilder()
                .noDelay(false).keepAlive(true).receiveBufferSize(32 * 1024).sendBufferSize(48 * 1024)
                .linger(Duration.ofSeconds(3)).build();
        try (ListenSocket listener = ListenSocket.listen(0, options);
             ConnectedPair pair = ConnectedPair.over(listener)) {
            ClientSocket accepted = pair.server();
            assertThat(accepted.option(StandardSocketOptions.TCP_NODELAY)).isFalse();
            assertThat(accepted.option(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
            assertThat(accepted.option(StandardSocketOptions.SO_LINGER)).isEqualTo(3);
            // The kernel may round or double buffer sizes (Linux doubles them) but never shrinks the request.
            assertThat(accepted.option(StandardSocketOptions.SO_RCVBUF)).isGreaterThanOrEqualTo(32 * 1024);
            assertThat(accepted.option(StandardSocketOptions.SO_SNDBUF)).isGreaterThanOrEqualTo(48 * 1024);
        }
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK.toBuilder().noDelay(true).build());
             ConnectedPair pair = ConnectedPair.over(listener)) {
            assertThat(pair.server().option(StandardSocketOptions.TCP_NODELAY)).isTrue();
            assertThat(pair.server().option(StandardSocketOptions.SO_KEEPALIVE)).isFalse();
        }
    }

    @Test
    void portInUseGivesABindExceptionNamingTheAddressAndPort() throws Exception {
        try (ListenSocket first = ListenSocket.listen(0, LOOPBACK)) {
            assertThatThrownBy(() -> ListenSocket.listen(first.port(), LOOPBACK))
                    .isInstanceOf(BindException.class)
                    .hasMessageContaining("127.0.0.1:" + first.port())
                    .hasMessageContaining("in use");
            assertThat(first.isOpen()).isTrue();
        }
    }

    @Test
    void portOutsideTheRangeIsRejectedNamingPort() {
        assertThatThrownBy(() -> ListenSocket.listen(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").hasMessageContaining("-1");
        assertThatThrownBy(() -> ListenSocket.listen(65_536, LOOPBACK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").hasMessageContaining("65536");
        assertThatThrownBy(() -> ListenSocket.listen(0, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("options");
    }

    @Test
    void nonPositiveAcceptTimeoutIsRejectedNamingTimeout() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK)) {
            assertThatThrownBy(() -> listener.accept(Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> listener.accept(Duration.ofMillis(-5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> listener.accept(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("timeout");
            assertThat(listener.isOpen()).isTrue();
        }
    }

    @Test
    void severalThreadsMayAcceptOnOneListenSocket() throws Exception {
        try (ListenSocket listener = ListenSocket.listen(0, LOOPBACK)) {
            Future<ClientSocket> first = threads.submit(() -> listener.accept(PATIENCE));
            Future<ClientSocket> second = threads.submit(() -> listener.accept());
            try (ClientSocket a = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE);
                 ClientSocket b = ClientSocket.connect("127.0.0.1", listener.port(), PATIENCE);
                 ClientSocket acceptedFirst = first.get(5, TimeUnit.SECONDS);
                 ClientSocket acceptedSecond = second.get(5, TimeUnit.SECONDS)) {
                assertThat(java.util.List.of(acceptedFirst.peerAddress(), acceptedSecond.peerAddress()))
                        .containsExactlyInAnyOrder(a.localAddress(), b.localAddress());
            }
        }
    }

    static void assumeIpv6Loopback() {
        boolean available;
        try (ListenSocket probe = ListenSocket.listen(0, SocketOptions.builder().bindAddress("::1").build())) {
            available = probe.localAddress().getAddress().equals(InetAddress.getByName("::1"));
        } catch (Exception e) {
            available = false;
        }
        Assumptions.assumeTrue(available, "this machine has no IPv6 loopback (::1)");
    }
}
