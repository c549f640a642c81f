package dev.glisten.internal.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;

/**
 * Decides whether a private key belongs to a certificate's public key, so that a server refuses to
 * start with a key for another certificate instead of failing every handshake.
 *
 * <p>RSA keys match when their moduli are equal (RFC 8017 section 3: the modulus is shared by both
 * halves of the pair). For EC and EdDSA keys the JDK offers no way to derive the public point from
 * the private scalar, so the pair signs a fixed challenge and the public key verifies it, which is
 * also the proof that the key can sign at all.
 */
public final class KeyPairs {

    private static final byte[] CHALLENGE = "glisten: does this private key belong to this certificate?"
            .getBytes(StandardCharsets.US_ASCII);

    private KeyPairs() { }

    /** Whether {@code privateKey} is the private half of {@code publicKey}. */
    public static boolean match(PublicKey publicKey, PrivateKey privateKey) {
        if (publicKey instanceof RSAPublicKey rsaPublic) {
            // Covers RSASSA-PSS keys too, which the JDK also gives as RSAKey; compare families first.
            return privateKey instanceof RSAPrivateKey rsaPrivate
                    && publicKey.getAlgorithm().equals(privateKey.getAlgorithm())
                    && rsaPublic.getModulus().equals(rsaPrivate.getModulus());
        }
        if (publicKey instanceof RSAKey || privateKey instanceof RSAKey) {
            return false;
        }
        if (publicKey instanceof ECKey ecPublic) {
            return privateKey instanceof ECKey ecPrivate
                    && sameCurve(ecPublic.getParams(), ecPrivate.getParams())
                    && signs(publicKey, privateKey, "SHA256withECDSA");
        }
        if (publicKey instanceof EdECKey edPublic) {
            // EdDSA (RFC 8032): the "EdDSA" signature uses whichever curve, Ed25519 or Ed448, the key is on.
            return privateKey instanceof EdECKey edPrivate
                    && edPublic.getParams().getName().equals(edPrivate.getParams().getName())
                    && signs(publicKey, privateKey, "EdDSA");
        }
        return false;
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getOrder().equals(b.getOrder())
                && a.getGenerator().equals(b.getGenerator())
                && a.getCurve().equals(b.getCurve());
    }

    private static boolean signs(PublicKey publicKey, PrivateKey privateKey, String algorithm) {
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(CHALLENGE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(CHALLENGE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            // Keys of different curves or algorithms cannot even be tried together: no match.
            return false;
        }
    }
}
