package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki.KeyKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every key format openssl writes, read and compared with what openssl itself makes of it. */
class PrivateKeysTest {

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    private static PrivateKey read(Path file, char[] password) {
        return PrivateKeys.read(PemSource.file("key file", file), password);
    }

    /** openssl's own unencrypted PKCS#8 form of a key, decoded by the JDK alone: the oracle. */
    private static PrivateKey opensslPkcs8(KeyKind kind) {
        Path out = dir.resolve(kind.fileName() + ".openssl-pkcs8.pem");
        List<String> args = new ArrayList<>(List.of("pkcs8", "-topk8", "-nocrypt", "-in", pki.key(kind).toString(), "-out", out.toString()));
        if (kind.password != null) {
            args.addAll(List.of("-passin", "pass:" + kind.password));
        }
        pki.openssl(args.toArray(String[]::new));
        try {
            String base64 = Files.readString(out).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            // "EdDSA" is the JDK's KeyFactory for both Ed25519 and Ed448.
            return KeyFactory.getInstance(kind.algorithm).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @EnumSource(KeyKind.class)
    void readsEveryFormatAsTheKeyOpensslSees(KeyKind kind) {
        PrivateKey key = read(pki.key(kind), kind.passwordChars());
        PrivateKey expected = opensslPkcs8(kind);

        assertThat(key.getAlgorithm()).isEqualTo(kind.algorithm);
        switch (key) {
            case RSAPrivateCrtKey rsa -> {
                RSAPrivateCrtKey other = (RSAPrivateCrtKey) expected;
                assertThat(rsa.getModulus()).isEqualTo(other.getModulus());
                assertThat(rsa.getPrivateExponent()).isEqualTo(other.getPrivateExponent());
                assertThat(rsa.getModulus().bitLength()).isEqualTo(2048);
            }
            case ECPrivateKey ec -> {
                ECPrivateKey other = (ECPrivateKey) expected;
                assertThat(ec.getS()).isEqualTo(other.getS());
                assertThat(ec.getParams().getOrder()).isEqualTo(other.getParams().getOrder());
            }
            case EdECPrivateKey ed -> {
                EdECPrivateKey other = (EdECPrivateKey) expected;
                assertThat(ed.getParams().getName()).isEqualTo(kind.name().startsWith("ED448") ? "Ed448" : "Ed25519");
                assertThat(ed.getBytes().orElseThrow()).isEqualTo(other.getBytes().orElseThrow());
            }
            default -> throw new AssertionError("unexpected key " + key);
        }
    }

    @Test
    void readsTheCurveOfEachSec1Key() {
        ECPrivateKey p256 = (ECPrivateKey) read(pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS), null);
        ECPrivateKey p384 = (ECPrivateKey) read(pki.key(KeyKind.EC_P384_SEC1), null);
        ECPrivateKey p521 = (ECPrivateKey) read(pki.key(KeyKind.EC_P521_PKCS8), null);

        assertThat(p256.getParams().getOrder().bitLength()).isEqualTo(256);
        assertThat(p384.getParams().getOrder().bitLength()).isEqualTo(384);
        assertThat(p521.getParams().getOrder().bitLength()).isEqualTo(521);
    }

    @Test
    void takesTheCurveFromTheEcParametersBlockWhenTheKeyOmitsIt() throws Exception {
        Path file = pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS);
        List<PemBlock> blocks = PemSource.file("key file", file).blocks();
        assertThat(blocks).extracting(PemBlock::label).containsExactly("EC PARAMETERS", "EC PRIVATE KEY");
        // Rebuild the ECPrivateKey without its [0] parameters (RFC 5915 makes them optional).
        Der.Reader sec1 = Der.parse(blocks.get(1).der()).contents();
        byte[] stripped = Der.sequence(sec1.next().encoded(), sec1.next().encoded());
        String parameters = pem("EC PARAMETERS", blocks.get(0).der());
        String key = pem("EC PRIVATE KEY", stripped);

        ECPrivateKey withBlock = (ECPrivateKey) PrivateKeys.read(PemSource.inMemory("key", parameters + key), null);

        assertThat(withBlock.getS()).isEqualTo(((ECPrivateKey) read(file, null)).getS());
        assertThatThrownBy(() -> PrivateKeys.read(PemSource.inMemory("key", key), null))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageContaining("in-memory PEM key: the EC PRIVATE KEY is malformed (the EC key names no curve");
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    @Test
    void decryptsOtherPbes2CiphersAndPbes1() {
        Path plain = pki.key(KeyKind.EC_P384_SEC1);
        PrivateKey expected = read(plain, null);
        for (String[] options : new String[][] {
                {"-v2", "aes-192-cbc"},
                {"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1", "-iter", "100000"},
                {"-v2", "des3"},
                {"-v1", "PBE-SHA1-3DES"}}) {
            Path encrypted = dir.resolve("encrypted-" + String.join("", options) + ".pem");
            List<String> args = new ArrayList<>(List.of("pkcs8", "-topk8", "-in", plain.toString(),
                    "-passout", "pass:" + TestPki.PASSWORD, "-out", encrypted.toString()));
            args.addAll(List.of(options));
            pki.openssl(args.toArray(String[]::new));

            assertThat(((ECPrivateKey) read(encrypted, TestPki.PASSWORD.toCharArray())).getS())
                    .as(String.join(" ", options))
                    .isEqualTo(((ECPrivateKey) expected).getS());
        }
    }

    @Test
    void skipsCertificatesInACombinedFile() {
        Path combined = pki.concat("combined.pem", pki.chain(KeyKind.ED25519), pki.key(KeyKind.ED25519));

        assertThat(read(combined, null).getAlgorithm()).isEqualTo("EdDSA");
        assertThat(CertificateChains.read(PemSource.file("certificate file", combined))).hasSize(2);
    }

    @Test
    void ignoresAPasswordForAKeyThatIsNotEncrypted() {
        assertThat(read(pki.key(KeyKind.RSA_PKCS8), "unused".toCharArray()).getAlgorithm()).isEqualTo("RSA");
    }

    @Test
    void readsKeysGivenInMemory() throws Exception {
        String pem = Files.readString(pki.key(KeyKind.RSA_ENCRYPTED_PKCS8));

        PrivateKey key = PrivateKeys.read(PemSource.inMemory("key", pem), TestPki.PASSWORD.toCharArray());

        assertThat(key.getAlgorithm()).isEqualTo("RSA");
    }
}
