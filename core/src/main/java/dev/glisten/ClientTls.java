package dev.glisten;

import dev.glisten.internal.tls.ClientTlsSettings;
import dev.glisten.internal.tls.IdentitySource;
import dev.glisten.internal.tls.RealClientTls;
import dev.glisten.internal.tls.TlsOptions;
import dev.glisten.internal.tls.TrustSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How a client speaks TLS to the server it connects to: which CAs it trusts, which name the
 * server's certificate must carry, the ALPN protocols it offers, its own certificate for mutual TLS,
 * protocol versions and the handshake timeout. {@link #defaults()} is what a browser does: trust
 * the JDK's default CAs and check that the certificate names the host connected to.
 *
 * <pre>{@code
 * ClientTls tls = ClientTls.builder()
 *         .trustedCertificates(Path.of("internal-ca.pem"))
 *         .applicationProtocols("h2", "http/1.1")
 *         .build();
 * }</pre>
 *
 * <p>The handshake sends the host name as SNI (RFC 6066; never for an IP address, which SNI
 * cannot carry), verifies the server's chain to a trusted CA (PKIX, RFC 5280) and its name
 * (RFC 2818: its DNS names, or its IP addresses when connecting to an address). A server that
 * fails either ends the connection with {@link CloseReason.TlsHandshakeFailed}, whose message says
 * what did not match: {@code "the server's certificate does not match the name db.internal (its
 * names: DNS:web.internal)"}. {@link Connection#tls()} then shows the negotiated protocol and the
 * server's verified chain.
 *
 * <p>Immutable. The builder reads and checks every file at once, so a wrong path fails where the
 * client is configured, with a {@link TlsConfigException} naming the file, not at the first
 * connection.
 */
public sealed interface ClientTls permits RealClientTls {

    /**
     * TLS 1.3 and 1.2, the JDK's default CAs (its {@code cacerts}, or the trust store the
     * {@code javax.net.ssl.trustStore} system property names), host name verification on, no ALPN,
     * no client certificate, a 10 second handshake timeout. The trust store is read once, at the
     * first call.
     *
     * @return the default configuration
     * @throws TlsConfigException if the JDK's trust store cannot be read
     */
    static ClientTls defaults() {
        return RealClientTls.defaults();
    }

    /**
     * Starts describing client TLS; every option not given keeps its {@link #defaults()} value.
     *
     * @return a builder with every option at its default
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * The handshake timeout this configuration was built with.
     *
     * @return see {@link Builder#handshakeTimeout(Duration)}
     */
    Duration handshakeTimeout();

    /**
     * Describes client TLS. Setters check their value at once and throw
     * {@link IllegalArgumentException} naming the option; {@link #build()} reads the files and
     * checks that the options fit together.
     */
    final class Builder {
        private TrustSource trust;
        private boolean verifyHostname = true;
        private String serverName;
        private List<String> applicationProtocols = List.of();
        private IdentitySource identity;
        private List<String> protocols = TlsOptions.DEFAULT_PROTOCOLS;
        private List<String> cipherSuites;
        private Duration handshakeTimeout = TlsOptions.DEFAULT_HANDSHAKE_TIMEOUT;
        private SSLContext sslContext;

        private Builder() { }

        /**
         * Trusts the CA certificates of a PEM file (one or more {@code CERTIFICATE} blocks)
         * instead of the JDK's default CAs: a server's chain must lead to one of them. For servers
         * with certificates from a private CA, or a self-signed one (give the certificate itself).
         * Default: the JDK's default CAs.
         *
         * @param caPemFile PEM file of CA certificates
         * @return this builder
         */
        public Builder trustedCertificates(Path caPemFile) {
            this.trust = TrustSource.file(Objects.requireNonNull(caPemFile, "trustedCertificates"));
            return this;
        }

        /**
         * As {@link #trustedCertificates(Path)}, from PEM text in memory.
         *
         * @param caPem PEM text of CA certificates
         * @return this builder
         */
        public Builder trustedCertificatesPem(String caPem) {
            this.trust = TrustSource.text(Objects.requireNonNull(caPem, "trustedCertificatesPem"));
            return this;
        }

        /**
         * Accepts a server certificate whatever names it carries. <strong>Dangerous:</strong> the
         * chain is still verified against the trusted CAs, but any certificate those CAs issued, to
         * anyone, for any name, is accepted, so whoever can intercept the connection and holds such
         * a certificate can read and change everything. For tests, and for private CAs that issue
         * certificates to one service only. Default: host names are verified.
         *
         * @return this builder
         */
        public Builder disableHostnameVerification() {
            this.verifyHostname = false;
            return this;
        }

        /**
         * The name the server's certificate must carry, also sent as SNI, instead of the host
         * connected to: for connecting to an address (or a name the certificate does not list)
         * while verifying the service's name, such as connecting to {@code 10.0.0.7} and verifying
         * {@code db.internal}. Default: the host connected to.
         *
         * @param name a DNS host name, or an IP address (then no SNI is sent)
         * @return this builder
         * @throws IllegalArgumentException naming {@code serverName} if it is neither
         */
        public Builder serverName(String name) {
            this.serverName = RealClientTls.checkServerName(Objects.requireNonNull(name, "serverName"));
            return this;
        }

        /**
         * The application protocols to offer with ALPN (RFC 7301), most preferred first; the
         * server picks one, and {@link NegotiatedTls#applicationProtocol()} tells which (empty if
         * the server chose none). Default: none (no ALPN).
         *
         * @param inPreferenceOrder protocol names such as {@code "h2"}, {@code "http/1.1"}
         * @return this builder
         * @throws IllegalArgumentException naming {@code applicationProtocols} if a name is empty,
         *     longer than 255 bytes or repeated
         */
        public Builder applicationProtocols(String... inPreferenceOrder) {
            this.applicationProtocols = TlsOptions.applicationProtocols(inPreferenceOrder);
            return this;
        }

        /**
         * The client certificate chain and key presented to a server that asks for one (mutual
         * TLS), from PEM files. The JDK presents it when the server accepts its key type and, if
         * the server names the CAs it trusts, when one of them issued the chain. Default: none.
         *
         * @param certificateChain PEM file: the client's certificate first, then intermediates
         * @param privateKey PEM file of an unencrypted key (PKCS#8, PKCS#1, SEC1 or Ed25519)
         * @return this builder
         */
        public Builder certificate(Path certificateChain, Path privateKey) {
            return certificate(certificateChain, privateKey, null);
        }

        /**
         * As {@link #certificate(Path, Path)}, with the password of an encrypted PKCS#8 key.
         *
         * @param certificateChain PEM file: the client's certificate first, then intermediates
         * @param privateKey PEM file of the key
         * @param keyPassword the key's password, or {@code null} for an unencrypted key
         * @return this builder
         */
        public Builder certificate(Path certificateChain, Path privateKey, char[] keyPassword) {
            this.identity = IdentitySource.pemFiles(Objects.requireNonNull(certificateChain, "certificateChain"),
                    Objects.requireNonNull(privateKey, "privateKey"), keyPassword);
            return this;
        }

        /**
         * The client certificate chain and key from PEM text in memory.
         *
         * @param certificateChainPem the chain's {@code CERTIFICATE} blocks, the client's first
         * @param privateKeyPem the key's block
         * @param keyPassword the key's password, or {@code null}
         * @return this builder
         */
        public Builder certificatePem(String certificateChainPem, String privateKeyPem, char[] keyPassword) {
            this.identity = IdentitySource.pemText(Objects.requireNonNull(certificateChainPem, "certificateChainPem"),
                    Objects.requireNonNull(privateKeyPem, "privateKeyPem"), keyPassword);
            return this;
        }

        /**
         * Which TLS versions to offer; the server picks the highest it also speaks, and one that
         * speaks none of them fails the handshake. Default: TLS 1.3 and 1.2, as for servers;
         * versions before 1.2 are broken (RFC 8996).
         *
         * @param versions as the JDK names them, such as {@code "TLSv1.3"}
         * @return this builder
         * @throws IllegalArgumentException naming {@code protocols} when empty; {@link #build()}
         *     refuses names this JDK does not know or has disabled
         */
        public Builder protocols(String... versions) {
            this.protocols = TlsOptions.protocols(versions);
            return this;
        }

        /**
         * Which cipher suites to offer, in the JDK's names; the server picks one. Default: the
         * JDK's own set, strong suites only, kept current by JDK updates.
         *
         * @param suites such as {@code "TLS_AES_256_GCM_SHA384"}
         * @return this builder
         * @throws IllegalArgumentException naming {@code cipherSuites} when empty; {@link #build()}
         *     refuses names this JDK does not know
         */
        public Builder cipherSuites(String... suites) {
            this.cipherSuites = TlsOptions.cipherSuites(suites);
            return this;
        }

        /**
         * How long the handshake may take, counted from its start, at most: when it passes, a
         * server that never answers, answers too slowly or does not speak TLS fails the
         * connection with a timeout. Default: 10 seconds.
         *
         * @param timeout more than zero, at most a day
         * @return this builder
         * @throws IllegalArgumentException naming {@code handshakeTimeout} otherwise
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = TlsOptions.handshakeTimeout(timeout);
            return this;
        }

        /**
         * A ready {@link SSLContext}, for those who already build one (a custom trust manager, a
         * key in an HSM). It replaces the trust and client-certificate options, and its own trust
         * managers decide which servers to trust (their refusals are not explained further); the
         * host name, server name, protocol, cipher, ALPN and timeout options still apply.
         *
         * @param context an initialized context
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "sslContext");
            return this;
        }

        /**
         * Reads every file and checks the whole configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException if {@link #sslContext} is given with trusted
         *     certificates or a client certificate, which it replaces
         * @throws TlsConfigException naming the file at fault and how to fix it: missing, not
         *     PEM, without a certificate, a key encrypted without a password or not matching its
         *     certificate; or an unknown protocol or cipher suite
         */
        public ClientTls build() {
            if (sslContext != null && (trust != null || identity != null)) {
                throw new IllegalArgumentException("clientTls: sslContext replaces trustedCertificates and certificate; "
                        + "configure those in the SSLContext, or drop sslContext");
            }
            return RealClientTls.load(new ClientTlsSettings(identity, sslContext, trust, verifyHostname, serverName,
                    applicationProtocols, protocols, cipherSuites, handshakeTimeout));
        }
    }
}
