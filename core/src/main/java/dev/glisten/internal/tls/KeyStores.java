package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * PKCS#12 keystores (RFC 7292): loaded from a file ({@code openssl pkcs12 -export}, {@code keytool
 * -storetype PKCS12}), or built in memory from a chain and its key, the form the JDK's key
 * managers take.
 */
final class KeyStores {

    private KeyStores() { }

    /**
     * A PKCS#12 keystore in memory holding one key entry.
     *
     * @param password protects the entry; the same password unlocks it
     */
    static KeyStore inMemory(String alias, List<X509Certificate> chain, PrivateKey key, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, key, password, chain.toArray(new Certificate[0]));
            return store;
        } catch (GeneralSecurityException | IOException e) {
            // The key and chain were checked when read; the JDK's PKCS12 store takes every key it can decode.
            throw new IllegalStateException("the JDK cannot store a " + key.getAlgorithm() + " key in a PKCS#12 keystore", e);
        }
    }

    /**
     * Loads a PKCS#12 file.
     *
     * @param password the keystore's password; {@code null} for none
     * @throws TlsConfigException naming the file if it is missing, not PKCS#12, or the password is
     *     wrong
     */
    static KeyStore loadPkcs12(Path file, char[] password) {
        String name = "PKCS#12 file " + file;
        byte[] bytes = MaterialFiles.read(file, name);
        if (bytes.length == 0) {
            throw TlsProblems.of(name, "is empty", "Create it with `openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`");
        }
        if (new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1).contains("-----BEGIN ")) {
            throw TlsProblems.of(name, "is PEM text, not a PKCS#12 keystore",
                    "Give it as a PEM certificate file and key file instead, or bundle them with "
                            + "`openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), password == null ? new char[0] : password);
            return store;
        } catch (IOException e) {
            // The JDK reports a failed integrity check or undecryptable contents as an IOException
            // caused by an UnrecoverableKeyException; anything else means the bytes are not PKCS#12.
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw TlsProblems.of(name, "the password is wrong" + (password == null || password.length == 0 ? " (none was given)" : ""),
                        "Give the keystore's password (check it with `openssl pkcs12 -info -noout -in <file>`)", e);
            }
            throw TlsProblems.of(name, "is not a PKCS#12 keystore (" + e.getMessage() + ")",
                    "Check the path; create one with `openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`", e);
        } catch (GeneralSecurityException e) {
            throw TlsProblems.of(name, "cannot be loaded (" + e + ")",
                    "Re-create it with `openssl pkcs12 -export -in cert.pem -inkey key.pem -out keystore.p12`", e);
        }
    }
}
