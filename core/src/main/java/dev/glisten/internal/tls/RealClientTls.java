package dev.glisten.internal.tls;

import dev.glisten.ClientTls;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * A loaded {@link ClientTls}: the {@link SSLContext} its engines come from (which also holds the
 * sessions a later connection to the same server may resume) and the parameters every engine gets.
 * Immutable.
 */
public final class RealClientTls implements ClientTls {

    private static final String DEFAULT_CAS = "the JDK's default CAs";
    private static final String ALERT = "Received fatal alert: ";
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(%.+)?");

    private static final ReentrantLock DEFAULTS_LOCK = new ReentrantLock();
    // Guarded by DEFAULTS_LOCK; made at the first use, so a program that never needs the JDK's
    // default CAs never reads them, and one that does reads them once.
    private static RealClientTls defaults;

    private final ClientTlsSettings settings;
    private final SSLContext context;
    private final String[] protocols;
    private final String[] cipherSuites;

    private RealClientTls(ClientTlsSettings settings, SSLContext context, String[] protocols, String[] cipherSuites) {
        this.settings = settings;
        this.context = context;
        this.protocols = protocols;
        this.cipherSuites = cipherSuites;
    }

    /** What {@link ClientTls#defaults()} returns. */
    public static RealClientTls defaults() {
        DEFAULTS_LOCK.lock();
        try {
            if (defaults == null) {
                defaults = load(new ClientTlsSettings(null, null, null, true, null, List.of(),
                        TlsOptions.DEFAULT_PROTOCOLS, null, TlsOptions.DEFAULT_HANDSHAKE_TIMEOUT));
            }
            return defaults;
        } finally {
            DEFAULTS_LOCK.unlock();
        }
    }

    /**
     * Reads every source of {@code settings} and checks that protocols and suites exist.
     *
     * @throws dev.glisten.TlsConfigException naming what is at fault
     */
    public static RealClientTls load(ClientTlsSettings settings) {
        SSLContext context = settings.sslContext();
        if (context == null) {
            KeyManager[] identity = settings.identity() == null ? null : settings.identity().load().keyManagers();
            TrustManager[] trust = settings.trust() == null ? TrustAnchors.jdkDefaults()
                    : TrustAnchors.trustManagers(settings.trust().load());
            String trusted = settings.trust() == null ? DEFAULT_CAS : "the " + settings.trust();
            context = SslContexts.create(identity, ExplainingTrustManager.wrap(trust, trusted));
        }
        SSLParameters supported = context.getSupportedSSLParameters();
        String[] protocols = TlsOptions.known("clientTls protocols", settings.protocols(), supported.getProtocols());
        TlsOptions.refuseDisabled("clientTls protocols", protocols, "no server could be reached");
        String[] suites = settings.cipherSuites() == null ? context.getDefaultSSLParameters().getCipherSuites()
                : TlsOptions.known("clientTls cipherSuites", settings.cipherSuites(), supported.getCipherSuites());
        return new RealClientTls(settings, context, protocols, suites);
    }

    @Override
    public Duration handshakeTimeout() {
        return settings.handshakeTimeout();
    }

    /**
     * A client-side engine for one connection to {@code host}: it verifies the server's certificate
     * against the {@code serverName} option if set, else {@code host}, and sends that name as SNI
     * (RFC 6066 section 3) unless it is an IP address, which SNI cannot carry.
     *
     * @param host what the connection was made to: a host name or an IP address, IPv6 with or
     *     without brackets
     * @param port the server's port, with the name the key of the JDK's session cache
     */
    public SSLEngine newEngine(String host, int port) {
        String name = plain(settings.serverName() != null ? settings.serverName() : host);
        // The engine's peer host is the name to verify: the JDK's trust manager checks the SNI name
        // and, if that fails and the peer host differs, tries the peer host, which must not pass
        // for a name the user did not ask for.
        SSLEngine engine = context.createSSLEngine(name, port);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(protocols);
        parameters.setCipherSuites(cipherSuites);
        parameters.setApplicationProtocols(settings.applicationProtocols().toArray(String[]::new));
        // Set even when empty: the JDK's own default sends none for a name without a dot ("localhost").
        parameters.setServerNames(sniName(name).map(sni -> List.<SNIServerName>of(sni)).orElse(List.of()));
        // "HTTPS" is RFC 2818's check (subject alternative DNS names, with wildcards, or IP
        // addresses for an address), the one every TLS client makes, whatever the protocol.
        parameters.setEndpointIdentificationAlgorithm(settings.verifyHostname() ? "HTTPS" : null);
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * The exception to end a connection with for {@code failure}, in words that say what did not
     * match where glisten knows more than the JDK's message; the JDK's exception is the cause.
     */
    public SSLException explain(SSLException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ExplainingTrustManager.Refusal refusal) {
                return withCause(refusal.getMessage(), failure);
            }
        }
        String message = String.valueOf(failure.getMessage());
        int at = message.indexOf(ALERT);
        String alert = at < 0 ? "" : message.substring(at + ALERT.length()).trim();
        boolean ownCertificate = settings.identity() != null || settings.sslContext() != null;
        // RFC 8446 section 4.4.2.4: a TLS 1.3 server that needs a certificate it did not get. It
        // comes after the client's handshake is over, so it may surface at the first read.
        if (alert.equals("certificate_required")) {
            return withCause("the server requires a client certificate" + (ownCertificate
                    ? " and refused to go on without one (was the configured one not issued by a CA it asked for?)"
                    : "; give one with ClientTls.Builder.certificate"), failure);
        }
        if (ownCertificate && List.of("bad_certificate", "unknown_ca", "certificate_unknown", "certificate_expired",
                "certificate_revoked", "unsupported_certificate", "access_denied").contains(alert)) {
            return withCause("the server refused the client certificate (alert " + alert + ")", failure);
        }
        return failure;
    }

    private static SSLException withCause(String message, SSLException cause) {
        SSLException explained = new SSLHandshakeException(message);
        explained.initCause(cause);
        return explained;
    }

    /** The name as certificates spell it: an IPv6 address without brackets, a DNS name without the root's dot. */
    private static String plain(String host) {
        if (host.startsWith("[") && host.endsWith("]")) {
            return host.substring(1, host.length() - 1);
        }
        return host.endsWith(".") && host.length() > 1 ? host.substring(0, host.length() - 1) : host;
    }

    /** The SNI name for {@code name}, empty for an address or a name SNI cannot carry. */
    private static Optional<SNIHostName> sniName(String name) {
        if (isIpLiteral(name)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new SNIHostName(name));
        } catch (IllegalArgumentException notAHostName) {
            // Such as a name with an underscore, which DNS allows but host names (RFC 952) do not.
            return Optional.empty();
        }
    }

    /**
     * Whether {@code host} is an IP address rather than a name, decided by its form alone (no DNS
     * lookup): hexadecimal digits and colons, maybe a zone, for IPv6 (RFC 4007 section 11); digits
     * and dots for IPv4, in any of the forms {@code inet_aton(3)} reads, which are never host names
     * since no top-level domain is numeric.
     */
    static boolean isIpLiteral(String host) {
        return IP_LITERAL.matcher(host).matches();
    }

    /**
     * Checks a {@code serverName} option.
     *
     * @throws IllegalArgumentException naming {@code serverName} if it is neither a host name nor an
     *     IP address
     */
    public static String checkServerName(String name) {
        String plain = plain(name);
        if (!isIpLiteral(plain) && sniName(plain).isEmpty()) {
            throw new IllegalArgumentException("serverName: \"" + name + "\" is neither a DNS host name nor an IP address");
        }
        return name;
    }

    @Override
    public String toString() {
        return "ClientTls[" + (settings.sslContext() != null ? "sslContext " + settings.sslContext().getProtocol()
                : "trusting " + (settings.trust() == null ? DEFAULT_CAS : settings.trust())
                        + (settings.identity() == null ? "" : ", client certificate from " + settings.identity()))
                + (settings.verifyHostname() ? "" : ", host names NOT verified")
                + (settings.serverName() == null ? "" : ", server name " + settings.serverName())
                + ", " + String.join("/", protocols)
                + (settings.applicationProtocols().isEmpty() ? "" : ", alpn " + settings.applicationProtocols())
                + "]";
    }
}
