package dev.glisten;

import static dev.glisten.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.ServerConfig;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every option: its default is what a default server runs with, bad values fail at once by name. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServerOptionsTest {

    private static Server.Builder<Void, Void> echo() {
        return Server.builder(connection -> null, TestSupport.echo());
    }

    // --- defaults ---

    @Test
    void theDocumentedDefaultsAreTheOnesADefaultServerRunsWith() throws Exception {
        SocketOptions defaults = SocketOptions.defaults();
        assertThat(defaults.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(defaults.ipv6()).isFalse();
        assertThat(defaults.backlog()).isEqualTo(1024);
        assertThat(defaults.reuseAddress()).isTrue();
        assertThat(defaults.noDelay()).isTrue();
        assertThat(defaults.keepAlive()).isFalse();
        assertThat(defaults.linger()).isEmpty();
        assertThat(defaults.receiveBufferSize()).isZero();
        assertThat(defaults.sendBufferSize()).isZero();
        assertThat(SocketOptions.builder().build()).isEqualTo(defaults);

        try (Server server = echo().start(0)) {
            ServerConfig<?, ?> config = TestSupport.configOf(server);
            assertThat(config.socketOptions()).isEqualTo(defaults);
            assertThat(config.acceptors()).isEqualTo(10);
            assertThat(config.readBufferSize()).isEqualTo(16 * 1024);
            assertThat(config.sendTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(config.stopTimeout()).isEqualTo(Duration.ofSeconds(5));

            // And what can be seen from outside: the IPv4 wildcard, ten acceptor threads.
            assertThat(server.address().getAddress()).isInstanceOf(Inet4Address.class);
            assertThat(server.address().getAddress().isAnyLocalAddress()).isTrue();
            List<String> acceptors = TestSupport.threadNames().stream()
                    .filter(name -> name.startsWith("glisten-" + server.port() + "-acceptor-")).toList();
            assertThat(acceptors).hasSize(10);
        }
    }

    @Test
    void anAcceptedSocketHasTheDefaultOptions() throws Exception {
        Map<SocketOption<?>, Object> seen = acceptedOptions(SocketOptions.defaults());
        assertThat(seen.get(StandardSocketOptions.TCP_NODELAY)).isEqualTo(true);
        assertThat(seen.get(StandardSocketOptions.SO_KEEPALIVE)).isEqualTo(false);
        assertThat(seen.get(StandardSocketOptions.SO_LINGER)).as("linger off").isEqualTo(-1);
    }

    @Test
    void anAcceptedSocketHasTheConfiguredOptions() throws Exception {
        Map<SocketOption<?>, Object> seen = acceptedOptions(SocketOptions.builder()
                .noDelay(false).keepAlive(true).linger(Duration.ofSeconds(2))
                .receiveBufferSize(96 * 1024).sendBufferSize(80 * 1024).build());
        assertThat(seen.get(StandardSocketOptions.TCP_NODELAY)).isEqualTo(false);
        assertThat(seen.get(StandardSocketOptions.SO_KEEPALIVE)).isEqualTo(true);
        assertThat(seen.get(StandardSocketOptions.SO_LINGER)).isEqualTo(2);
        // Linux doubles the value for its bookkeeping (socket(7)); it never grants less.
        assertThat((Integer) seen.get(StandardSocketOptions.SO_RCVBUF)).isGreaterThanOrEqualTo(96 * 1024);
        assertThat((Integer) seen.get(StandardSocketOptions.SO_SNDBUF)).isGreaterThanOrEqualTo(80 * 1024);
    }

    @SuppressWarnings("try") // the client only has to be connected
    private static Map<SocketOption<?>, Object> acceptedOptions(SocketOptions options) throws Exception {
        Map<SocketOption<?>, Object> seen = new ConcurrentHashMap<>();
        CountDownLatch read = new CountDownLatch(1);
        List<SocketOption<?>> wanted = List.of(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_KEEPALIVE,
                StandardSocketOptions.SO_LINGER, StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_SNDBUF);
        OnInit<Void, Void> onInit = connection -> {
            for (SocketOption<?> option : wanted) {
                seen.put(option, TestSupport.acceptedSocketOption(connection, option));
            }
            read.countDown();
            return null;
        };
        try (Server server = Server.builder(onInit, TestSupport.<Void, Void>echo())
                .socketOptions(options.toBuilder().bindAddress("127.0.0.1").build()).start(0);
             TestClient client = TestClient.connect(server)) {
            await(read, "onInit to read the options");
        }
        return seen;
    }

    @Test
    void theDefaultReadBufferSizeIs16KiB() throws Exception {
        int total = 256 * 1024;
        ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
        AtomicLong received = new AtomicLong();
        CountDownLatch firstPacket = new CountDownLatch(1);
        CountDownLatch allWritten = new CountDownLatch(1);
        CountDownLatch allReceived = new CountDownLatch(1);
        Handler<Void, Void> handler = (state, message, connection) -> {
            sizes.add(((Message.Packet<Void>) message).bytes().length);
            firstPacket.countDown();
            // Hold the first call until everything is queued in the kernel, so the later reads
            // find more bytes than a read takes.
            await(allWritten, "the client to write everything");
            if (received.addAndGet(((Message.Packet<Void>) message).bytes().length) == total) {
                allReceived.countDown();
            }
            return Next.continueWith(state);
        };
        try (Server server = Server.<Void, Void>builder(connection -> null, handler).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            client.write(new byte[1]);
            await(firstPacket, "the first packet");
            client.write(new byte[total - 1]);
            allWritten.countDown();
            await(allReceived, "every byte");
        }
        assertThat(sizes).allSatisfy(size -> assertThat(size).isBetween(1, 16 * 1024));
        assertThat(sizes).contains(16 * 1024);
    }

    @Test
    void readBufferSizeBoundsEachPacket() throws Exception {
        ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
        Handler<Void, Void> handler = (state, message, connection) -> {
            byte[] bytes = ((Message.Packet<Void>) message).bytes();
            sizes.add(bytes.length);
            connection.send(bytes);
            return Next.continueWith(state);
        };
        byte[] payload = new byte[1000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        try (Server server = Server.<Void, Void>builder(connection -> null, handler)
                .readBufferSize(7).bind("127.0.0.1").start(0);
             TestClient client = TestClient.connect(server)) {
            client.write(payload);
            assertThat(client.read(payload.length)).isEqualTo(payload);
        }
        assertThat(sizes).allSatisfy(size -> assertThat(size).isBetween(1, 7));
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(payload.length);
        assertThat(sizes).contains(7);
    }

    // --- invalid values fail where they are written, naming the option ---

    @Test
    void invalidServerOptionsFailAtOnceNamingTheOption() {
        Server.Builder<Void, Void> builder = echo();
        assertThatThrownBy(() -> builder.acceptors(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("acceptors");
        assertThatThrownBy(() -> builder.acceptors(-3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("acceptors");
        assertThatThrownBy(() -> builder.readBufferSize(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readBufferSize");
        assertThatThrownBy(() -> builder.readBufferSize(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readBufferSize");
        assertThatThrownBy(() -> builder.readBufferSize(16 * 1024 * 1024 + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readBufferSize");
        for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(-1), Duration.ofSeconds(-30))) {
            assertThatThrownBy(() -> builder.sendTimeout(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sendTimeout");
            assertThatThrownBy(() -> builder.stopTimeout(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("stopTimeout");
        }
        assertThatThrownBy(() -> builder.sendTimeout(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("sendTimeout");
        assertThatThrownBy(() -> builder.stopTimeout(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("stopTimeout");
        assertThatThrownBy(() -> builder.onClose(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("onClose");
        assertThatThrownBy(() -> Server.builder(null, TestSupport.echo())).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("onInit");
        assertThatThrownBy(() -> Server.builder(connection -> null, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("handler");
    }

    @Test
    void invalidSocketOptionsFailAtOnceNamingTheOption() {
        Server.Builder<Void, Void> builder = echo();
        assertThatThrownBy(() -> builder.socketOptions(o -> o.backlog(0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backlog");
        assertThatThrownBy(() -> builder.socketOptions(o -> o.receiveBufferSize(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("receiveBufferSize");
        assertThatThrownBy(() -> builder.socketOptions(o -> o.sendBufferSize(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sendBufferSize");
        assertThatThrownBy(() -> builder.socketOptions(o -> o.linger(Duration.ofSeconds(-1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linger");
        assertThatThrownBy(() -> builder.socketOptions(o -> o.linger(Duration.ofSeconds(65_536))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linger");
        assertThatThrownBy(() -> builder.socketOptions((SocketOptions) null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("socketOptions");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65_536, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void aPortOutOfRangeFailsNamingThePort(int port) {
        assertThatThrownBy(() -> echo().bind("127.0.0.1").start(port)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port").hasMessageContaining(String.valueOf(port));
    }

    @ParameterizedTest
    @ValueSource(strings = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "::zz", "1:2:3:4:5:6:7:8:9", "[::1", "", "bad host!"})
    void aBadBindAddressFailsAtBuildTimeNamingBindAddress(String address) {
        assertThatThrownBy(() -> echo().bind(address)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bindAddress").hasMessageContaining(address);
        assertThatThrownBy(() -> SocketOptions.builder().bindAddress(address))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bindAddress");
    }

    // --- binding ---

    @Test
    void aPortInUseIsABindExceptionNamingAddressAndPort() throws Exception {
        try (Server first = TestSupport.startEcho()) {
            assertThatThrownBy(() -> echo().bind("127.0.0.1").start(first.port()))
                    .isInstanceOf(BindException.class)
                    .hasMessageContaining("127.0.0.1:" + first.port());
            // The first server is unharmed.
            try (TestClient client = TestClient.connect(first)) {
                assertThat(client.roundTrip("still mine")).isEqualTo("still mine");
            }
        }
    }

    @Test
    void aFailedBindLeaksNoDescriptorAndNoThread() throws Exception {
        try (Server first = TestSupport.startEcho()) {
            // Once first, so that whatever the JDK opens lazily on a first failure is open already.
            assertThatThrownBy(() -> echo().bind("127.0.0.1").start(first.port())).isInstanceOf(BindException.class);
            long before = TestSupport.openFileDescriptors();
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> echo().bind("127.0.0.1").start(first.port()))
                        .isInstanceOf(BindException.class);
            }
            assertThat(TestSupport.openFileDescriptors()).isEqualTo(before);
            assertThat(TestSupport.glistenThreadNames())
                    .allSatisfy(name -> assertThat(name).startsWith("glisten-" + first.port() + "-"));
        }
    }

    @Test
    void anAddressThatIsNotLocalIsABindExceptionNamingIt() {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host, so bind(2) fails with
        // EADDRNOTAVAIL before any packet is sent.
        assertThatThrownBy(() -> echo().bind("192.0.2.1").start(0)).isInstanceOf(BindException.class)
                .hasMessageContaining("192.0.2.1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1", "0.0.0.0"})
    void ipv4AndNamedBindsWork(String address) throws Exception {
        try (Server server = echo().bind(address).start(0);
             TestClient client = TestClient.connect(server)) {
            InetAddress bound = server.address().getAddress();
            assertThat(bound.isLoopbackAddress() || bound.isAnyLocalAddress()).as(bound.toString()).isTrue();
            assertThat(client.roundTrip("bound to " + address)).isEqualTo("bound to " + address);
        }
    }

    @Test
    void theIpv6WildcardAcceptsIpv4AndIpv6Clients() throws Exception {
        TestSupport.assumeIpv6Loopback();
        try (Server server = echo().bind("::").start(0)) {
            assertThat(server.address().getAddress()).isInstanceOf(Inet6Address.class);
            assertThat(server.address().getAddress().isAnyLocalAddress()).isTrue();
            assertEchoesOver(TestSupport.loopback4(server));
            assertEchoesOver(TestSupport.loopback6(server));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"::1", "[::1]", "0:0:0:0:0:0:0:1"})
    void theIpv6LoopbackEchoes(String address) throws Exception {
        TestSupport.assumeIpv6Loopback();
        BlockingQueue<InetSocketAddress> peers = new LinkedBlockingQueue<>();
        try (Server server = Server.<Void, Void>builder(connection -> {
                    peers.add((InetSocketAddress) connection.peerAddress());
                    return null;
                }, TestSupport.echo()).bind(address).start(0)) {
            assertThat(server.address().getAddress()).isEqualTo(InetAddress.getByName("::1"));
            assertEchoesOver(TestSupport.loopback6(server));
            assertThat(peers.poll(10, TimeUnit.SECONDS).getAddress()).isEqualTo(InetAddress.getByName("::1"));
        }
    }

    @Test
    void ipv6WithTheDefaultWildcardAcceptsIpv4AndIpv6Clients() throws Exception {
        TestSupport.assumeIpv6Loopback();
        try (Server server = echo().socketOptions(options -> options.ipv6(true)).start(0)) {
            assertThat(server.address().getAddress()).isInstanceOf(Inet6Address.class);
            assertThat(server.address().getAddress().isAnyLocalAddress()).isTrue();
            assertEchoesOver(TestSupport.loopback4(server));
            assertEchoesOver(TestSupport.loopback6(server));
        }
    }

    @Test
    void ipv6LeavesASpecificIpv4AddressAlone() throws Exception {
        try (Server server = echo().socketOptions(options -> options.ipv6(true).bindAddress("127.0.0.1")).start(0)) {
            assertThat(server.address().getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertEchoesOver(TestSupport.loopback4(server));
        }
    }

    private static void assertEchoesOver(InetSocketAddress address) throws IOException {
        try (TestClient client = TestClient.connect(address)) {
            String text = "over " + address;
            assertThat(client.roundTrip(text)).isEqualTo(text);
        }
    }
}
