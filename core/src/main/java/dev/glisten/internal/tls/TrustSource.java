package dev.glisten.internal.tls;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Where the CA certificates for peer certificates (a server's clients', a client's servers') come
 * from, kept so that a reload reads it again.
 */
public sealed interface TrustSource {

    /** Reads the certificates now. */
    List<X509Certificate> load();

    /** The files read, for watching; empty for certificates in memory. */
    List<Path> files();

    static TrustSource file(Path caFile) {
        return new File(caFile);
    }

    static TrustSource text(String caPem) {
        return new Text(caPem);
    }

    record File(Path caFile) implements TrustSource {
        @Override
        public List<X509Certificate> load() {
            return TrustAnchors.read(caFile);
        }

        @Override
        public String toString() {
            return "CA file " + caFile;
        }

        @Override
        public List<Path> files() {
            return List.of(caFile);
        }
    }

    record Text(String caPem) implements TrustSource {
        @Override
        public List<X509Certificate> load() {
            return TrustAnchors.read(caPem);
        }

        @Override
        public String toString() {
            return "in-memory PEM CA certificates";
        }

        @Override
        public List<Path> files() {
            return List.of();
        }
    }
}
