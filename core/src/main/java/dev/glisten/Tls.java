package dev.glisten;

import dev.glisten.internal.tls.IdentitySource;
import dev.glisten.internal.tls.RealTls;
import dev.glisten.internal.tls.TlsOptions;
import dev.glisten.internal.tls.TlsSettings;
import dev.glisten.internal.tls.TrustSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How a server speaks TLS: its certificate and key (or several, chosen by the name the client asks
 * for), ALPN protocols, client certificates, protocol versions and the handshake timeout. Made by
 * {@link #builder()} (or {@link #fromPemFiles} for the common case), which reads and checks every
 * file at once, so a wrong file fails at start with a message naming it, not at the first handshake.
 *
 * <pre>{@code
 * Server server = Server.builder(onInit, handler)
 *         .tls(Tls.fromPemFiles(Path.of("fullchain.pem"), Path.of("privkey.pem")))
 *         .start(8443);
 * }</pre>
 *
 * <p>The handler is the same for TLS and plain TCP: {@link Message.Packet}s carry the decrypted
 * bytes and {@link Connection#send} encrypts. The handshake runs on the connection's own virtual
 * thread before {@link OnInit}, so {@code onInit} already sees {@link Connection#tls()}: the
 * negotiated protocol, the server name and the client's certificates. A handshake that fails or
 * does not finish within the {@linkplain Builder#handshakeTimeout handshake timeout} ends that
 * connection only ({@link CloseReason.TlsHandshakeFailed}, logged at DEBUG).
 *
 * <p>A {@code Tls} is immutable. {@link #reloaded()} reads its files again; a running server swaps
 * to new material with {@link Server#reloadTls()} or by itself with
 * {@link Builder#reloadWhenFilesChange(Duration)}. A plain connection can upgrade itself with
 * {@link Connection#startTls(Tls)} (STARTTLS).
 *
 * <p>The low-level API takes the same configuration:
 * {@link dev.glisten.socket.ListenSocket#listen(int, dev.glisten.socket.SocketOptions, Tls)} and
 * {@link dev.glisten.socket.ClientSocket#startTls(Tls, Duration)}.
 */
public sealed interface Tls permits RealTls {

    /**
     * TLS with one certificate chain and its key, both from PEM files (glisten's
     * {@code certfile}/{@code keyfile}), and every other option at its default.
     *
     * @param certificateChain PEM file of the server's certificate, then its intermediates
     * @param privateKey PEM file of the key: PKCS#8, PKCS#1 ({@code RSA PRIVATE KEY}), SEC1
     *     ({@code EC PRIVATE KEY}) or Ed25519; may be the same file as the chain
     * @return the loaded configuration
     * @throws TlsConfigException naming the file and the fix if a file is missing, is not PEM,
     *     holds an encrypted key, or the key does not belong to the certificate
     */
    static Tls fromPemFiles(Path certificateChain, Path privateKey) {
        return builder().certificate(certificateChain, privateKey).build();
    }

    /**
     * Starts describing TLS; at least one of {@link Builder#certificate}, {@link Builder#pkcs12}
     * or {@link Builder#sslContext} must be given.
     *
     * @return a builder with every option at its default
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Reads every file this configuration came from again, for example after a certificate renewal.
     * Material given in memory or as an {@link SSLContext} is reused as it is.
     *
     * @return a new configuration with the same options and the files' current contents
     * @throws TlsConfigException naming the file and the fix if the new contents are unusable
     *     (this configuration is unchanged)
     */
    Tls reloaded();

    /**
     * The files this configuration reads: certificates, keys, keystores and CA files.
     *
     * @return the paths, empty when everything came from memory or an {@link SSLContext}
     */
    List<Path> files();

    /**
     * The handshake timeout this configuration was built with.
     *
     * @return see {@link Builder#handshakeTimeout(Duration)}
     */
    Duration handshakeTimeout();

    /**
     * Whether a client must, may, or may not present a certificate (mutual TLS).
     */
    enum ClientAuth {
        /** The server does not ask for a client certificate. The default. */
        NONE,
        /** The server asks; a client without one is accepted, a client with an untrusted one is not. */
        OPTIONAL,
        /** The server asks, and refuses the handshake of a client without a trusted certificate. */
        REQUIRED
    }

    /**
     * Describes TLS. Setters check their value at once and throw {@link IllegalArgumentException}
     * naming the option; {@link #build()} reads the files and checks that they fit together.
     */
    final class Builder {
        private IdentitySource identity;
        private final Map<String, IdentitySource> serverNameIdentities = new LinkedHashMap<>();
        private SSLContext sslContext;
        private Path trustedCertificatesFile;
        private String trustedCertificatesPem;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private List<String> applicationProtocols = List.of();
        private List<String> protocols = TlsOptions.DEFAULT_PROTOCOLS;
        private List<String> cipherSuites;
        private Duration handshakeTimeout = TlsOptions.DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration reloadInterval;

        private Builder() { }

        /**
         * The certificate chain and key the server presents (to clients that ask for no server name
         * or a name no {@link #certificate(String, Path, Path)} matches), from PEM files.
         *
         * @param certificateChain PEM file: the server's certificate first, then intermediates
         * @param privateKey PEM file of an unencrypted key (PKCS#8, PKCS#1, SEC1 or Ed25519)
         * @return this builder
         */
        public Builder certificate(Path certificateChain, Path privateKey) {
            return certificate(certificateChain, privateKey, null);
        }

        /**
         * As {@link #certificate(Path, Path)}, with the password of an encrypted PKCS#8 key
         * ({@code BEGIN ENCRYPTED PRIVATE KEY}, as {@code openssl pkcs8 -topk8 -v2 aes256} writes).
         *
         * @param certificateChain PEM file: the server's certificate first, then intermediates
         * @param privateKey PEM file of the key
         * @param keyPassword the key's password, or {@code null} for an unencrypted key
         * @return this builder
         */
        public Builder certificate(Path certificateChain, Path privateKey, char[] keyPassword) {
            this.identity = IdentitySource.pemFiles(
                    Objects.requireNonNull(certificateChain, "certificateChain"),
                    Objects.requireNonNull(privateKey, "privateKey"), keyPassword);
            return this;
        }

        /**
         * The default certificate chain and key from PEM text in memory, for material that comes
         * from a secret store rather than a file.
         *
         * @param certificateChainPem the chain's {@code CERTIFICATE} blocks, server's first
         * @param privateKeyPem the key's block
         * @param keyPassword the key's password, or {@code null}
         * @return this builder
         */
        public Builder certificatePem(String certificateChainPem, String privateKeyPem, char[] keyPassword) {
            this.identity = IdentitySource.pemText(
                    Objects.requireNonNull(certificateChainPem, "certificateChainPem"),
                    Objects.requireNonNull(privateKeyPem, "privateKeyPem"), keyPassword);
            return this;
        }

        /**
         * The default certificate chain and key from a PKCS#12 keystore holding exactly one key.
         *
         * @param keystore the {@code .p12} / {@code .pfx} file
         * @param password its password (also the key's), or {@code null} for none
         * @return this builder
         */
        public Builder pkcs12(Path keystore, char[] password) {
            this.identity = IdentitySource.pkcs12(Objects.requireNonNull(keystore, "keystore"), password);
            return this;
        }

        /**
         * A certificate for clients that ask for {@code serverName} (SNI, RFC 6066): one server can
         * answer for several names with a certificate each. {@code "*.example.com"} matches one
         * label under {@code example.com}. A client asking for an unknown name, or for none, gets
         * the default certificate.
         *
         * @param serverName a DNS host name, or a wildcard {@code *.} followed by one
         * @param certificateChain PEM file: that name's certificate first, then intermediates
         * @param privateKey PEM file of its key
         * @return this builder
         * @throws IllegalArgumentException naming {@code serverName} if it is not a host name
         */
        public Builder certificate(String serverName, Path certificateChain, Path privateKey) {
            return certificate(serverName, certificateChain, privateKey, null);
        }

        /**
         * As {@link #certificate(String, Path, Path)}, for an encrypted key.
         *
         * @param serverName a DNS host name, or a wildcard {@code *.} followed by one
         * @param certificateChain PEM file: that name's certificate first, then intermediates
         * @param privateKey PEM file of its key
         * @param keyPassword the key's password, or {@code null}
         * @return this builder
         */
        public Builder certificate(String serverName, Path certificateChain, Path privateKey, char[] keyPassword) {
            serverNameIdentities.put(serverName(serverName), IdentitySource.pemFiles(
                    Objects.requireNonNull(certificateChain, "certificateChain"),
                    Objects.requireNonNull(privateKey, "privateKey"), keyPassword));
            return this;
        }

        /**
         * A ready {@link SSLContext}, for those who already build one (from a keystore, an HSM, a
         * custom key manager). It replaces the certificate and trust options; the protocol, cipher,
         * ALPN, client-certificate and timeout options still apply.
         *
         * @param context an initialized context
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "sslContext");
            return this;
        }

        /**
         * Asks clients for a certificate (mutual TLS). {@link ClientAuth#OPTIONAL} and
         * {@link ClientAuth#REQUIRED} need {@link #trustedCertificates(Path)} (or an
         * {@link #sslContext} with its own trust managers). Default {@link ClientAuth#NONE}.
         *
         * @param mode none, optional or required
         * @return this builder
         */
        public Builder clientAuth(ClientAuth mode) {
            this.clientAuth = Objects.requireNonNull(mode, "clientAuth");
            return this;
        }

        /**
         * The CA certificates that client certificates must chain to, from a PEM file of one or
         * more {@code CERTIFICATE} blocks. Without it no client certificate is trusted.
         *
         * @param caFile PEM file of CA certificates
         * @return this builder
         */
        public Builder trustedCertificates(Path caFile) {
            this.trustedCertificatesFile = Objects.requireNonNull(caFile, "trustedCertificates");
            this.trustedCertificatesPem = null;
            return this;
        }

        /**
         * As {@link #trustedCertificates(Path)}, from PEM text in memory.
         *
         * @param caPem PEM text of CA certificates
         * @return this builder
         */
        public Builder trustedCertificatesPem(String caPem) {
            this.trustedCertificatesPem = Objects.requireNonNull(caPem, "trustedCertificatesPem");
            this.trustedCertificatesFile = null;
            return this;
        }

        /**
         * The application protocols the server speaks, most preferred first, for ALPN (RFC 7301):
         * the server picks the first of these the client also offers, and
         * {@link NegotiatedTls#applicationProtocol()} tells which. A client that offers protocols
         * but none of these is refused with the {@code no_application_protocol} alert, as the RFC
         * requires; a client that offers none is accepted. Default: none (no ALPN).
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
         * The TLS versions the server accepts. Default {@code "TLSv1.3", "TLSv1.2"}: older versions
         * are broken (RFC 8996) and off unless named here.
         *
         * @param versions names as the JDK spells them: {@code "TLSv1.3"}, {@code "TLSv1.2"}
         * @return this builder
         * @throws IllegalArgumentException naming {@code protocols} if none is given (unknown names
         *     are refused by {@link #build()})
         */
        public Builder protocols(String... versions) {
            this.protocols = TlsOptions.protocols(versions);
            return this;
        }

        /**
         * The cipher suites the server accepts, as the JDK names them. Default: the JDK's own
         * default set, which has only strong suites and follows the JDK's security updates.
         *
         * @param suites names such as {@code "TLS_AES_256_GCM_SHA384"}
         * @return this builder
         * @throws IllegalArgumentException naming {@code cipherSuites} if none is given (unknown
         *     names are refused by {@link #build()})
         */
        public Builder cipherSuites(String... suites) {
            this.cipherSuites = TlsOptions.cipherSuites(suites);
            return this;
        }

        /**
         * The longest a handshake may take, counted from the moment the connection's thread starts
         * it. A client that connects and sends nothing, sends too slowly, or sends something that
         * is not TLS is closed when it expires, without delaying any other connection. Default 10
         * seconds.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException naming {@code handshakeTimeout} if zero, negative or over a day
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = TlsOptions.handshakeTimeout(timeout);
            return this;
        }

        /**
         * Has a server using this configuration look at its {@linkplain Tls#files() files} every
         * {@code interval} and, when one changed, load them again. New handshakes use the new
         * material; open connections keep theirs. A change that cannot be loaded (a key written
         * before its certificate, a broken file) is logged as a WARNING and the old material stays
         * in service until the files change again. Whether a server watches is decided by the
         * {@code Tls} it starts with; after {@link Server#reloadTls(Tls)} it watches the files of
         * the replacement, at the first configuration's interval. Default: off.
         *
         * @param interval how often to look, at least 100 ms
         * @return this builder
         * @throws IllegalArgumentException naming {@code reloadWhenFilesChange} if shorter than 100 ms
         */
        public Builder reloadWhenFilesChange(Duration interval) {
            Objects.requireNonNull(interval, "reloadWhenFilesChange");
            if (interval.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException("reloadWhenFilesChange: the interval must be at least 100 ms, got "
                        + interval);
            }
            this.reloadInterval = interval;
            return this;
        }

        /**
         * Reads every file and checks the whole configuration.
         *
         * @return the configuration, ready for {@link Server.Builder#tls(Tls)}
         * @throws IllegalArgumentException naming the option or file at fault and how to fix it:
         *     no certificate, a certificate and an SSLContext both, client certificates asked for
         *     with nothing to trust, an unknown protocol or cipher suite, a file that is missing,
         *     not PEM, encrypted without a password, or a key that does not match its certificate
         */
        public Tls build() {
            if (identity == null && sslContext == null && serverNameIdentities.isEmpty()) {
                throw new IllegalArgumentException("tls: no certificate; give certificate(chainFile, keyFile), "
                        + "certificatePem, pkcs12 or sslContext");
            }
            if (sslContext != null && (identity != null || !serverNameIdentities.isEmpty()
                    || trustedCertificatesFile != null || trustedCertificatesPem != null)) {
                throw new IllegalArgumentException("tls: sslContext replaces certificates and trustedCertificates; "
                        + "configure those in the SSLContext, or drop sslContext");
            }
            if (identity == null && !serverNameIdentities.isEmpty()) {
                throw new IllegalArgumentException("tls: certificates for server names need a default certificate "
                        + "for clients that ask for another name or none; add certificate(chainFile, keyFile)");
            }
            boolean trusts = trustedCertificatesFile != null || trustedCertificatesPem != null || sslContext != null;
            if (clientAuth != ClientAuth.NONE && !trusts) {
                throw new IllegalArgumentException("tls: clientAuth " + clientAuth + " needs the CAs that issue client "
                        + "certificates; add trustedCertificates(caFile)");
            }
            TrustSource trust = trustedCertificatesFile != null ? TrustSource.file(trustedCertificatesFile)
                    : trustedCertificatesPem != null ? TrustSource.text(trustedCertificatesPem) : null;
            return RealTls.load(new TlsSettings(identity, new ArrayList<>(serverNameIdentities.entrySet()), sslContext,
                    trust, clientAuth, applicationProtocols, protocols, cipherSuites, handshakeTimeout, reloadInterval));
        }

        private static String serverName(String name) {
            Objects.requireNonNull(name, "serverName");
            String host = name.startsWith("*.") ? name.substring(2) : name;
            if (host.isEmpty() || host.length() > 253 || host.endsWith(".") || host.startsWith(".")
                    || !host.matches("[A-Za-z0-9.-]+") || host.contains("..")) {
                throw new IllegalArgumentException("serverName: \"" + name + "\" is not a DNS host name "
                        + "(letters, digits, '-' and '.', optionally starting with \"*.\")");
            }
            return name.toLowerCase(Locale.ROOT);
        }
    }
}
