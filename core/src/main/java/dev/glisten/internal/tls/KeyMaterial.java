package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/**
 * A TLS server's identity: its certificate chain (leaf first, then intermediates) and the private
 * key of the leaf, checked to belong together when made. Read it from PEM files (glisten's
 * {@code certfile}/{@code keyfile}), PEM text in memory, or a PKCS#12 keystore; hand
 * {@link #keyManagers()} to {@link SslContexts#create}.
 */
public final class KeyMaterial {

    /** Key algorithms JDK TLS can sign handshakes with, as {@link PrivateKey#getAlgorithm()} names them. */
    private static final Set<String> SIGNING = Set.of("RSA", "RSASSA-PSS", "EC", "EdDSA", "Ed25519", "Ed448");
    private static final String ALIAS = "server";

    private final List<X509Certificate> chain;
    private final PrivateKey key;

    private KeyMaterial(List<X509Certificate> chain, PrivateKey key) {
        this.chain = List.copyOf(chain);
        this.key = key;
    }

    /**
     * Reads a certificate chain and its key from PEM files; both may be the same file.
     *
     * @param keyPassword the password of an encrypted key, or {@code null}
     * @throws TlsConfigException naming the file at fault and how to fix it
     */
    public static KeyMaterial fromPemFiles(Path certificateFile, Path keyFile, char[] keyPassword) {
        return fromPem(PemSource.file("certificate file", certificateFile), PemSource.file("key file", keyFile), keyPassword);
    }

    /**
     * As {@link #fromPemFiles}, from PEM text in memory.
     *
     * @throws TlsConfigException saying which "in-memory PEM" is at fault and how to fix it
     */
    public static KeyMaterial fromPem(String certificatePem, String keyPem, char[] keyPassword) {
        return fromPem(PemSource.inMemory("certificate chain", certificatePem), PemSource.inMemory("key", keyPem), keyPassword);
    }

    /** Reads, then checks that the key belongs to the first certificate. */
    static KeyMaterial fromPem(PemSource certificates, PemSource keySource, char[] keyPassword) {
        List<X509Certificate> chain = CertificateChains.read(certificates);
        PrivateKey key = PrivateKeys.read(keySource, keyPassword);
        checkMatch(chain, key, keySource.name(), certificates.name());
        return new KeyMaterial(chain, key);
    }

    /**
     * Reads the one key entry of a PKCS#12 keystore and its chain.
     *
     * @param password the keystore's password, which openssl also uses for the key; {@code null}
     *     for none
     * @throws TlsConfigException naming the file if it is missing, not PKCS#12, the password is
     *     wrong, or it does not hold exactly one usable key with its certificates
     */
    public static KeyMaterial fromPkcs12(Path file, char[] password) {
        String name = "PKCS#12 file " + file;
        KeyStore store = KeyStores.loadPkcs12(file, password);
        try {
            List<String> keys = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    keys.add(alias);
                }
            }
            if (keys.size() != 1) {
                throw TlsProblems.of(name, keys.isEmpty() ? "has no private key (only certificates)"
                                : "has " + keys.size() + " private keys (aliases " + String.join(", ", keys) + ")",
                        "Bundle exactly one key with its chain: `openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`");
            }
            String alias = keys.get(0);
            PrivateKey key;
            try {
                key = (PrivateKey) store.getKey(alias, password == null ? new char[0] : password);
            } catch (UnrecoverableKeyException e) {
                throw TlsProblems.of(name, "the key \"" + alias + "\" has a password other than the keystore's",
                        "Re-export it with one password for both: `openssl pkcs12 -export ...` does so", e);
            }
            if (!SIGNING.contains(key.getAlgorithm())) {
                throw TlsProblems.of(name, "the key \"" + alias + "\" is a " + key.getAlgorithm() + " key", Pkcs8.SUPPORTED);
            }
            Certificate[] certificates = store.getCertificateChain(alias);
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : certificates == null ? new Certificate[0] : certificates) {
                chain.add((X509Certificate) certificate);
            }
            if (chain.isEmpty()) {
                throw TlsProblems.of(name, "the key \"" + alias + "\" has no certificate",
                        "Bundle the key with its certificate chain: `openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`");
            }
            checkMatch(chain, key, name, name);
            return new KeyMaterial(chain, key);
        } catch (GeneralSecurityException e) {
            throw TlsProblems.of(name, "cannot be read (" + e + ")",
                    "Re-create it with `openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`", e);
        }
    }

    /** The chain as a TLS server sends it: the server's certificate first. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The server's own certificate, the first of the chain. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    public PrivateKey key() {
        return key;
    }

    /**
     * A PKCS#12 keystore in memory with one entry, alias {@code "server"}, holding the key and the
     * chain.
     *
     * @param password protects the entry
     */
    public KeyStore keyStore(char[] password) {
        return KeyStores.inMemory(ALIAS, chain, key, password);
    }

    /**
     * Key managers that present this identity: the JDK's "PKIX" key manager, which checks a
     * certificate's validity and extended key usage when it chooses, where the default "SunX509"
     * does not.
     */
    public KeyManager[] keyManagers() {
        // The keystore lives only in this call: its password protects nothing, so any will do.
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        char[] password = Base64.getEncoder().encodeToString(random).toCharArray();
        try {
            KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
            factory.init(keyStore(password), password);
            return factory.getKeyManagers();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make a key manager for a " + key.getAlgorithm() + " key", e);
        }
    }

    @Override
    public String toString() {
        // Never the key.
        return "KeyMaterial[" + CertificateChains.describe(leaf()) + ", chain of " + chain.size() + "]";
    }

    private static void checkMatch(List<X509Certificate> chain, PrivateKey key, String keyName, String certificateName) {
        if (KeyPairs.match(chain.get(0).getPublicKey(), key)) {
            return;
        }
        for (int i = 1; i < chain.size(); i++) {
            if (KeyPairs.match(chain.get(i).getPublicKey(), key)) {
                throw TlsProblems.of(certificateName, "the key of " + keyName + " belongs to certificate "
                                + (i + 1) + " of the chain, " + CertificateChains.describe(chain.get(i))
                                + ", not to the first, " + CertificateChains.describe(chain.get(0)),
                        "Put the server's own certificate first, then its intermediates");
            }
        }
        throw TlsProblems.of(keyName, "the " + key.getAlgorithm() + " key does not match the certificate "
                        + CertificateChains.describe(chain.get(0)) + " of " + certificateName,
                "Give the key this certificate was issued for, or the certificate of this key: compare "
                        + "`openssl x509 -noout -pubkey -in <certificate file>` with `openssl pkey -pubout -in <key file>`");
    }
}
