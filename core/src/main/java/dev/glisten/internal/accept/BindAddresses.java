package dev.glisten.internal.accept;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/** Checks bind addresses when they are configured and resolves them when a socket binds. */
public final class BindAddresses {

    private static final Pattern LOOKS_LIKE_IPV4 = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    // RFC 1123 host names: letters, digits and hyphens in dot-separated labels.
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");

    private BindAddresses() { }

    /**
     * Returns {@code address} if it can name a local address: a valid IPv4 or IPv6 literal or a
     * syntactically valid host name. Never touches DNS.
     *
     * @throws IllegalArgumentException naming {@code bindAddress} otherwise
     */
    public static String check(String address) {
        Objects.requireNonNull(address, "bindAddress");
        if (address.indexOf(':') >= 0 || address.startsWith("[")) {
            try {
                // Brackets make InetAddress treat the text as an IPv6 literal and never look it up.
                InetAddress.getByName(bracketed(address));
            } catch (UnknownHostException | IllegalArgumentException e) {
                throw invalid(address, "is not a valid IPv6 address");
            }
        } else if (LOOKS_LIKE_IPV4.matcher(address).matches()) {
            if (!IPV4.matcher(address).matches()) {
                throw invalid(address, "is not a valid IPv4 address");
            }
        } else if (!HOST_NAME.matcher(address).matches() || address.length() > 253) {
            throw invalid(address, "is neither an IP address nor a host name");
        }
        return address;
    }

    /**
     * Resolves a checked bind address. With {@code ipv6}, the IPv4 wildcard becomes the IPv6
     * wildcard, which Linux makes dual stack.
     */
    public static InetAddress resolve(String address, boolean ipv6) throws UnknownHostException {
        if (ipv6 && address.equals("0.0.0.0")) {
            return InetAddress.getByName("::");
        }
        return InetAddress.getByName(address.indexOf(':') >= 0 ? bracketed(address) : address);
    }

    private static String bracketed(String address) {
        return address.startsWith("[") ? address : "[" + address + "]";
    }

    private static IllegalArgumentException invalid(String address, String problem) {
        return new IllegalArgumentException("bindAddress \"" + address + "\" " + problem
                + " (use an IPv4 or IPv6 literal such as 0.0.0.0, 127.0.0.1, :: or ::1, or a host name such as localhost)");
    }
}
