package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decrypts a PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 section 3) with a password, giving the plain
 * PrivateKeyInfo.
 *
 * <p>PBES2 (RFC 8018 section 6.2), which openssl writes by default ({@code openssl pkcs8 -topk8
 * -v2 aes-256-cbc}, {@code openssl genpkey -aes-256-cbc}: PBKDF2 with HMAC-SHA256 and AES-256-CBC),
 * is decoded here and run with the JDK's PBKDF2 and cipher. {@link EncryptedPrivateKeyInfo} names
 * PBES2 algorithms only since JDK 19 (JDK-8286428), and only for AES-128 and AES-256: its
 * constructor throws for the AES-192, 3DES and scrypt variants openssl can also write. Decoding the
 * parameters here reads the first two and names what is unsupported. Older schemes (PBES1 and
 * PKCS#12 PBE, {@code openssl pkcs8 -v1 ...}) go through {@link EncryptedPrivateKeyInfo} and its
 * algorithm parameters.
 */
final class EncryptedPkcs8 {

    static final String PBES2 = "1.2.840.113549.1.5.13";
    static final String PBKDF2 = "1.2.840.113549.1.5.12";

    /** PBKDF2 pseudorandom functions (RFC 8018 appendix B.1) by OID, as JDK SecretKeyFactory names. */
    private static final Map<String, String> PRFS = Map.of(
            "1.2.840.113549.2.7", "PBKDF2WithHmacSHA1",
            "1.2.840.113549.2.8", "PBKDF2WithHmacSHA224",
            "1.2.840.113549.2.9", "PBKDF2WithHmacSHA256",
            "1.2.840.113549.2.10", "PBKDF2WithHmacSHA384",
            "1.2.840.113549.2.11", "PBKDF2WithHmacSHA512");

    /** PBES2 encryption schemes (RFC 8018 appendix B.2, RFC 3565) by OID. */
    private static final Map<String, Scheme> SCHEMES = Map.of(
            "2.16.840.1.101.3.4.1.2", new Scheme("AES", "AES/CBC/PKCS5Padding", 16),
            "2.16.840.1.101.3.4.1.22", new Scheme("AES", "AES/CBC/PKCS5Padding", 24),
            "2.16.840.1.101.3.4.1.42", new Scheme("AES", "AES/CBC/PKCS5Padding", 32),
            "1.2.840.113549.3.7", new Scheme("DESede", "DESede/CBC/PKCS5Padding", 24));

    private static final String REENCRYPT = "Re-encrypt the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in <file> -out key.pem`";

    private record Scheme(String keyAlgorithm, String transformation, int keyBytes) { }

    private EncryptedPkcs8() { }

    /**
     * The PrivateKeyInfo inside {@code der}.
     *
     * @param password the key's password; {@code null} or empty if none was given
     * @param source what the key came from, for messages
     * @throws TlsConfigException naming {@code source} if there is no password, it is wrong, or the
     *     encryption is not supported
     */
    static byte[] decrypt(byte[] der, char[] password, String source) {
        if (password == null || password.length == 0) {
            throw TlsProblems.of(source, "the key is encrypted (ENCRYPTED PRIVATE KEY) and no password was given",
                    "Give the key's password, or store the key unencrypted with `openssl pkey -in <file> -out key.pem` "
                            + "and protect it with file permissions");
        }
        String algorithm;
        Der.Value parameters;
        byte[] encrypted;
        try {
            // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
            Der.Reader info = Der.parse(der).contents();
            Der.Reader identifier = info.next(Der.SEQUENCE).contents();
            algorithm = identifier.next().oid();
            parameters = identifier.hasMore() ? identifier.next() : null;
            encrypted = info.next(Der.OCTET_STRING).content();
        } catch (Der.MalformedException e) {
            throw Pkcs8.malformed(source, "encrypted PKCS#8 key", e);
        }
        byte[] plain = algorithm.equals(PBES2)
                ? pbes2(parameters, encrypted, password, source)
                : byJdkName(der, password, source);
        try {
            // A wrong key passes the CBC padding check about once in 256 tries; what it gives is not DER.
            Der.parse(plain);
        } catch (Der.MalformedException e) {
            throw wrongPassword(source, e);
        }
        return plain;
    }

    private static byte[] pbes2(Der.Value parameters, byte[] encrypted, char[] password, String source) {
        try {
            if (parameters == null) {
                throw new Der.MalformedException("PBES2 without parameters");
            }
            // PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
            Der.Reader pbes2 = parameters.contents();
            Der.Reader kdf = pbes2.next(Der.SEQUENCE).contents();
            Der.Reader scheme = pbes2.next(Der.SEQUENCE).contents();
            String kdfOid = kdf.next().oid();
            if (!kdfOid.equals(PBKDF2)) {
                String name = kdfOid.equals("1.3.6.1.4.1.11591.4.11") ? "scrypt" : "OID " + kdfOid;
                throw TlsProblems.of(source, "the key is encrypted with the key derivation function " + name
                        + ", which is not supported (only PBKDF2 is)", REENCRYPT);
            }
            // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf DEFAULT hmacWithSHA1 }
            Der.Reader pbkdf2 = kdf.next(Der.SEQUENCE).contents();
            byte[] salt = pbkdf2.next(Der.OCTET_STRING).content();
            int iterations = pbkdf2.next(Der.INTEGER).intValue();
            Der.Value keyLength = pbkdf2.nextIf(Der.INTEGER);
            String prfOid = pbkdf2.hasMore() ? pbkdf2.next(Der.SEQUENCE).contents().next().oid() : "1.2.840.113549.2.7";
            String prf = PRFS.get(prfOid);
            String schemeOid = scheme.next().oid();
            Scheme cipher = SCHEMES.get(schemeOid);
            if (prf == null || cipher == null) {
                throw TlsProblems.of(source, "the key is encrypted with PBES2 using "
                        + (prf == null ? "the PBKDF2 function with OID " + prfOid : "the cipher with OID " + schemeOid)
                        + ", which is not supported", REENCRYPT);
            }
            int keyBytes = keyLength == null ? cipher.keyBytes() : keyLength.intValue();
            byte[] iv = scheme.next(Der.OCTET_STRING).content();
            PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, keyBytes * 8);
            byte[] key;
            try {
                key = SecretKeyFactory.getInstance(prf).generateSecret(spec).getEncoded();
            } finally {
                spec.clearPassword();
            }
            Cipher decryptor = Cipher.getInstance(cipher.transformation());
            try {
                decryptor.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, cipher.keyAlgorithm()), new IvParameterSpec(iv));
            } finally {
                Arrays.fill(key, (byte) 0);
            }
            return decryptor.doFinal(encrypted);
        } catch (Der.MalformedException e) {
            throw Pkcs8.malformed(source, "encrypted PKCS#8 key's PBES2 parameters", e);
        } catch (BadPaddingException e) {
            throw wrongPassword(source, e);
        } catch (NoSuchAlgorithmException e) {
            throw TlsProblems.of(source, "the key's encryption is not supported by this JDK (" + e.getMessage() + ")", REENCRYPT, e);
        } catch (GeneralSecurityException e) {
            throw TlsProblems.of(source, "the key cannot be decrypted (" + e + ")", REENCRYPT, e);
        }
    }

    private static byte[] byJdkName(byte[] der, char[] password, String source) {
        EncryptedPrivateKeyInfo info;
        try {
            info = new EncryptedPrivateKeyInfo(der);
        } catch (IOException e) {
            throw TlsProblems.of(source, "the key's encryption is not supported (" + e.getMessage() + ")", REENCRYPT, e);
        }
        String name = info.getAlgName();
        Cipher decryptor;
        PBEKeySpec spec = new PBEKeySpec(password);
        try {
            SecretKey key = SecretKeyFactory.getInstance(name).generateSecret(spec);
            decryptor = Cipher.getInstance(name);
            decryptor.init(Cipher.DECRYPT_MODE, key, info.getAlgParameters());
        } catch (GeneralSecurityException e) {
            throw TlsProblems.of(source, "the key is encrypted with " + name + ", which is not supported", REENCRYPT, e);
        } finally {
            spec.clearPassword();
        }
        try {
            return info.getKeySpec(decryptor).getEncoded();
        } catch (InvalidKeySpecException e) {
            // getKeySpec wraps both a padding failure and a result that is no PKCS#8 key.
            throw wrongPassword(source, e);
        }
    }

    private static TlsConfigException wrongPassword(String source, Exception e) {
        return TlsProblems.of(source, "the password does not decrypt the key (ENCRYPTED PRIVATE KEY): wrong password",
                "Give the password the key was encrypted with (check it with `openssl pkey -in <file> -noout`)", e);
    }
}
