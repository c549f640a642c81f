package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Map;
import java.util.Set;

/**
 * PKCS#8 private keys (PrivateKeyInfo, RFC 5208 section 5; OneAsymmetricKey, RFC 5958 section 2):
 * decodes one with the JDK {@link KeyFactory} its AlgorithmIdentifier names, and wraps the two
 * algorithm-specific formats openssl also writes, PKCS#1 {@code RSAPrivateKey} (RFC 8017 appendix
 * A.1.2) and SEC1 {@code ECPrivateKey} (RFC 5915 section 3), into one, since the JDK reads only
 * PKCS#8.
 */
final class Pkcs8 {

    static final String RSA = "1.2.840.113549.1.1.1";
    static final String RSASSA_PSS = "1.2.840.113549.1.1.10";
    static final String EC = "1.2.840.10045.2.1";
    static final String ED25519 = "1.3.101.112";
    static final String ED448 = "1.3.101.113";

    /** Key algorithms that can sign a TLS handshake, by OID, with their JDK KeyFactory names. */
    private static final Map<String, String> SIGNING = Map.of(
            RSA, "RSA",                // RFC 8017
            RSASSA_PSS, "RSASSA-PSS",  // RFC 4055 section 3.1
            EC, "EC",                  // RFC 5480 section 2.1.1
            ED25519, "Ed25519",        // RFC 8410 section 3
            ED448, "Ed448");           // RFC 8410 section 3

    /** Key algorithms openssl can write that TLS servers cannot use, by OID, for messages. */
    private static final Map<String, String> OTHERS = Map.of(
            "1.2.840.10040.4.1", "DSA (TLS 1.3 removed DSA signatures)",
            "1.3.101.110", "X25519 (a key-agreement key: it cannot sign)",
            "1.3.101.111", "X448 (a key-agreement key: it cannot sign)",
            "1.2.840.113549.1.3.1", "Diffie-Hellman (a key-agreement key: it cannot sign)",
            "1.2.840.10046.2.1", "X9.42 Diffie-Hellman (a key-agreement key: it cannot sign)");

    /** Curves by OID (RFC 5480 section 2.1.1.1, RFC 5639), for messages. */
    private static final Map<String, String> CURVES = Map.of(
            "1.2.840.10045.3.1.7", "P-256 (prime256v1, secp256r1)",
            "1.3.132.0.34", "P-384 (secp384r1)",
            "1.3.132.0.35", "P-521 (secp521r1)",
            "1.3.132.0.10", "secp256k1",
            "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1",
            "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1",
            "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1",
            "1.2.156.10197.1.301", "SM2");

    /** The curves JDK TLS signs with: secp256r1, secp384r1, secp521r1 (RFC 8446 section 4.2.3). */
    private static final Set<String> TLS_CURVES = Set.of("1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35");

    static final String SUPPORTED = "Use an RSA, EC (P-256, P-384 or P-521), Ed25519 or Ed448 key, for example "
            + "`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem`, and a certificate for it";

    private Pkcs8() { }

    /**
     * Decodes a PKCS#8 PrivateKeyInfo with the KeyFactory of the algorithm it names.
     *
     * @param source what the key came from, for messages
     * @throws TlsConfigException naming {@code source} if the DER is malformed, the algorithm is not
     *     one a TLS server can sign with, or the JDK rejects the key
     */
    static PrivateKey decode(byte[] der, String source) {
        String oid;
        Der.Value parameters;
        try {
            // PrivateKeyInfo ::= SEQUENCE { version, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
            Der.Reader info = Der.parse(der).contents();
            info.next(Der.INTEGER);
            Der.Reader algorithm = info.next(Der.SEQUENCE).contents();
            oid = algorithm.next().oid();
            parameters = algorithm.hasMore() ? algorithm.next() : null;
        } catch (Der.MalformedException e) {
            throw malformed(source, "PKCS#8 private key", e);
        }
        String name = SIGNING.get(oid);
        if (name == null) {
            throw TlsProblems.of(source, "the key's algorithm is "
                    + OTHERS.getOrDefault(oid, "not one a TLS server can use (OID " + oid + ")"), SUPPORTED);
        }
        if (name.equals("EC")) {
            checkCurve(parameters, source);
        }
        try {
            return KeyFactory.getInstance(name).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (NoSuchAlgorithmException e) {
            throw TlsProblems.of(source, "this JDK has no " + name + " key support", SUPPORTED, e);
        } catch (GeneralSecurityException e) {
            throw TlsProblems.of(source, "the " + name + " key cannot be decoded (" + e.getMessage() + ")",
                    "Check it with `openssl pkey -noout -text -in <file>`; regenerate it if openssl cannot read it", e);
        }
    }

    /** Wraps a PKCS#1 RSAPrivateKey into a PrivateKeyInfo (RFC 8017 appendix A.1 names the NULL parameters). */
    static byte[] fromPkcs1(byte[] rsaPrivateKey) {
        return Der.sequence(
                Der.integer(0),
                Der.sequence(Der.objectIdentifier(RSA), Der.nullValue()),
                Der.octetString(rsaPrivateKey));
    }

    /**
     * Wraps a SEC1 ECPrivateKey into a PrivateKeyInfo whose AlgorithmIdentifier names its curve.
     * The ECPrivateKey goes in unchanged: its own optional {@code [0]} parameters and {@code [1]}
     * public key are allowed there (RFC 5915 section 3) and the JDK ignores them.
     *
     * @param ecParameters the ECParameters of a separate {@code EC PARAMETERS} block, used when the
     *     key has no {@code [0]} parameters; may be {@code null}
     * @throws Der.MalformedException if the key is malformed or names no curve
     */
    static byte[] fromSec1(byte[] ecPrivateKey, byte[] ecParameters) throws Der.MalformedException {
        // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, parameters [0] ECParameters OPTIONAL, publicKey [1] OPTIONAL }
        Der.Reader key = Der.parse(ecPrivateKey).contents();
        int version = key.next(Der.INTEGER).intValue();
        if (version != 1) {
            throw new Der.MalformedException("ECPrivateKey version " + version + ", expected 1");
        }
        key.next(Der.OCTET_STRING);
        Der.Value tagged = key.nextIf(Der.contextTag(0));
        byte[] curve;
        if (tagged != null) {
            curve = tagged.contents().next().encoded();
        } else if (ecParameters != null) {
            curve = Der.parse(ecParameters).encoded();
        } else {
            throw new Der.MalformedException("the EC key names no curve (no [0] parameters and no EC PARAMETERS block)");
        }
        return Der.sequence(
                Der.integer(0),
                Der.sequence(Der.objectIdentifier(EC), curve),
                Der.octetString(ecPrivateKey));
    }

    static TlsConfigException malformed(String source, String what, Exception e) {
        return TlsProblems.of(source, "the " + what + " is malformed (" + e.getMessage() + ")",
                "The key is damaged or not what its label says: check it with `openssl pkey -noout -text -in <file>`", e);
    }

    /**
     * Refuses curves the JDK cannot sign TLS handshakes with. Its KeyFactory still decodes keys on
     * curves such as secp256k1, whose implementation JDK 16 removed, and such a key would only fail
     * at the first handshake.
     */
    private static void checkCurve(Der.Value parameters, String source) {
        // ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER, implicitCurve NULL, specifiedCurve SEQUENCE }
        if (parameters == null || parameters.tag() != Der.OBJECT_IDENTIFIER) {
            throw TlsProblems.of(source, "the EC key has explicit curve parameters instead of a named curve",
                    "Rewrite it with the curve's name: `openssl pkey -in <file> -ec_param_enc named_curve -out key.pem`");
        }
        String oid;
        try {
            oid = parameters.oid();
        } catch (Der.MalformedException e) {
            throw malformed(source, "EC key's curve", e);
        }
        if (!TLS_CURVES.contains(oid)) {
            throw TlsProblems.of(source, "the key is on the EC curve " + CURVES.getOrDefault(oid, "with OID " + oid)
                    + ", which JDK TLS does not support", SUPPORTED);
        }
    }
}
