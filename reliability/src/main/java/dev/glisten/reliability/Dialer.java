package dev.glisten.reliability;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * How a client reaches one server: plain TCP, TLS, or TCP that starts with a PROXY protocol
 * header (v1 or v2 at random, from a random documentation address, as a load balancer would send).
 *
 * @param address the server's loopback address
 * @param tls the client context for a TLS server, else {@code null}
 * @param proxyHeader whether each connection starts with a PROXY protocol header
 */
record Dialer(InetSocketAddress address, SSLContext tls, boolean proxyHeader) {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a legitimate client waits for any read: longer than the longest SIGSTOP of the
     * faults, so a stopped server delays answers but fails none.
     */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    static Dialer plain(InetSocketAddress address) {
        return new Dialer(address, null, false);
    }

    /**
     * A connection ready for the protocol: connected, with its TLS handshake done or its PROXY
     * header sent, reads bounded by {@link #READ_TIMEOUT}.
     */
    Socket open(Random random) throws IOException {
        Socket socket = connect();
        try {
            if (tls != null) {
                SSLSocket secured = (SSLSocket) tls.getSocketFactory()
                        .createSocket(socket, address.getHostString(), address.getPort(), true);
                secured.setSoTimeout((int) READ_TIMEOUT.toMillis());
                secured.startHandshake();
                return secured;
            }
            if (proxyHeader) {
                socket.getOutputStream().write(proxyHeader(random));
            }
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A plain TCP connection, whatever the server expects first: what abusers start from. */
    Socket connect() throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            socket.connect(address, (int) CONNECT_TIMEOUT.toMillis());
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A valid header from a client in 192.0.2.0/24 (RFC 5737) through a proxy at 198.51.100.1. */
    static byte[] proxyHeader(Random random) throws IOException {
        byte[] client = {(byte) 192, 0, 2, (byte) (1 + random.nextInt(254))};
        InetSocketAddress source = new InetSocketAddress(InetAddress.getByAddress(client), 1024 + random.nextInt(60_000));
        InetSocketAddress destination = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, 1}),
                443);
        return ProxyHeader.proxied(source, destination)
                .encode(random.nextBoolean() ? ProxyProtocol.Version.V1 : ProxyProtocol.Version.V2);
    }
}
