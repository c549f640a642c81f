package dev.glisten;

import dev.glisten.internal.tls.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * What TLS server tests need besides the server: the JDK's own client and server contexts built
 * only from JDK APIs (so a test of glisten never leans on glisten's own PEM reader to check it),
 * PKCS#12 files exported by openssl, and the certificates a PEM file holds.
 */
final class TestTls {

    private TestTls() { }

    /** A JDK client that trusts the CA certificates in {@code caPemFiles} and nothing else. */
    static SSLContext clientTrusting(Path... caPemFiles) {
        return context(null, caPemFiles);
    }

    /**
     * A JDK client that trusts {@code caPem} and presents the key and chain of {@code keystore}
     * whenever the server asks for a certificate, even if the server names CAs that did not issue
     * it: a client with an untrusted certificate must really send it for the test to mean anything.
     */
    static SSLContext clientPresenting(Path caPem, Path keystore, char[] password) {
        try {
            KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
            factory.init(pkcs12Store(keystore, password), password);
            X509ExtendedKeyManager own = (X509ExtendedKeyManager) factory.getKeyManagers()[0];
            return context(new KeyManager[] {new AlwaysPresent(own)}, caPem);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A server {@link SSLContext} made by the JDK alone from a PKCS#12 keystore. */
    static SSLContext serverContext(Path keystore, char[] password) {
        try {
            KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
            factory.init(pkcs12Store(keystore, password), password);
            return context(factory.getKeyManagers());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SSLContext context(KeyManager[] keyManagers, Path... caPemFiles) {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int n = 0;
            for (Path caPem : caPemFiles) {
                for (X509Certificate ca : certificates(caPem)) {
                    trusted.setCertificateEntry("ca" + n++, ca);
                }
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore pkcs12Store(Path keystore, char[] password) throws GeneralSecurityException {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code openssl pkcs12 -export} of a chain file and its key, as operators make keystores. */
    static Path pkcs12(TestPki pki, Path chain, Path key, String keyPassword, String storePassword, String fileName) {
        List<String> args = new ArrayList<>(List.of("pkcs12", "-export", "-in", chain.toString(), "-inkey",
                key.toString(), "-passout", "pass:" + storePassword, "-out", fileName));
        if (keyPassword != null) {
            args.addAll(List.of("-passin", "pass:" + keyPassword));
        }
        pki.openssl(args.toArray(String[]::new));
        return pki.dir().resolve(fileName);
    }

    /** Every certificate of a PEM file, in order, as the JDK reads them. */
    static List<X509Certificate> certificates(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> list = new ArrayList<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                list.add((X509Certificate) certificate);
            }
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first certificate of a chain file: the server's (or client's) own. */
    static X509Certificate leaf(Path chainPem) {
        return certificates(chainPem).get(0);
    }

    /** A certificate's subject as RFC 2253 text, such as {@code CN=leaf-a}. */
    static String subject(Certificate certificate) {
        return ((X509Certificate) certificate).getSubjectX500Principal().getName();
    }

    /** A TLS echo server on 127.0.0.1, port 0. */
    static Server startEcho(Tls tls) throws IOException {
        return Server.<Void, Void>builder(connection -> null, TestSupport.echo()).bind("127.0.0.1").tls(tls).start(0);
    }

    /**
     * A TLS server on 127.0.0.1, port 0, whose {@link OnInit} first sends one line saying what it
     * sees in {@link Connection#tls()} ({@link #introduction}), then echoes: the client learns
     * what the server saw, whichever client it is.
     */
    static Server startIntroducing(Tls tls) throws IOException {
        return Server.<Void, Void>builder(connection -> {
            connection.send((introduction(connection.tls().orElseThrow()) + "\n").getBytes(StandardCharsets.UTF_8));
            return null;
        }, TestSupport.echo()).bind("127.0.0.1").tls(tls).start(0);
    }

    /** {@code protocol=TLSv1.3 sni=a.test alpn=h2 peer=CN=client}, with {@code -} for what is absent. */
    static String introduction(NegotiatedTls tls) {
        return "protocol=" + tls.protocol() + " sni=" + tls.serverName().orElse("-")
                + " alpn=" + tls.applicationProtocol().orElse("-")
                + " peer=" + (tls.peerCertificates().isEmpty() ? "-" : subject(tls.peerCertificates().get(0)));
    }

    /**
     * A key manager that offers its one key whenever the server accepts its key type, whatever
     * issuers the server names: the JDK's own would send nothing to a server that names other CAs.
     */
    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager own;
        private final String alias;
        private final String algorithm;

        AlwaysPresent(X509ExtendedKeyManager own) {
            this.own = own;
            List<String> aliases = new ArrayList<>();
            for (String type : List.of("RSA", "EC", "EdDSA", "RSASSA-PSS")) {
                String[] found = own.getClientAliases(type, null);
                aliases.addAll(found == null ? List.of() : List.of(found));
            }
            if (aliases.size() != 1) {
                throw new IllegalArgumentException("expected one client key, found " + aliases);
            }
            this.alias = aliases.get(0);
            this.algorithm = own.getPrivateKey(alias).getAlgorithm();
        }

        private String aliasFor(String... keyTypes) {
            return List.of(keyTypes).contains(algorithm) ? alias : null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return aliasFor(keyType) == null ? null : new String[] {alias};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String name) {
            return own.getCertificateChain(name);
        }

        @Override
        public PrivateKey getPrivateKey(String name) {
            return own.getPrivateKey(name);
        }
    }
}
