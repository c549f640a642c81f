package dev.glisten.internal.client;

import dev.glisten.internal.accept.Listeners;
import dev.glisten.internal.io.Descriptors;
import dev.glisten.internal.io.Readiness;
import dev.glisten.socket.SocketOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens outbound sockets: to every address a host name resolves to in turn, each within the
 * connect timeout, or to a Unix domain socket file. A failure throws an exception of the kind the
 * last attempt failed with ({@link ConnectException} for a refusal, {@link SocketTimeoutException},
 * {@link UnknownHostException}, {@link NoRouteToHostException}) whose message names what was tried,
 * and leaves no socket open. Used by the client connections and by the low-level
 * {@link dev.glisten.socket.ClientSocket}.
 */
public final class Connector {

    private Connector() { }

    /**
     * Resolves {@code host} and connects to its addresses in the order the resolver gives them
     * (the JDK's {@code java.net.preferIPv6Addresses} decides between IPv6 and IPv4), stopping at
     * the first that accepts. Each attempt has the whole {@code timeout}. Resolving is not bounded
     * by it (the system's resolver has its own timeouts); pass an IP literal to avoid it.
     *
     * @param options applied before connecting (buffer sizes must be set before the handshake to
     *     count); the bind address, backlog and address reuse are a listener's and are not used;
     *     {@code null} to keep the kernel's defaults
     * @return a connected channel in blocking mode
     */
    public static SocketChannel connect(String host, int port, Duration timeout, SocketOptions options)
            throws IOException {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw withCause(new UnknownHostException("cannot connect to " + host + ":" + port
                    + ": the host name does not resolve"), e);
        }
        List<String> tried = new ArrayList<>(addresses.length);
        IOException last = null;
        for (InetAddress address : addresses) {
            InetSocketAddress remote = new InetSocketAddress(address, port);
            tried.add(Listeners.hostAndPort(remote));
            try {
                return connect(remote, timeout, options);
            } catch (IOException e) {
                last = e;
            }
        }
        if (addresses.length == 1) {
            throw last;
        }
        // Several addresses failed: the message names them all, the exception's kind is the last one's.
        String message = "cannot connect to " + host + ":" + port + " (tried " + String.join(", ", tried)
                + "); the last failed: " + last.getMessage();
        IOException all = last instanceof SocketTimeoutException ? new SocketTimeoutException(message)
                : last instanceof ConnectException ? new ConnectException(message)
                : last instanceof NoRouteToHostException ? new NoRouteToHostException(message)
                : new IOException(message);
        throw withCause(all, last);
    }

    /**
     * Connects to one resolved address within {@code timeout}.
     *
     * @return a connected channel in blocking mode
     */
    public static SocketChannel connect(InetSocketAddress remote, Duration timeout, SocketOptions options)
            throws IOException {
        String where = Listeners.hostAndPort(remote);
        if (remote.isUnresolved()) {
            throw new UnknownHostException("cannot connect to " + where + ": the host name does not resolve");
        }
        SocketChannel channel = SocketChannel.open(remote.getAddress() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        try {
            if (options != null) {
                Listeners.configureAccepted(channel, options);
            }
            // A channel has no connect timeout; its socket adaptor has one (and parks a virtual thread).
            channel.socket().connect(remote, millis(timeout));
            return channel;
        } catch (SocketTimeoutException e) {
            Descriptors.release(channel);
            throw withCause(new SocketTimeoutException("cannot connect to " + where + " within " + timeout), e);
        } catch (ConnectException e) {
            Descriptors.release(channel);
            throw withCause(new ConnectException("cannot connect to " + where + ": " + e.getMessage()), e);
        } catch (NoRouteToHostException e) {
            Descriptors.release(channel);
            throw withCause(new NoRouteToHostException("cannot connect to " + where + ": " + e.getMessage()), e);
        } catch (IOException e) {
            Descriptors.release(channel);
            throw withCause(new IOException("cannot connect to " + where + ": " + e.getMessage()), e);
        } catch (RuntimeException | Error e) {
            Descriptors.release(channel);
            throw e;
        }
    }

    /**
     * Connects to the Unix domain socket at {@code socketFile}; only a server whose backlog is
     * full makes it wait, at most {@code timeout}.
     *
     * @return a connected channel in non-blocking mode
     */
    public static SocketChannel connect(Path socketFile, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String where = "unix:" + socketFile;
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        Readiness connectable = new Readiness(channel, SelectionKey.OP_CONNECT);
        try {
            channel.configureBlocking(false);
            boolean connected = channel.connect(UnixDomainSocketAddress.of(socketFile));
            while (!connected) {
                if (!connectable.await(deadline)) {
                    throw new SocketTimeoutException("cannot connect to " + where + " within " + timeout);
                }
                connected = channel.finishConnect();
            }
            connectable.close();
            return channel;
        } catch (SocketTimeoutException e) {
            connectable.close();
            Descriptors.release(channel);
            throw e;
        } catch (ConnectException e) {
            connectable.close();
            Descriptors.release(channel);
            throw withCause(new ConnectException("cannot connect to " + where + ": " + e.getMessage()
                    + " (nobody listens on this socket file)"), e);
        } catch (IOException e) {
            connectable.close();
            Descriptors.release(channel);
            throw withCause(new IOException("cannot connect to " + where + ": " + e.getMessage()), e);
        } catch (RuntimeException | Error e) {
            connectable.close();
            Descriptors.release(channel);
            throw e;
        }
    }

    // The socket adaptor's timeout is an int of milliseconds; a sub-millisecond one would mean none.
    private static int millis(Duration timeout) {
        long millis = Math.max(1, timeout.toMillis());
        return (int) Math.min(Integer.MAX_VALUE, millis);
    }

    private static <E extends IOException> E withCause(E exception, Throwable cause) {
        exception.initCause(cause);
        return exception;
    }
}
