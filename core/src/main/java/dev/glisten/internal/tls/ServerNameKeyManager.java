package dev.glisten.internal.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the certificate for the host name a client asks for (SNI, RFC 6066 section 3): an exact
 * name first, then a wildcard one label up ({@code *.example.com}), else the default. Within the
 * chosen identity the JDK's own key manager decides whether its key suits the signature the
 * handshake needs, so TLS 1.2 and 1.3 key-type rules stay the JDK's.
 *
 * <p>Why not one JDK key manager over all the certificates: it prefers a certificate matching the
 * name, but for a name none matches it picks any of them, not the one configured as the default.
 */
final class ServerNameKeyManager extends X509ExtendedKeyManager {

    private final List<X509ExtendedKeyManager> identities = new ArrayList<>();
    private final Map<String, Integer> byName = new HashMap<>();

    /**
     * @param defaultIdentity for clients asking for no name or an unknown one
     * @param byServerName lower-case host names (or {@code *.} wildcards) and their identities
     */
    ServerNameKeyManager(KeyMaterial defaultIdentity, Map<String, KeyMaterial> byServerName) {
        identities.add(delegate(defaultIdentity));
        byServerName.forEach((name, material) -> {
            byName.put(name, identities.size());
            identities.add(delegate(material));
        });
    }

    private static X509ExtendedKeyManager delegate(KeyMaterial material) {
        return (X509ExtendedKeyManager) material.keyManagers()[0];
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        int index = indexFor(engine == null ? null : engine.getHandshakeSession());
        return qualified(index, identities.get(index).chooseEngineServerAlias(keyType, issuers, engine));
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession handshake = socket instanceof SSLSocket ssl ? ssl.getHandshakeSession() : null;
        int index = indexFor(handshake);
        return qualified(index, identities.get(index).chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        int separator = alias == null ? -1 : alias.indexOf(':');
        if (separator < 0) {
            return null;
        }
        return identity(alias, separator).getCertificateChain(alias.substring(separator + 1));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        int separator = alias == null ? -1 : alias.indexOf(':');
        if (separator < 0) {
            return null;
        }
        return identity(alias, separator).getPrivateKey(alias.substring(separator + 1));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < identities.size(); i++) {
            String[] own = identities.get(i).getServerAliases(keyType, issuers);
            if (own != null) {
                for (String alias : own) {
                    aliases.add(i + ":" + alias);
                }
            }
        }
        return aliases.isEmpty() ? null : aliases.toArray(String[]::new);
    }

    // A server's key manager: it never acts as a client.
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    private X509ExtendedKeyManager identity(String alias, int separator) {
        try {
            int index = Integer.parseInt(alias, 0, separator, 10);
            return index >= 0 && index < identities.size() ? identities.get(index) : identities.get(0);
        } catch (NumberFormatException e) {
            return identities.get(0);
        }
    }

    private int indexFor(SSLSession handshake) {
        if (byName.isEmpty() || !(handshake instanceof ExtendedSSLSession extended)) {
            return 0;
        }
        for (SNIServerName name : extended.getRequestedServerNames()) {
            if (name.getType() == StandardConstants.SNI_HOST_NAME && name instanceof SNIHostName host) {
                Integer index = lookup(host.getAsciiName().toLowerCase(Locale.ROOT));
                if (index != null) {
                    return index;
                }
            }
        }
        return 0;
    }

    private Integer lookup(String host) {
        Integer exact = byName.get(host);
        if (exact != null) {
            return exact;
        }
        int dot = host.indexOf('.');
        return dot > 0 ? byName.get("*" + host.substring(dot)) : null;
    }

    private static String qualified(int index, String alias) {
        return alias == null ? null : index + ":" + alias;
    }

    /** The server name a handshake asked for, if any. */
    static String requestedHostName(SSLSession session) {
        if (session instanceof ExtendedSSLSession extended) {
            for (SNIServerName name : extended.getRequestedServerNames()) {
                if (name instanceof SNIHostName host) {
                    return host.getAsciiName();
                }
            }
        }
        return null;
    }
}
