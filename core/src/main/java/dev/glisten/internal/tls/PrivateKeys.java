package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the one private key of a PEM source, in whichever format openssl wrote it:
 *
 * <ul>
 *   <li>{@code PRIVATE KEY}: PKCS#8 (RFC 5208, RFC 5958), for RSA, RSASSA-PSS, EC, Ed25519 and
 *       Ed448 (RFC 8410) keys, what {@code openssl genpkey} writes;</li>
 *   <li>{@code RSA PRIVATE KEY}: PKCS#1 (RFC 8017 appendix A.1.2), what {@code openssl genrsa
 *       -traditional} writes;</li>
 *   <li>{@code EC PRIVATE KEY}: SEC1 (RFC 5915), what {@code openssl ecparam -genkey} writes,
 *       possibly after an {@code EC PARAMETERS} block;</li>
 *   <li>{@code ENCRYPTED PRIVATE KEY}: encrypted PKCS#8 (RFC 5958 section 3), with a password.</li>
 * </ul>
 *
 * Certificates in the same text are skipped, so one file can hold both.
 */
public final class PrivateKeys {

    private static final String PKCS8 = "PRIVATE KEY";
    private static final String PKCS1 = "RSA PRIVATE KEY";
    private static final String SEC1 = "EC PRIVATE KEY";
    private static final String ENCRYPTED = "ENCRYPTED PRIVATE KEY";
    private static final String EC_PARAMETERS = "EC PARAMETERS";

    private PrivateKeys() { }

    /**
     * The private key of {@code source}.
     *
     * @param password the password of an {@code ENCRYPTED PRIVATE KEY}; ignored for a key that is
     *     not encrypted; may be {@code null}
     * @throws TlsConfigException naming the source if it has no key, several keys, a key of a type
     *     or format that is not supported, or an encrypted key without its password
     */
    public static PrivateKey read(PemSource source, char[] password) {
        List<PemBlock> blocks = source.blocks();
        List<PemBlock> keys = new ArrayList<>();
        PemBlock ecParameters = null;
        for (PemBlock block : blocks) {
            if (block.label().equals(EC_PARAMETERS)) {
                ecParameters = block;
            } else if (block.label().endsWith("PRIVATE KEY")) {
                keys.add(block);
            }
        }
        if (keys.isEmpty()) {
            throw noKey(source, blocks);
        }
        if (keys.size() > 1) {
            throw TlsProblems.of(source.name(), "has " + keys.size() + " private keys ("
                            + String.join(", ", keys.stream().map(k -> k.label() + " on line " + k.line()).toList()) + ")",
                    "Keep only the key of the server's certificate");
        }
        return decode(keys.get(0), ecParameters, password, source.name());
    }

    private static PrivateKey decode(PemBlock key, PemBlock ecParameters, char[] password, String source) {
        return switch (key.label()) {
            case PKCS8 -> Pkcs8.decode(key.der(), source);
            case ENCRYPTED -> Pkcs8.decode(EncryptedPkcs8.decrypt(key.der(), password, source), source);
            case PKCS1 -> Pkcs8.decode(Pkcs8.fromPkcs1(key.der()), source);
            case SEC1 -> {
                try {
                    yield Pkcs8.decode(Pkcs8.fromSec1(key.der(), ecParameters == null ? null : ecParameters.der()), source);
                } catch (Der.MalformedException e) {
                    throw Pkcs8.malformed(source, "EC PRIVATE KEY", e);
                }
            }
            default -> throw unsupportedLabel(key, source);
        };
    }

    private static TlsConfigException unsupportedLabel(PemBlock key, String source) {
        String problem = "the " + key.label() + " on line " + key.line() + " is not a supported key format";
        return switch (key.label()) {
            case "OPENSSH PRIVATE KEY" -> TlsProblems.of(source, problem + " (OpenSSH's own format)",
                    "Convert it to PKCS#8 with `ssh-keygen -p -m PKCS8 -f <file>` (this rewrites the file), or use a key made by openssl");
            case "DSA PRIVATE KEY" -> TlsProblems.of(source, problem + " (DSA: TLS 1.3 removed DSA signatures)",
                    Pkcs8.SUPPORTED);
            default -> TlsProblems.of(source, problem,
                    "Convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in <file> -out key.pem` if openssl can read it. "
                            + Pkcs8.SUPPORTED);
        };
    }

    private static TlsConfigException noKey(PemSource source, List<PemBlock> blocks) {
        boolean certificates = blocks.stream().anyMatch(b -> b.label().endsWith("CERTIFICATE"));
        boolean publicKey = blocks.stream().anyMatch(b -> b.label().endsWith("PUBLIC KEY"));
        String hint = certificates ? " (it holds certificates: was it swapped with the certificate file?)"
                : publicKey ? " (a public key cannot sign: give the private key it belongs to)" : "";
        return TlsProblems.of(source.name(), "has no private key (found " + CertificateChains.labels(blocks) + ")" + hint,
                "Give the server's private key as a -----BEGIN PRIVATE KEY----- block (or RSA PRIVATE KEY, "
                        + "EC PRIVATE KEY, ENCRYPTED PRIVATE KEY)");
    }
}
