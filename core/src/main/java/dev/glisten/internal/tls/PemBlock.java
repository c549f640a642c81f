package dev.glisten.internal.tls;

import java.util.Arrays;

/**
 * One PEM block (RFC 7468 section 2): the label between {@code -----BEGIN } and {@code -----}, and
 * the DER bytes its base64 text decodes to.
 *
 * @param label the type, such as {@code CERTIFICATE} or {@code PRIVATE KEY}
 * @param der the decoded bytes; not copied, so do not change them
 * @param line the 1-based line of the BEGIN boundary, for error messages
 */
public record PemBlock(String label, byte[] der, int line) {

    // A record compares arrays by identity; two blocks are equal when their bytes are.
    @Override
    public boolean equals(Object other) {
        return other instanceof PemBlock that
                && label.equals(that.label) && line == that.line && Arrays.equals(der, that.der);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * label.hashCode() + line) + Arrays.hashCode(der);
    }

    @Override
    public String toString() {
        return label + " (line " + line + ", " + der.length + " bytes)";
    }
}
