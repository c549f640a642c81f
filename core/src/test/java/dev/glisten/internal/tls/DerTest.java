package dev.glisten.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DerTest {

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    @Test
    void writesObjectIdentifiersAsX690Does() throws Exception {
        // rsaEncryption, as every PKCS#8 RSA key carries it.
        assertThat(Der.objectIdentifier("1.2.840.113549.1.1.1")).isEqualTo(hex("06 09 2a 86 48 86 f7 0d 01 01 01"));
        assertThat(Der.objectIdentifier("1.3.101.112")).isEqualTo(hex("06 03 2b 65 70"));
        assertThat(Der.objectIdentifier("2.999.3")).isEqualTo(hex("06 03 88 37 03"));
    }

    @Test
    void readsObjectIdentifiersBack() throws Exception {
        for (String oid : new String[] {"1.2.840.113549.1.1.1", "1.2.840.10045.3.1.7", "1.3.132.0.34", "2.16.840.1.101.3.4.1.42",
                "1.3.6.1.4.1.11591.4.11", "0.0", "2.999.3", "1.2.9223372036854775807"}) {
            assertThat(Der.parse(Der.objectIdentifier(oid)).oid()).isEqualTo(oid);
        }
    }

    @Test
    void writesShortAndLongLengths() throws Exception {
        for (int length : new int[] {0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20}) {
            byte[] element = Der.octetString(new byte[length]);
            int header = length < 128 ? 2 : length < 256 ? 3 : length < 65536 ? 4 : 5;
            assertThat(element).hasSize(header + length);
            assertThat(Der.parse(element).content()).hasSize(length);
        }
        assertThat(Der.octetString(new byte[200])).startsWith(hex("04 81 c8"));
        assertThat(Der.octetString(new byte[300])).startsWith(hex("04 82 01 2c"));
    }

    @Test
    void writesMinimalNonNegativeIntegers() throws Exception {
        assertThat(Der.integer(0)).isEqualTo(hex("02 01 00"));
        assertThat(Der.integer(127)).isEqualTo(hex("02 01 7f"));
        assertThat(Der.integer(128)).isEqualTo(hex("02 02 00 80"));
        assertThat(Der.parse(Der.integer(2048)).intValue()).isEqualTo(2048);
        assertThat(Der.parse(hex("02 01 ff")).intValue()).isEqualTo(-1);
    }

    @Test
    void readsNestedElementsInOrder() throws Exception {
        byte[] der = Der.sequence(Der.integer(1), Der.sequence(Der.objectIdentifier("1.3.101.112")),
                Der.element(Der.contextTag(0), Der.nullValue()));

        Der.Reader outer = Der.parse(der).contents();

        assertThat(outer.next(Der.INTEGER).intValue()).isEqualTo(1);
        assertThat(outer.nextIf(Der.contextTag(0))).isNull();
        assertThat(outer.next(Der.SEQUENCE).contents().next().oid()).isEqualTo("1.3.101.112");
        Der.Value tagged = outer.nextIf(Der.contextTag(0));
        assertThat(tagged.encoded()).isEqualTo(hex("a0 02 05 00"));
        assertThat(tagged.contents().next().tag()).isEqualTo(Der.NULL);
        assertThat(outer.hasMore()).isFalse();
    }

    @Test
    void rejectsMalformedInput() {
        assertThatThrownBy(() -> Der.parse(hex("30 05 02 01 00"))).isInstanceOf(Der.MalformedException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Der.parse(hex("30"))).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Der.parse(hex("30 80 00 00"))).hasMessageContaining("indefinite length");
        assertThatThrownBy(() -> Der.parse(hex("02 01 00 00"))).hasMessageContaining("unexpected bytes after");
        assertThatThrownBy(() -> Der.parse(hex("1f 01 00"))).hasMessageContaining("high tag number");
        assertThatThrownBy(() -> Der.parse(hex("04 85 01 00 00 00 00"))).hasMessageContaining("bad length");
        assertThatThrownBy(() -> Der.parse(hex("06 02 2a 86")).oid()).hasMessageContaining("truncated OBJECT IDENTIFIER");
        assertThatThrownBy(() -> Der.parse(hex("02 05 01 00 00 00 00")).intValue()).hasMessageContaining("INTEGER of 5 bytes");
        assertThatThrownBy(() -> Der.parse(Der.integer(1)).oid()).hasMessageContaining("expected tag 0x06, found 0x02");
    }
}
