package dev.glisten.internal.tls;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a server's (or a client's, for mutual TLS) certificate chain and key come from, kept so
 * that a reload reads the same place again.
 */
public sealed interface IdentitySource {

    /** Reads and checks the material now. */
    KeyMaterial load();

    /** The files read, for watching; empty for material in memory. */
    List<Path> files();

    static IdentitySource pemFiles(Path certificateChain, Path privateKey, char[] keyPassword) {
        return new PemFiles(certificateChain, privateKey, copy(keyPassword));
    }

    static IdentitySource pemText(String certificateChain, String privateKey, char[] keyPassword) {
        return new PemText(certificateChain, privateKey, copy(keyPassword));
    }

    static IdentitySource pkcs12(Path keystore, char[] password) {
        return new Pkcs12(keystore, copy(password));
    }

    private static char[] copy(char[] password) {
        return password == null ? null : password.clone();
    }

    record PemFiles(Path certificateChain, Path privateKey, char[] keyPassword) implements IdentitySource {
        @Override
        public KeyMaterial load() {
            return KeyMaterial.fromPemFiles(certificateChain, privateKey, keyPassword);
        }

        @Override
        public List<Path> files() {
            return certificateChain.equals(privateKey) ? List.of(certificateChain) : List.of(certificateChain, privateKey);
        }

        @Override
        public String toString() {
            return "PEM files " + certificateChain + " and " + privateKey;
        }
    }

    record PemText(String certificateChain, String privateKey, char[] keyPassword) implements IdentitySource {
        @Override
        public KeyMaterial load() {
            return KeyMaterial.fromPem(certificateChain, privateKey, keyPassword);
        }

        @Override
        public List<Path> files() {
            return List.of();
        }

        @Override
        public String toString() {
            return "in-memory PEM";
        }
    }

    record Pkcs12(Path keystore, char[] password) implements IdentitySource {
        @Override
        public KeyMaterial load() {
            return KeyMaterial.fromPkcs12(keystore, password);
        }

        @Override
        public List<Path> files() {
            return List.of(keystore);
        }

        @Override
        public String toString() {
            return "PKCS#12 file " + keystore;
        }
    }
}
