package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.internal.tls.TestPki.KeyKind;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a certificate or key can be wrong, made by openssl where it can be: each message names
 * the file (or the in-memory PEM), says what is wrong, and says how to fix it.
 */
class TlsConfigExceptionTest {

    private static final char[] PASSWORD = TestPki.PASSWORD.toCharArray();

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = new TestPki(dir);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> loading(Path certificate, Path key, char[] password) {
        return assertThatThrownBy(() -> KeyMaterial.fromPemFiles(certificate, key, password)).isInstanceOf(TlsConfigException.class);
    }

    private static Path cert() {
        return pki.chain(KeyKind.RSA_PKCS8);
    }

    @Test
    void missingFiles() {
        Path missing = dir.resolve("no-such-key.pem");

        loading(cert(), missing, null).hasMessage("key file " + missing + ": does not exist. Check the path (it resolves to "
                + missing.toAbsolutePath() + ")");
        loading(missing, pki.key(KeyKind.RSA_PKCS8), null).hasMessageStartingWith("certificate file " + missing + ": does not exist");
        loading(cert(), Path.of("relative", "key.pem"), null)
                .hasMessageContaining("key file relative/key.pem: does not exist")
                .hasMessageContaining(Path.of("relative", "key.pem").toAbsolutePath().toString());
    }

    @Test
    void aDirectory() {
        loading(dir, pki.key(KeyKind.RSA_PKCS8), null)
                .hasMessage("certificate file " + dir + ": is a directory. Give the path of the file itself");
    }

    @Test
    void aFileFarTooLargeToBeAKey() throws Exception {
        Path huge = dir.resolve("huge.pem");
        try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(MaterialFiles.MAX_BYTES + 1L); // sparse: costs no disk
        }

        loading(cert(), huge, null).hasMessageStartingWith("key file " + huge + ": is larger than 16 MiB. Check the path");
    }

    @Test
    void emptyFiles() {
        Path empty = pki.write("empty.pem", "");
        Path blank = pki.write("blank.pem", "\n  \n");

        loading(cert(), empty, null).hasMessageStartingWith("key file " + empty + ": is empty. It should contain PEM text");
        loading(blank, pki.key(KeyKind.RSA_PKCS8), null).hasMessageStartingWith("certificate file " + blank + ": is empty");
        assertThatThrownBy(() -> KeyMaterial.fromPem("", "", null))
                .hasMessageStartingWith("in-memory PEM certificate chain: is empty");
    }

    @Test
    void filesThatAreNotPem() {
        Path der = dir.resolve("certificate.der");
        pki.openssl("x509", "-in", pki.rootCertificate().toString(), "-outform", "DER", "-out", der.toString());
        Path text = pki.write("notes.txt", "this is not a certificate\n");

        loading(der, pki.key(KeyKind.RSA_PKCS8), null)
                .hasMessageStartingWith("certificate file " + der + ": is binary, not PEM text. If it is DER, convert it to PEM with "
                        + "`openssl x509 -inform DER");
        loading(cert(), text, null)
                .hasMessageStartingWith("key file " + text + ": is not PEM: it has no -----BEGIN <TYPE>----- line")
                .hasMessageContaining("openssl pkey -inform DER");
    }

    @Test
    void noCertificateInTheCertificateFile() {
        Path key = pki.key(KeyKind.RSA_PKCS8);

        loading(key, key, null).hasMessage("certificate file " + key + ": has no certificate (found PRIVATE KEY). Put the "
                + "certificate chain in it as -----BEGIN CERTIFICATE----- blocks, the server's own certificate first, then its "
                + "intermediates (was it swapped with the key file?)");
    }

    @Test
    void noKeyInTheKeyFile() throws Exception {
        Path publicKey = dir.resolve("public.pem");
        pki.openssl("pkey", "-in", pki.key(KeyKind.ED25519).toString(), "-pubout", "-out", publicKey.toString());

        loading(cert(), cert(), null)
                .hasMessageStartingWith("key file " + cert() + ": has no private key (found 2 blocks: CERTIFICATE, CERTIFICATE) "
                        + "(it holds certificates: was it swapped with the certificate file?)")
                .hasMessageContaining("Give the server's private key as a -----BEGIN PRIVATE KEY----- block");
        loading(cert(), publicKey, null)
                .hasMessageContaining("key file " + publicKey + ": has no private key (found PUBLIC KEY) (a public key cannot sign");
    }

    @Test
    void severalKeys() {
        Path two = pki.concat("two-keys.pem", pki.key(KeyKind.RSA_PKCS8), pki.key(KeyKind.EC_P384_SEC1));

        loading(cert(), two, null).hasMessageMatching("key file " + two
                + ": has 2 private keys \\(PRIVATE KEY on line 1, EC PRIVATE KEY on line \\d+\\)\\. "
                + "Keep only the key of the server's certificate");
    }

    @Test
    void unsupportedKeyTypes() {
        Path x25519 = dir.resolve("x25519.pem");
        pki.openssl("genpkey", "-algorithm", "X25519", "-out", x25519.toString());
        Path dsa = dir.resolve("dsa.pem");
        pki.openssl("dsaparam", "-genkey", "-noout", "-out", dsa.toString(), "1024");
        Path dsaTraditional = dir.resolve("dsa-traditional.pem");
        pki.openssl("pkey", "-in", dsa.toString(), "-traditional", "-out", dsaTraditional.toString());
        Path secp256k1 = dir.resolve("secp256k1.pem");
        pki.openssl("ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", secp256k1.toString());
        Path explicit = dir.resolve("explicit.pem");
        pki.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-param_enc", "explicit", "-out", explicit.toString());

        String fix = "Use an RSA, EC (P-256, P-384 or P-521), Ed25519 or Ed448 key, for example `openssl genpkey";
        loading(cert(), x25519, null)
                .hasMessageStartingWith("key file " + x25519 + ": the key's algorithm is X25519 (a key-agreement key: it cannot sign)")
                .hasMessageContaining(fix);
        loading(cert(), dsa, null)
                .hasMessageStartingWith("key file " + dsa + ": the key's algorithm is DSA (TLS 1.3 removed DSA signatures)")
                .hasMessageContaining(fix);
        loading(cert(), dsaTraditional, null)
                .hasMessageStartingWith("key file " + dsaTraditional + ": the DSA PRIVATE KEY on line 1 is not a supported key format")
                .hasMessageContaining(fix);
        loading(cert(), secp256k1, null)
                .hasMessageStartingWith("key file " + secp256k1 + ": the key is on the EC curve secp256k1, which JDK TLS does not support")
                .hasMessageContaining(fix);
        loading(cert(), explicit, null)
                .hasMessageStartingWith("key file " + explicit + ": the EC key has explicit curve parameters instead of a named curve")
                .hasMessageContaining("-ec_param_enc named_curve");
        assertThatThrownBy(() -> KeyMaterial.fromPem(Files.readString(cert()),
                        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", null))
                .hasMessageStartingWith("in-memory PEM key: the OPENSSH PRIVATE KEY on line 1 is not a supported key format")
                .hasMessageContaining("ssh-keygen -p -m PKCS8");
    }

    @Test
    void anEncryptedKeyWithoutPassword() {
        Path key = pki.key(KeyKind.RSA_ENCRYPTED_PKCS8);

        for (char[] none : new char[][] {null, {}}) {
            loading(pki.chain(KeyKind.RSA_ENCRYPTED_PKCS8), key, none)
                    .hasMessage("key file " + key + ": the key is encrypted (ENCRYPTED PRIVATE KEY) and no password was given. "
                            + "Give the key's password, or store the key unencrypted with `openssl pkey -in <file> -out key.pem` "
                            + "and protect it with file permissions");
        }
    }

    @Test
    void aWrongPassword() {
        Path pbes1 = dir.resolve("pbes1.pem");
        pki.openssl("pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-in", pki.key(KeyKind.EC_P384_SEC1).toString(),
                "-passout", "pass:" + TestPki.PASSWORD, "-out", pbes1.toString());

        for (KeyKind kind : new KeyKind[] {KeyKind.RSA_ENCRYPTED_PKCS8, KeyKind.EC_ENCRYPTED_GENPKEY, KeyKind.ED25519_ENCRYPTED_AES128_SHA512}) {
            // Many passwords, so that one that happens to pass the CBC padding check is met too.
            for (int i = 0; i < 20; i++) {
                loading(pki.chain(kind), pki.key(kind), ("wrong " + i).toCharArray())
                        .hasMessageStartingWith("key file " + pki.key(kind) + ": the password does not decrypt the key "
                                + "(ENCRYPTED PRIVATE KEY): wrong password. Give the password the key was encrypted with");
            }
        }
        loading(pki.chain(KeyKind.EC_P384_SEC1), pbes1, "wrong".toCharArray())
                .hasMessageStartingWith("key file " + pbes1 + ": the password does not decrypt the key");
    }

    @Test
    void legacyOpensslEncryption() {
        Path rsa = dir.resolve("legacy-rsa.pem");
        pki.openssl("rsa", "-in", pki.key(KeyKind.RSA_PKCS1).toString(), "-aes128", "-traditional",
                "-passout", "pass:" + TestPki.PASSWORD, "-out", rsa.toString());
        Path ec = dir.resolve("legacy-ec.pem");
        pki.openssl("ec", "-in", pki.key(KeyKind.EC_P384_SEC1).toString(), "-des3",
                "-passout", "pass:" + TestPki.PASSWORD, "-out", ec.toString());

        loading(pki.chain(KeyKind.RSA_PKCS1), rsa, PASSWORD)
                .hasMessageStartingWith("key file " + rsa + ": the RSA PRIVATE KEY block that begins on line 1 uses OpenSSL's legacy "
                        + "PEM encryption (Proc-Type: 4,ENCRYPTED, AES-128-CBC), which is not supported. Convert the key to "
                        + "encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in <file> -out key.pem`")
                .hasMessageContaining("remove the passphrase with `openssl pkey -in <file> -out key.pem`");
        loading(pki.chain(KeyKind.EC_P384_SEC1), ec, PASSWORD)
                .hasMessageContaining("key file " + ec + ": the EC PRIVATE KEY block")
                .hasMessageContaining("(Proc-Type: 4,ENCRYPTED, DES-EDE3-CBC)")
                .hasMessageContaining("openssl pkcs8 -topk8 -v2 aes-256-cbc");
    }

    @Test
    void unsupportedPkcs8Encryption() {
        Path scrypt = dir.resolve("scrypt.pem");
        pki.openssl("pkcs8", "-topk8", "-scrypt", "-in", pki.key(KeyKind.EC_P384_SEC1).toString(),
                "-passout", "pass:" + TestPki.PASSWORD, "-out", scrypt.toString());

        loading(pki.chain(KeyKind.EC_P384_SEC1), scrypt, PASSWORD)
                .hasMessage("key file " + scrypt + ": the key is encrypted with the key derivation function scrypt, which is not "
                        + "supported (only PBKDF2 is). Re-encrypt the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in <file> -out key.pem`");
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificate() {
        Path key = pki.key(KeyKind.EC_P256_SEC1_WITH_PARAMETERS);

        loading(cert(), key, null)
                .hasMessageStartingWith("key file " + key + ": the EC key does not match the certificate \"CN=leaf-rsa_pkcs8\" "
                        + "(RSA key) of certificate file " + cert() + ". Give the key this certificate was issued for")
                .hasMessageContaining("`openssl x509 -noout -pubkey -in <certificate file>` with `openssl pkey -pubout -in <key file>`");
    }

    @Test
    void aDamagedFile() throws Exception {
        String pem = Files.readString(pki.key(KeyKind.RSA_PKCS8));
        Path damaged = pki.write("damaged.pem", pem.substring(0, 200) + "*" + pem.substring(201));
        Path truncated = pki.write("truncated.pem", pem.substring(0, pem.length() / 2));

        loading(cert(), damaged, null)
                .hasMessageStartingWith("key file " + damaged + ": the PRIVATE KEY block that begins on line 1 is not valid base64");
        loading(cert(), truncated, null)
                .hasMessageStartingWith("key file " + truncated + ": the PRIVATE KEY block that begins on line 1 has no "
                        + "-----END PRIVATE KEY----- line (the text ends first). The PEM text is truncated or damaged");
    }
}
