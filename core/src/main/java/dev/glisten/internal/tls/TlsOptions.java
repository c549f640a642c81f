package dev.glisten.internal.tls;

import dev.glisten.ClientTls;
import dev.glisten.Tls;
import dev.glisten.TlsConfigException;
import java.nio.charset.StandardCharsets;
import java.security.Security;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The options {@link Tls.Builder} and {@link ClientTls.Builder} share: their defaults, declared
 * once, and their checks, so that both sides refuse the same mistakes with the same words.
 */
public final class TlsOptions {

    /** TLS 1.3 and 1.2: older versions are broken (RFC 8996). */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private TlsOptions() { }

    /**
     * ALPN protocol names (RFC 7301 section 3.1: 1 to 255 bytes each), in preference order.
     *
     * @throws IllegalArgumentException naming {@code applicationProtocols} if a name is empty,
     *     too long or repeated
     */
    public static List<String> applicationProtocols(String... inPreferenceOrder) {
        List<String> names = List.of(inPreferenceOrder);
        for (String name : names) {
            int length = name.getBytes(StandardCharsets.UTF_8).length;
            if (length == 0 || length > 255) {
                throw new IllegalArgumentException("applicationProtocols: a protocol name must be 1 to 255 bytes, got \""
                        + name + "\"");
            }
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("applicationProtocols: a protocol is named twice in " + names);
        }
        return names;
    }

    /**
     * TLS versions; whether this JDK knows them is checked by {@link #known} at build time.
     *
     * @throws IllegalArgumentException naming {@code protocols} if none is given
     */
    public static List<String> protocols(String... versions) {
        if (versions.length == 0) {
            throw new IllegalArgumentException("protocols: name at least one TLS version, such as \"TLSv1.3\"");
        }
        return List.of(versions);
    }

    /**
     * Cipher suites; whether this JDK knows them is checked by {@link #known} at build time.
     *
     * @throws IllegalArgumentException naming {@code cipherSuites} if none is given
     */
    public static List<String> cipherSuites(String... suites) {
        if (suites.length == 0) {
            throw new IllegalArgumentException("cipherSuites: name at least one suite, such as \"TLS_AES_128_GCM_SHA256\"");
        }
        return List.of(suites);
    }

    /**
     * A handshake timeout: positive, and at most a day, which no real handshake needs.
     *
     * @throws IllegalArgumentException naming {@code handshakeTimeout} otherwise
     */
    public static Duration handshakeTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "handshakeTimeout");
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("handshakeTimeout must be positive and at most a day, got " + timeout);
        }
        return timeout;
    }

    /**
     * Checks that this JDK supports every one of {@code names}.
     *
     * @param option how messages call the option, such as {@code "tls protocols"}
     * @throws TlsConfigException naming the option, the unknown name and what is supported
     */
    static String[] known(String option, List<String> names, String[] supported) {
        Set<String> available = Set.of(supported);
        for (String name : names) {
            if (!available.contains(name)) {
                throw new TlsConfigException(option + ": \"" + name + "\" is not supported by this JDK. "
                        + "Supported: " + String.join(", ", new LinkedHashSet<>(Arrays.asList(supported))));
            }
        }
        return names.toArray(String[]::new);
    }

    /**
     * A protocol the JDK knows but its security policy turns off (TLS 1.0 and 1.1 since JDK 16)
     * would fail every handshake: refuse it here instead.
     *
     * @param option how messages call the option, such as {@code "tls protocols"}
     * @param consequence what would happen, such as {@code "no client could connect"}
     */
    static void refuseDisabled(String option, String[] protocols, String consequence) {
        String policy = Security.getProperty("jdk.tls.disabledAlgorithms");
        if (policy == null) {
            return;
        }
        Set<String> disabled = new HashSet<>();
        for (String entry : policy.split(",")) {
            disabled.add(entry.trim().toLowerCase(Locale.ROOT));
        }
        for (String protocol : protocols) {
            if (disabled.contains(protocol.toLowerCase(Locale.ROOT))) {
                throw new TlsConfigException(option + ": \"" + protocol + "\" is disabled in this JDK by the "
                        + "security property jdk.tls.disabledAlgorithms (conf/security/java.security), so "
                        + consequence + ". Use TLSv1.3 and TLSv1.2, or remove it from that property if you must");
            }
        }
    }
}
