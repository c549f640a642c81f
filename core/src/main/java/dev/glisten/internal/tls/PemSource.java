package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * PEM text and where it came from, so that every error names it: a file ({@code "key file
 * /etc/app/key.pem"}) or memory ({@code "in-memory PEM key"}).
 *
 * @param name how messages call it
 * @param text the PEM text
 */
public record PemSource(String name, String text) {

    public PemSource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(text, "text");
    }

    /**
     * Reads a file now.
     *
     * @param kind what the file is for, such as {@code "certificate file"}, {@code "key file"} or
     *     {@code "CA file"}; the name is the kind followed by the path
     * @throws TlsConfigException naming the file if it is missing, a directory or unreadable
     */
    public static PemSource file(String kind, Path path) {
        String name = kind + " " + path;
        // PEM is ASCII. Decoding as UTF-8 never fails (bad bytes become U+FFFD, which the reader
        // reports as binary) and turns a byte order mark into the U+FEFF the reader skips.
        return new PemSource(name, new String(MaterialFiles.read(path, name), StandardCharsets.UTF_8));
    }

    /**
     * PEM text given by the program rather than a file.
     *
     * @param kind what it holds, such as {@code "certificate chain"} or {@code "key"}; the name is
     *     {@code "in-memory PEM "} followed by the kind
     */
    public static PemSource inMemory(String kind, String text) {
        Objects.requireNonNull(text, "in-memory PEM " + kind);
        return new PemSource("in-memory PEM " + kind, text);
    }

    /**
     * The blocks of the text, in order (see {@link PemReader}).
     *
     * @throws TlsConfigException naming this source if the text is empty, not PEM or malformed
     */
    public List<PemBlock> blocks() {
        return PemReader.read(text, name);
    }

    @Override
    public String toString() {
        return name;
    }
}
