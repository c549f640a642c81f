package dev.glisten.socket;

import dev.glisten.internal.accept.BindAddresses;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Socket-level options shared by {@link dev.glisten.Server} and {@link ListenSocket}: where to
 * listen, and how every accepted socket is configured. Immutable; build with {@link #builder()},
 * change with {@link #toBuilder()}.
 *
 * <p>Each setter validates its value at once and throws {@link IllegalArgumentException} naming the
 * option, so a bad configuration fails where it is written, not when the first client arrives.
 *
 * <table>
 * <caption>Options and defaults</caption>
 * <tr><th>option</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code bindAddress}</td><td>{@code "0.0.0.0"}</td><td>local address to listen on</td></tr>
 * <tr><td>{@code ipv6}</td><td>{@code false}</td><td>listen on IPv6 as well when binding the wildcard</td></tr>
 * <tr><td>{@code backlog}</td><td>1024</td><td>pending-connection queue length</td></tr>
 * <tr><td>{@code reuseAddress}</td><td>{@code true}</td><td>{@code SO_REUSEADDR} on the listen socket</td></tr>
 * <tr><td>{@code noDelay}</td><td>{@code true}</td><td>{@code TCP_NODELAY} on accepted sockets</td></tr>
 * <tr><td>{@code keepAlive}</td><td>{@code false}</td><td>{@code SO_KEEPALIVE} on accepted sockets</td></tr>
 * <tr><td>{@code linger}</td><td>off</td><td>{@code SO_LINGER} on accepted sockets</td></tr>
 * <tr><td>{@code receiveBufferSize}</td><td>kernel's</td><td>{@code SO_RCVBUF}</td></tr>
 * <tr><td>{@code sendBufferSize}</td><td>kernel's</td><td>{@code SO_SNDBUF}</td></tr>
 * </table>
 */
public final class SocketOptions {

    private static final SocketOptions DEFAULTS = new Builder().build();

    private final String bindAddress;
    private final boolean ipv6;
    private final int backlog;
    private final boolean reuseAddress;
    private final boolean noDelay;
    private final boolean keepAlive;
    private final Duration linger;
    private final int receiveBufferSize;
    private final int sendBufferSize;

    private SocketOptions(Builder builder) {
        this.bindAddress = builder.bindAddress;
        this.ipv6 = builder.ipv6;
        this.backlog = builder.backlog;
        this.reuseAddress = builder.reuseAddress;
        this.noDelay = builder.noDelay;
        this.keepAlive = builder.keepAlive;
        this.linger = builder.linger;
        this.receiveBufferSize = builder.receiveBufferSize;
        this.sendBufferSize = builder.sendBufferSize;
    }

    /**
     * The defaults listed in the class description.
     *
     * @return the default options
     */
    public static SocketOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from these options.
     *
     * @return a new builder holding these values
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Returns the address to listen on, as given: an IP literal, {@code "localhost"} or a host name.
     *
     * @return the address to listen on, as given: an IP literal, {@code "localhost"} or a host name
     */
    public String bindAddress() {
        return bindAddress;
    }

    /**
     * Returns whether binding the IPv4 wildcard listens on the IPv6 wildcard (dual stack) instead.
     *
     * @return whether binding the IPv4 wildcard listens on the IPv6 wildcard (dual stack) instead
     */
    public boolean ipv6() {
        return ipv6;
    }

    /**
     * Returns the listen backlog.
     *
     * @return the listen backlog
     */
    public int backlog() {
        return backlog;
    }

    /**
     * Returns whether {@code SO_REUSEADDR} is set on the listen socket.
     *
     * @return whether {@code SO_REUSEADDR} is set on the listen socket
     */
    public boolean reuseAddress() {
        return reuseAddress;
    }

    /**
     * Returns whether {@code TCP_NODELAY} is set on accepted sockets.
     *
     * @return whether {@code TCP_NODELAY} is set on accepted sockets
     */
    public boolean noDelay() {
        return noDelay;
    }

    /**
     * Returns whether {@code SO_KEEPALIVE} is set on accepted sockets.
     *
     * @return whether {@code SO_KEEPALIVE} is set on accepted sockets
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /**
     * Returns the {@code SO_LINGER} time, or empty when lingering is off (the kernel's default).
     *
     * @return the {@code SO_LINGER} time, or empty when lingering is off (the kernel's default)
     */
    public Optional<Duration> linger() {
        return Optional.ofNullable(linger);
    }

    /**
     * Returns the {@code SO_RCVBUF} size in bytes, or 0 for the kernel's default.
     *
     * @return the {@code SO_RCVBUF} size in bytes, or 0 for the kernel's default
     */
    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    /**
     * Returns the {@code SO_SNDBUF} size in bytes, or 0 for the kernel's default.
     *
     * @return the {@code SO_SNDBUF} size in bytes, or 0 for the kernel's default
     */
    public int sendBufferSize() {
        return sendBufferSize;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SocketOptions that
                && bindAddress.equals(that.bindAddress) && ipv6 == that.ipv6 && backlog == that.backlog
                && reuseAddress == that.reuseAddress && noDelay == that.noDelay && keepAlive == that.keepAlive
                && Objects.equals(linger, that.linger) && receiveBufferSize == that.receiveBufferSize
                && sendBufferSize == that.sendBufferSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(bindAddress, ipv6, backlog, reuseAddress, noDelay, keepAlive, linger,
                receiveBufferSize, sendBufferSize);
    }

    @Override
    public String toString() {
        return "SocketOptions[bindAddress=" + bindAddress + ", ipv6=" + ipv6 + ", backlog=" + backlog
                + ", reuseAddress=" + reuseAddress + ", noDelay=" + noDelay + ", keepAlive=" + keepAlive
                + ", linger=" + linger + ", receiveBufferSize=" + receiveBufferSize
                + ", sendBufferSize=" + sendBufferSize + "]";
    }

    /** Builds {@link SocketOptions}; every setter checks its value and names the option it rejects. */
    public static final class Builder {
        private String bindAddress = "0.0.0.0";
        private boolean ipv6 = false;
        private int backlog = 1024;
        private boolean reuseAddress = true;
        private boolean noDelay = true;
        private boolean keepAlive = false;
        private Duration linger = null;
        private int receiveBufferSize = 0;
        private int sendBufferSize = 0;

        private Builder() { }

        private Builder(SocketOptions options) {
            this.bindAddress = options.bindAddress;
            this.ipv6 = options.ipv6;
            this.backlog = options.backlog;
            this.reuseAddress = options.reuseAddress;
            this.noDelay = options.noDelay;
            this.keepAlive = options.keepAlive;
            this.linger = options.linger;
            this.receiveBufferSize = options.receiveBufferSize;
            this.sendBufferSize = options.sendBufferSize;
        }

        /**
         * The local address to listen on. {@code "0.0.0.0"} (the default) listens on every IPv4
         * address; {@code "::"} on every IPv6 and IPv4 address (dual stack); {@code "localhost"},
         * {@code "127.0.0.1"} or {@code "::1"} on loopback only. Host names are resolved when the
         * server starts.
         *
         * @param address an IPv4 or IPv6 literal (brackets optional) or a host name
         * @return this builder
         * @throws IllegalArgumentException naming {@code bindAddress} if the text cannot be an address
         */
        public Builder bindAddress(String address) {
            this.bindAddress = BindAddresses.check(address);
            return this;
        }

        /**
         * Whether to listen on IPv6 as well, as glisten's {@code with_ipv6}: when the bind address is
         * the IPv4 wildcard {@code "0.0.0.0"}, listen on {@code "::"} instead, which accepts both
         * IPv6 and IPv4 clients. A specific bind address is used as given. Default {@code false}.
         *
         * @param ipv6 whether to widen the wildcard to dual stack
         * @return this builder
         */
        public Builder ipv6(boolean ipv6) {
            this.ipv6 = ipv6;
            return this;
        }

        /**
         * How many connections the kernel queues while no acceptor is taking them; the kernel caps it
         * at {@code net.core.somaxconn}. Default 1024.
         *
         * @param backlog at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code backlog} if below 1
         */
        public Builder backlog(int backlog) {
            if (backlog < 1) {
                throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
            }
            this.backlog = backlog;
            return this;
        }

        /**
         * {@code SO_REUSEADDR} on the listen socket: lets a restarted server bind its port while
         * connections of the previous one are in {@code TIME_WAIT}. It does not let two live
         * servers share a port. Default {@code true}.
         *
         * @param reuseAddress whether to set it
         * @return this builder
         */
        public Builder reuseAddress(boolean reuseAddress) {
            this.reuseAddress = reuseAddress;
            return this;
        }

        /**
         * {@code TCP_NODELAY} on accepted sockets: small writes go out at once instead of waiting
         * (Nagle's algorithm) to be merged, which suits request/response protocols. Default {@code true}.
         *
         * @param noDelay whether to set it
         * @return this builder
         */
        public Builder noDelay(boolean noDelay) {
            this.noDelay = noDelay;
            return this;
        }

        /**
         * {@code SO_KEEPALIVE} on accepted sockets: the kernel probes idle connections (after two
         * hours by default on Linux) and resets dead ones. Default {@code false}.
         *
         * @param keepAlive whether to set it
         * @return this builder
         */
        public Builder keepAlive(boolean keepAlive) {
            this.keepAlive = keepAlive;
            return this;
        }

        /**
         * {@code SO_LINGER} on accepted sockets: closing blocks (the connection's own thread) up to
         * this long while unsent data drains; {@link Duration#ZERO} resets the connection on close
         * instead of the normal FIN. Whole seconds, at most 65535. Default: off.
         *
         * @param linger how long close may wait, or {@code null} to turn lingering off
         * @return this builder
         * @throws IllegalArgumentException naming {@code linger} if negative or over 65535 seconds
         */
        public Builder linger(Duration linger) {
            if (linger != null && (linger.isNegative() || linger.getSeconds() > 65_535)) {
                throw new IllegalArgumentException("linger must be between 0 and 65535 seconds, got " + linger);
            }
            this.linger = linger;
            return this;
        }

        /**
         * {@code SO_RCVBUF} in bytes; 0 (the default) leaves the kernel's automatic tuning on.
         *
         * @param bytes 0 or more
         * @return this builder
         * @throws IllegalArgumentException naming {@code receiveBufferSize} if negative
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = nonNegative("receiveBufferSize", bytes);
            return this;
        }

        /**
         * {@code SO_SNDBUF} in bytes; 0 (the default) leaves the kernel's automatic tuning on.
         *
         * @param bytes 0 or more
         * @return this builder
         * @throws IllegalArgumentException naming {@code sendBufferSize} if negative
         */
        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = nonNegative("sendBufferSize", bytes);
            return this;
        }

        /**
         * Builds the options.
         *
         * @return immutable options
         */
        public SocketOptions build() {
            return new SocketOptions(this);
        }

        private static int nonNegative(String option, int value) {
            if (value < 0) {
                throw new IllegalArgumentException(option + " must be 0 (the kernel's default) or more, got " + value);
            }
            return value;
        }
    }
}
