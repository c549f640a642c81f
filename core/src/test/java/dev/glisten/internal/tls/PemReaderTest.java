package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class PemReaderTest {

    private static final String SOURCE = "key file /tmp/example.pem";
    private static final byte[] HELLO = "hello, PEM".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WORLD = new byte[100];

    static {
        for (int i = 0; i < WORLD.length; i++) {
            WORLD[i] = (byte) (i * 7);
        }
    }

    private static String block(String label, byte[] bytes) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(bytes)
                + "\n-----END " + label + "-----\n";
    }

    @Test
    void readsOneBlock() {
        List<PemBlock> blocks = PemReader.read(block("CERTIFICATE", HELLO), SOURCE);

        assertThat(blocks).containsExactly(new PemBlock("CERTIFICATE", HELLO, 1));
    }

    @Test
    void keepsTheOrderOfSeveralBlocksAndTheirLines() {
        String text = block("CERTIFICATE", HELLO) + block("CERTIFICATE", WORLD) + block("PRIVATE KEY", HELLO);

        List<PemBlock> blocks = PemReader.read(text, SOURCE);

        assertThat(blocks).extracting(PemBlock::label).containsExactly("CERTIFICATE", "CERTIFICATE", "PRIVATE KEY");
        assertThat(blocks.get(1).der()).isEqualTo(WORLD);
        assertThat(blocks).extracting(PemBlock::line).containsExactly(1, 4, 9);
    }

    @Test
    void acceptsCrlfAndCrLineEndings() {
        String lf = block("CERTIFICATE", WORLD) + block("PRIVATE KEY", HELLO);

        assertThat(PemReader.read(lf.replace("\n", "\r\n"), SOURCE)).isEqualTo(PemReader.read(lf, SOURCE));
        assertThat(PemReader.read(lf.replace("\n", "\r"), SOURCE)).isEqualTo(PemReader.read(lf, SOURCE));
    }

    @Test
    void ignoresExplanatoryTextAroundAndBetweenBlocks() {
        // What `openssl pkcs12 -in x.p12 -nodes` and `openssl x509 -text` write around the blocks.
        String text = "Bag Attributes\n    localKeyID: 01 00 00 00\n    friendlyName: server\n"
                + "subject=CN = leaf\nissuer=CN = intermediate\n\n"
                + block("CERTIFICATE", HELLO)
                + "Certificate:\n    Data:\n        Version: 3 (0x2)\n"
                + block("CERTIFICATE", WORLD)
                + "trailing words, even ---- dashes\n";

        assertThat(PemReader.read(text, SOURCE)).extracting(PemBlock::der).containsExactly(HELLO, WORLD);
    }

    @Test
    void acceptsWhitespaceAtLineEndsBlankLinesLongLinesAndAByteOrderMark() {
        String base64 = Base64.getEncoder().encodeToString(WORLD);
        String text = "\uFEFF  -----BEGIN CERTIFICATE-----  \n"
                + base64.substring(0, 10) + " \t\n\n"
                + base64.substring(10) + "\n" // one long line, as some tools write
                + "-----END CERTIFICATE-----\t";

        assertThat(PemReader.read(text, SOURCE)).containsExactly(new PemBlock("CERTIFICATE", WORLD, 1));
    }

    @Test
    void rejectsBadBase64NamingTheSourceBlockAndLine() {
        String text = "intro\n-----BEGIN CERTIFICATE-----\nMIIB*AAA\n-----END CERTIFICATE-----\n";

        assertThatThrownBy(() -> PemReader.read(text, SOURCE))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith(SOURCE + ": ")
                .hasMessageContaining("CERTIFICATE block that begins on line 2 is not valid base64")
                .hasMessageContaining("copy it again or regenerate it");
    }

    @Test
    void rejectsBase64WithBadPaddingOrLength() {
        assertThatThrownBy(() -> PemReader.read("-----BEGIN X-----\nAAA=A\n-----END X-----\n", SOURCE))
                .hasMessageContaining("not valid base64");
        assertThatThrownBy(() -> PemReader.read("-----BEGIN X-----\nA\n-----END X-----\n", SOURCE))
                .hasMessageContaining("not valid base64");
    }

    @Test
    void rejectsABlockWithoutEndLine() {
        String truncated = block("PRIVATE KEY", WORLD).replace("-----END PRIVATE KEY-----\n", "");

        assertThatThrownBy(() -> PemReader.read(truncated, SOURCE))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageContaining(SOURCE)
                .hasMessageContaining("the PRIVATE KEY block that begins on line 1 has no -----END PRIVATE KEY----- line")
                .hasMessageContaining("truncated");
    }

    @Test
    void rejectsANewBlockBeforeTheEndOfTheLast() {
        String text = block("CERTIFICATE", HELLO).replace("-----END CERTIFICATE-----\n", "") + block("CERTIFICATE", WORLD);

        assertThatThrownBy(() -> PemReader.read(text, SOURCE))
                .hasMessageContaining("has no -----END CERTIFICATE----- line (a new block begins on line 3)");
    }

    @Test
    void rejectsMismatchedEndLabel() {
        String text = block("CERTIFICATE", HELLO).replace("END CERTIFICATE", "END PRIVATE KEY");

        assertThatThrownBy(() -> PemReader.read(text, SOURCE))
                .hasMessageContaining("ends with -----END PRIVATE KEY----- on line 3")
                .hasMessageContaining("labels must match");
    }

    @Test
    void rejectsAnEndWithoutBegin() {
        assertThatThrownBy(() -> PemReader.read("text\n-----END CERTIFICATE-----\n", SOURCE))
                .hasMessageContaining("line 2 ends a CERTIFICATE block that never began");
    }

    @Test
    void rejectsLegacyOpensslEncryptionWithTheConversionCommand() {
        String text = "-----BEGIN RSA PRIVATE KEY-----\n"
                + "Proc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-128-CBC,DEDCDF96BEF516EC74A4A927BB6356BD\n"
                + "\n"
                + Base64.getEncoder().encodeToString(WORLD) + "\n"
                + "-----END RSA PRIVATE KEY-----\n";

        assertThatThrownBy(() -> PemReader.read(text, SOURCE))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith(SOURCE + ": ")
                .hasMessageContaining("legacy PEM encryption (Proc-Type: 4,ENCRYPTED, AES-128-CBC)")
                .hasMessageContaining("openssl pkcs8 -topk8 -v2 aes-256-cbc")
                .hasMessageContaining("remove the passphrase");
    }

    @Test
    void rejectsOtherHeaders() {
        String text = "-----BEGIN CERTIFICATE-----\nComment: hello\n\nAAAA\n-----END CERTIFICATE-----\n";

        assertThatThrownBy(() -> PemReader.read(text, SOURCE)).hasMessageContaining("has a header \"Comment\" on line 2");
    }

    @Test
    void rejectsAnEmptyBlock() {
        assertThatThrownBy(() -> PemReader.read("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", SOURCE))
                .hasMessageContaining("the CERTIFICATE block that begins on line 1 is empty");
    }

    @Test
    void rejectsEmptyText() {
        for (String empty : List.of("", "  \n\r\n\t")) {
            assertThatThrownBy(() -> PemReader.read(empty, SOURCE))
                    .isInstanceOf(TlsConfigException.class)
                    .hasMessage(SOURCE + ": is empty. It should contain PEM text: a -----BEGIN <TYPE>----- line, "
                            + "base64 lines, and an -----END <TYPE>----- line");
        }
    }

    @Test
    void rejectsTextThatIsNotPem() {
        assertThatThrownBy(() -> PemReader.read("just some words\n", SOURCE))
                .hasMessageStartingWith(SOURCE + ": is not PEM: it has no -----BEGIN <TYPE>----- line")
                .hasMessageContaining("openssl x509 -inform DER");
        String der = new String(new byte[] {0x30, (byte) 0x82, 0x01, 0x0a, 0x02, 0x01, 0x00}, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PemReader.read(der, SOURCE))
                .hasMessageStartingWith(SOURCE + ": is binary, not PEM text")
                .hasMessageContaining("PKCS#12");
    }
}
