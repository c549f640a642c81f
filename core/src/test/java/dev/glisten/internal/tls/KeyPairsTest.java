package dev.glisten.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

/** Matching with keys the JDK makes, so every pairing runs without openssl. */
class KeyPairsTest {

    private static KeyPair generate(String algorithm, Object parameter) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (parameter instanceof Integer bits) {
            generator.initialize(bits);
        } else if (parameter instanceof String curve) {
            generator.initialize(new ECGenParameterSpec(curve));
        }
        return generator.generateKeyPair();
    }

    @Test
    void matchesEachHalfOfAPairAndNothingElse() throws Exception {
        KeyPair[] pairs = {
            generate("RSA", 2048), generate("RSA", 2048), generate("RSASSA-PSS", 2048),
            generate("EC", "secp256r1"), generate("EC", "secp256r1"), generate("EC", "secp384r1"),
            generate("Ed25519", null), generate("Ed25519", null), generate("Ed448", null),
        };

        for (int i = 0; i < pairs.length; i++) {
            for (int j = 0; j < pairs.length; j++) {
                assertThat(KeyPairs.match(pairs[i].getPublic(), pairs[j].getPrivate()))
                        .as("public %s #%d with private %s #%d", pairs[i].getPublic().getAlgorithm(), i,
                                pairs[j].getPrivate().getAlgorithm(), j)
                        .isEqualTo(i == j);
            }
        }
    }
}
