package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import dev.glisten.NegotiatedTls;
import dev.glisten.Tls;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A loaded {@link Tls}: the {@link SSLContext} its engines come from and the parameters every
 * engine gets. Immutable, so a server swaps a whole one on reload and a handshake in progress keeps
 * the one it started with.
 */
public final class RealTls implements Tls {

    private final TlsSettings settings;
    private final SSLContext context;
    /** A context per server name with its own certificate, so each name has its own sessions. */
    private final Map<String, SSLContext> contextsByName;
    private final String[] protocols;
    private final String[] cipherSuites;

    private RealTls(TlsSettings settings, SSLContext context, Map<String, SSLContext> contextsByName,
            String[] protocols, String[] cipherSuites) {
        this.settings = settings;
        this.context = context;
        this.contextsByName = contextsByName;
        this.protocols = protocols;
        this.cipherSuites = cipherSuites;
    }

    /**
     * Reads every source of {@code settings} and checks that protocols and suites exist.
     *
     * @throws TlsConfigException (an {@link IllegalArgumentException}) naming what is at fault
     */
    public static RealTls load(TlsSettings settings) {
        SSLContext context = settings.sslContext();
        Map<String, SSLContext> contextsByName = new HashMap<>();
        if (context == null) {
            KeyMaterial defaultIdentity = settings.identity().load();
            Map<String, KeyMaterial> byName = new LinkedHashMap<>();
            for (Map.Entry<String, IdentitySource> entry : settings.serverNameIdentities()) {
                byName.put(entry.getKey(), entry.getValue().load());
            }
            TrustManager[] trust = settings.trust() == null ? null
                    : TrustAnchors.trustManagers(settings.trust().load());
            // The default context can serve every name (its key manager chooses by SNI): the
            // low-level API's sockets use it, and so does a ClientHello that cannot be read early.
            context = SslContexts.create(new KeyManager[] {new ServerNameKeyManager(defaultIdentity, byName)}, trust);
            for (Map.Entry<String, KeyMaterial> named : byName.entrySet()) {
                contextsByName.put(named.getKey(), SslContexts.create(named.getValue().keyManagers(), trust));
            }
        }
        SSLParameters supported = context.getSupportedSSLParameters();
        String[] protocols = TlsOptions.known("tls protocols", settings.protocols(), supported.getProtocols());
        TlsOptions.refuseDisabled("tls protocols", protocols, "no client could connect");
        String[] suites = settings.cipherSuites() == null ? context.getDefaultSSLParameters().getCipherSuites()
                : TlsOptions.known("tls cipherSuites", settings.cipherSuites(), supported.getCipherSuites());
        return new RealTls(settings, context, Map.copyOf(contextsByName), protocols, suites);
    }

    @Override
    public Tls reloaded() {
        return load(settings);
    }

    @Override
    public List<Path> files() {
        List<Path> files = new ArrayList<>();
        if (settings.identity() != null) {
            files.addAll(settings.identity().files());
        }
        for (Map.Entry<String, IdentitySource> entry : settings.serverNameIdentities()) {
            files.addAll(entry.getValue().files());
        }
        if (settings.trust() != null) {
            files.addAll(settings.trust().files());
        }
        return List.copyOf(new LinkedHashSet<>(files));
    }

    @Override
    public Duration handshakeTimeout() {
        return settings.handshakeTimeout();
    }

    /** How often a server should look at {@link #files()}, or {@code null} for never. */
    public Duration reloadInterval() {
        return settings.reloadInterval();
    }

    /**
     * A server-side engine with this configuration's parameters, for one connection.
     *
     * @param serverName the name its ClientHello asks for ({@link ClientHellos#serverName}), or
     *     {@code null}: picks the context of that name's certificate
     */
    public SSLEngine newServerEngine(String serverName, String peerHost, int peerPort) {
        SSLEngine engine = contextFor(serverName).createSSLEngine(peerHost, peerPort);
        engine.setUseClientMode(false);
        engine.setSSLParameters(parameters(engine.getSSLParameters()));
        return engine;
    }

    private SSLContext contextFor(String serverName) {
        if (serverName == null || contextsByName.isEmpty()) {
            return context;
        }
        SSLContext exact = contextsByName.get(serverName);
        if (exact != null) {
            return exact;
        }
        int dot = serverName.indexOf('.');
        SSLContext wildcard = dot > 0 ? contextsByName.get("*" + serverName.substring(dot)) : null;
        return wildcard != null ? wildcard : context;
    }

    /**
     * Layers a server-side {@link SSLSocket} with this configuration's parameters over a connected
     * socket, for the low-level API; closing it closes {@code socket}.
     */
    public SSLSocket newServerSocket(Socket socket) throws java.io.IOException {
        SSLSocketFactory factory = context.getSocketFactory();
        SSLSocket ssl = (SSLSocket) factory.createSocket(socket, null, true);
        ssl.setUseClientMode(false);
        ssl.setSSLParameters(parameters(ssl.getSSLParameters()));
        return ssl;
    }

    private SSLParameters parameters(SSLParameters parameters) {
        parameters.setProtocols(protocols);
        parameters.setCipherSuites(cipherSuites);
        parameters.setApplicationProtocols(settings.applicationProtocols().toArray(String[]::new));
        // setNeedClientAuth and setWantClientAuth each clear the other.
        switch (settings.clientAuth()) {
            case REQUIRED -> parameters.setNeedClientAuth(true);
            case OPTIONAL -> parameters.setWantClientAuth(true);
            case NONE -> parameters.setWantClientAuth(false);
        }
        // The server's order wins, so its configuration decides, not whichever client connects.
        parameters.setUseCipherSuitesOrder(true);
        // Accepting every host name changes nothing about which names are served (the key manager
        // picks the certificate), but it makes the JDK record the name in the session, and then it
        // refuses to resume a session under another name, as RFC 6066 section 3 requires.
        parameters.setSNIMatchers(List.of(SNIHostName.createSNIMatcher(".*")));
        return parameters;
    }

    /** What a completed handshake settled. */
    public static NegotiatedTls negotiated(SSLSession session, String applicationProtocol) {
        List<X509Certificate> peer = new ArrayList<>();
        try {
            for (Certificate certificate : session.getPeerCertificates()) {
                if (certificate instanceof X509Certificate x509) {
                    peer.add(x509);
                }
            }
        } catch (SSLPeerUnverifiedException none) {
            // No client certificate: the list stays empty.
        }
        return new NegotiatedTls(session.getProtocol(), session.getCipherSuite(),
                Optional.ofNullable(applicationProtocol).filter(name -> !name.isEmpty()),
                Optional.ofNullable(ServerNameKeyManager.requestedHostName(session)), peer, session);
    }

    @Override
    public String toString() {
        return "Tls[" + (settings.sslContext() != null ? "sslContext " + settings.sslContext().getProtocol()
                : settings.identity() + (settings.serverNameIdentities().isEmpty() ? ""
                        : " + " + settings.serverNameIdentities().size() + " by server name"))
                + ", " + String.join("/", protocols)
                + (settings.applicationProtocols().isEmpty() ? "" : ", alpn " + settings.applicationProtocols())
                + (settings.clientAuth() == ClientAuth.NONE ? "" : ", client certificates " + settings.clientAuth())
                + "]";
    }
}
