package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits PEM text into its blocks, following RFC 7468: text outside the {@code -----BEGIN}/{@code
 * -----END} boundaries is ignored (section 2: parsers "MUST ignore" it; openssl writes "Bag
 * Attributes", "subject=" and "issuer=" lines there), any line ending is accepted, as is whitespace
 * at either end of a line and base64 lines of any length (the "lax" parsing of section 3). Within a
 * block it is strict: base64 must decode, the END label must match the BEGIN label, and the only
 * headers it knows (RFC 1421 {@code Proc-Type}/{@code DEK-Info}, OpenSSL's legacy key encryption)
 * are refused with the command that converts such a key.
 */
public final class PemReader {

    private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([^-]*(?:-[^-]+)*)-----");
    private static final Pattern END = Pattern.compile("-----END ([^-]*(?:-[^-]+)*)-----");

    private PemReader() { }

    /**
     * The blocks of {@code text}, in order.
     *
     * @param text PEM text, possibly with explanatory text around the blocks
     * @param source what the text is, for messages: {@link PemSource#name()}
     * @return at least one block
     * @throws TlsConfigException naming {@code source} if the text is empty, holds no PEM block, or a
     *     block is malformed or uses legacy encryption
     */
    public static List<PemBlock> read(String text, String source) {
        List<PemBlock> blocks = new ArrayList<>();
        String[] lines = text.split("\r\n|\r|\n", -1);
        Block open = null;
        for (int i = 0; i < lines.length; i++) {
            int lineNumber = i + 1;
            // U+FEFF: a byte order mark some editors put at the start; strip() keeps it.
            String line = lines[i].replace("\uFEFF", "").strip();
            Matcher begin = BEGIN.matcher(line);
            Matcher end = END.matcher(line);
            if (open == null) {
                if (begin.matches()) {
                    open = new Block(begin.group(1), lineNumber);
                } else if (end.matches()) {
                    throw TlsProblems.of(source, "line " + lineNumber + " ends a " + end.group(1)
                                    + " block that never began (no -----BEGIN " + end.group(1) + "----- before it)",
                            "The PEM text is damaged: copy it again or regenerate it");
                }
                // Anything else outside a block is explanatory text.
            } else if (begin.matches()) {
                throw missingEnd(source, open, "a new block begins on line " + lineNumber);
            } else if (end.matches()) {
                if (!end.group(1).equals(open.label)) {
                    throw TlsProblems.of(source, "the " + open.label + " block that begins on line "
                                    + open.line + " ends with -----END " + end.group(1) + "----- on line " + lineNumber,
                            "The BEGIN and END labels must match: the PEM text is damaged, copy it again or regenerate it");
                }
                blocks.add(open.finish(source));
                open = null;
            } else {
                open.add(line, lineNumber, source);
            }
        }
        if (open != null) {
            throw missingEnd(source, open, "the text ends first");
        }
        if (blocks.isEmpty()) {
            throw text.isBlank() ? empty(source) : notPem(source, text);
        }
        return List.copyOf(blocks);
    }

    private static TlsConfigException missingEnd(String source, Block open, String why) {
        return TlsProblems.of(source, "the " + open.label + " block that begins on line " + open.line
                        + " has no -----END " + open.label + "----- line (" + why + ")",
                "The PEM text is truncated or damaged: copy it again or regenerate it");
    }

    private static TlsConfigException empty(String source) {
        return TlsProblems.of(source, "is empty",
                "It should contain PEM text: a -----BEGIN <TYPE>----- line, base64 lines, and an -----END <TYPE>----- line");
    }

    private static TlsConfigException notPem(String source, String text) {
        // PEM is ASCII; a binary file is most likely DER (a certificate or key starts with a SEQUENCE,
        // byte 0x30) or PKCS#12 (also a SEQUENCE).
        boolean binary = text.chars().anyMatch(c -> c < 0x09 || c > 0x0D && c < 0x20 || c == 0xFFFD);
        String found = binary ? "is binary, not PEM text" : "is not PEM: it has no -----BEGIN <TYPE>----- line";
        return TlsProblems.of(source, found,
                "If it is DER, convert it to PEM with `openssl x509 -inform DER -in <file> -out cert.pem` (a certificate) "
                        + "or `openssl pkey -inform DER -in <file> -out key.pem` (a key); "
                        + "if it is a PKCS#12 keystore (.p12, .pfx), load it as a PKCS#12 keystore instead");
    }

    /** A block between its BEGIN line and its END line. */
    private static final class Block {
        final String label;
        final int line;
        final StringBuilder base64 = new StringBuilder();
        String procType;
        String dekInfo;

        Block(String label, int line) {
            this.label = label;
            this.line = line;
        }

        void add(String text, int lineNumber, String source) {
            int colon = text.indexOf(':');
            if (colon >= 0 && base64.isEmpty()) {
                // An RFC 1421 header, which RFC 7468 PEM no longer has.
                String name = text.substring(0, colon).strip();
                String value = text.substring(colon + 1).strip();
                if (name.equalsIgnoreCase("Proc-Type")) {
                    procType = value;
                } else if (name.equalsIgnoreCase("DEK-Info")) {
                    dekInfo = value;
                } else {
                    throw TlsProblems.of(source, "the " + label + " block that begins on line " + line
                                    + " has a header \"" + name + "\" on line " + lineNumber,
                            "PEM blocks (RFC 7468) have no headers: regenerate the file with a current openssl");
                }
            } else if (!text.isEmpty()) {
                rejectLegacyEncryption(source);
                base64.append(text);
            }
        }

        PemBlock finish(String source) {
            rejectLegacyEncryption(source);
            byte[] der;
            try {
                der = Base64.getDecoder().decode(base64.toString());
            } catch (IllegalArgumentException e) {
                throw TlsProblems.of(source, "the " + label + " block that begins on line " + line
                                + " is not valid base64 (" + e.getMessage() + ")",
                        "The PEM text is damaged: copy it again or regenerate it", e);
            }
            if (der.length == 0) {
                throw TlsProblems.of(source, "the " + label + " block that begins on line " + line + " is empty",
                        "The PEM text is damaged: copy it again or regenerate it");
            }
            return new PemBlock(label, der, line);
        }

        private void rejectLegacyEncryption(String source) {
            if (procType == null && dekInfo == null) {
                return;
            }
            String cipher = dekInfo == null ? "" : ", " + dekInfo.split(",", 2)[0].strip();
            throw TlsProblems.of(source, "the " + label + " block that begins on line " + line
                            + " uses OpenSSL's legacy PEM encryption (Proc-Type: " + procType + cipher
                            + "), which is not supported",
                    "Convert the key to encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in <file> -out key.pem` "
                            + "and give the password, or remove the passphrase with `openssl pkey -in <file> -out key.pem`");
        }
    }
}
