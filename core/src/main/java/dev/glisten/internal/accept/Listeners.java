package dev.glisten.internal.accept;

import dev.glisten.internal.io.Descriptors;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Opens listen sockets and configures accepted ones, for the server and the low-level API alike. */
public final class Listeners {

    private Listeners() { }

    /**
     * Opens a blocking listen socket on {@code port} with {@code options}.
     *
     * @throws IOException whose message names the address and the cause; a {@link BindException}
     *     when binding fails, an {@link UnknownHostException} when the name does not resolve
     */
    public static ServerSocketChannel listen(int port, SocketOptions options) throws IOException {
        return listen(port, options, false);
    }

    /**
     * Opens {@code count} listen sockets on one port, all with {@code SO_REUSEPORT} when there is
     * more than one, so the kernel spreads new connections over them (Linux hashes each
     * connection's addresses and ports to one socket) instead of waking every acceptor on one
     * queue. With port 0 the first socket's port is the one the others bind.
     *
     * @throws IOException as {@link #listen(int, SocketOptions)}; also when the platform has no
     *     {@code SO_REUSEPORT} and {@code count} is above 1. Sockets already open are closed.
     */
    public static List<ServerSocketChannel> listen(int port, SocketOptions options, int count) throws IOException {
        List<ServerSocketChannel> opened = new ArrayList<>(count);
        try {
            ServerSocketChannel first = listen(port, options, count > 1);
            opened.add(first);
            int bound = ((InetSocketAddress) first.getLocalAddress()).getPort();
            for (int i = 1; i < count; i++) {
                opened.add(listen(bound, options, true));
            }
            return opened;
        } catch (IOException | RuntimeException e) {
            opened.forEach(Descriptors::release);
            throw e;
        }
    }

    private static ServerSocketChannel listen(int port, SocketOptions options, boolean reusePort) throws IOException {
        String where = options.bindAddress() + ":" + port;
        InetAddress address;
        try {
            address = BindAddresses.resolve(options.bindAddress(), options.ipv6());
        } catch (UnknownHostException e) {
            throw withCause(new UnknownHostException("cannot listen on " + where
                    + ": the host name does not resolve to an address (" + e.getMessage() + ")"), e);
        }
        where = hostAndPort(new InetSocketAddress(address, port));
        ServerSocketChannel channel = null;
        try {
            // An IPv4 address gets an IPv4 socket, so the bound address reads 0.0.0.0, not ::ffff:0.0.0.0.
            channel = ServerSocketChannel.open(address instanceof Inet4Address
                    ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, options.reuseAddress());
            if (reusePort) {
                if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    Descriptors.release(channel);
                    throw new IOException("cannot listen on " + where + " with several listen sockets: this platform"
                            + " has no SO_REUSEPORT, which they need; use listenSockets(1)");
                }
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(new InetSocketAddress(address, port), options.backlog());
            return channel;
        } catch (BindException e) {
            Descriptors.release(channel);
            throw withCause(new BindException("cannot listen on " + where + ": " + e.getMessage()
                    + hint(e.getMessage())), e);
        } catch (IOException | UnsupportedOperationException e) {
            Descriptors.release(channel);
            if (e.getMessage() != null && e.getMessage().startsWith("cannot listen on ")) {
                throw (IOException) e;
            }
            throw new IOException("cannot listen on " + where + ": " + e, e);
        }
    }

    /**
     * Opens a blocking Unix domain listen socket bound to {@code path}, after removing a stale
     * socket file left there by a server that is gone (see {@link UnixSocketFile}). Of
     * {@code options} only the backlog applies to the listen socket.
     *
     * @throws IOException whose message names {@code unix:PATH} and the cause: a
     *     {@link BindException} when a live server listens there or the directory does not exist
     */
    public static ServerSocketChannel listen(Path path, SocketOptions options) throws IOException {
        String where = describe(UnixDomainSocketAddress.of(path));
        UnixSocketFile.clearStale(path);
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            channel.bind(UnixDomainSocketAddress.of(path), options.backlog());
            return channel;
        } catch (BindException e) {
            Descriptors.release(channel);
            throw withCause(new BindException("cannot listen on " + where + ": " + e.getMessage()), e);
        } catch (IOException | UnsupportedOperationException e) {
            Descriptors.release(channel);
            throw new IOException("cannot listen on " + where + ": " + e, e);
        }
    }

    /**
     * Applies the per-connection options to a socket fresh from {@code accept}. A Unix domain socket
     * has no {@code TCP_NODELAY}, {@code SO_KEEPALIVE} or {@code SO_LINGER}; those are skipped for
     * it, and the buffer sizes still apply.
     */
    public static void configureAccepted(SocketChannel channel, SocketOptions options) throws IOException {
        if (channel.getLocalAddress() instanceof UnixDomainSocketAddress) {
            configureBuffers(channel, options);
            return;
        }
        channel.setOption(StandardSocketOptions.TCP_NODELAY, options.noDelay());
        if (options.keepAlive()) {
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        }
        if (options.linger().isPresent()) {
            channel.setOption(StandardSocketOptions.SO_LINGER, (int) options.linger().get().getSeconds());
        }
        configureBuffers(channel, options);
    }

    private static void configureBuffers(SocketChannel channel, SocketOptions options) throws IOException {
        if (options.receiveBufferSize() > 0) {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
        }
        if (options.sendBufferSize() > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
        }
    }

    /**
     * {@code unix:PATH} for a Unix domain socket address ({@code unix:(unnamed)} for a client's,
     * which has no path unless it bound one), else {@link #hostAndPort}.
     */
    public static String describe(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress unix) {
            String path = unix.getPath().toString();
            return "unix:" + (path.isEmpty() ? "(unnamed)" : path);
        }
        return address instanceof InetSocketAddress inet ? hostAndPort(inet) : String.valueOf(address);
    }

    /** {@code host:port}, IPv6 hosts in brackets and in their short form ({@code [::1]:80}). */
    public static String hostAndPort(InetSocketAddress address) {
        InetAddress host = address.getAddress();
        if (host == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        String text = host instanceof Inet4Address ? host.getHostAddress() : "[" + shortIpv6(host.getAddress()) + "]";
        return text + ":" + address.getPort();
    }

    /** The RFC 5952 text of an IPv6 address: lower-case hex, the longest run of zero groups as "::". */
    public static String shortIpv6(byte[] address) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    private static String hint(String message) {
        if (message == null) {
            return "";
        }
        if (message.contains("in use")) {
            return " (another process is listening on this port; choose another port, or 0 for any free one)";
        }
        if (message.contains("assign requested address")) {
            return " (the address is not one of this machine's; use 0.0.0.0, :: or a local address)";
        }
        if (message.contains("Permission denied")) {
            return " (ports below 1024 need privileges)";
        }
        return "";
    }

    private static <E extends IOException> E withCause(E exception, Throwable cause) {
        exception.initCause(cause);
        return exception;
    }
}
