package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads X.509 certificates from PEM: a server's chain (leaf first, then the intermediates that
 * lead to a CA, as TLS sends them: RFC 8446 section 4.4.2), or the CA certificates that anchor
 * client certificates. Parsing is the JDK's {@link CertificateFactory}.
 */
public final class CertificateChains {

    /**
     * {@code CERTIFICATE}, and the older labels RFC 7468 section 5.1 asks parsers to accept.
     * OpenSSL's {@code TRUSTED CERTIFICATE} (a certificate followed by OpenSSL's trust settings) is
     * read for its certificate; the trust settings are OpenSSL's own and are ignored.
     */
    private static final Set<String> LABELS = Set.of("CERTIFICATE", "X509 CERTIFICATE", "X.509 CERTIFICATE");
    private static final String TRUSTED = "TRUSTED CERTIFICATE";

    private CertificateChains() { }

    /**
     * The certificates of {@code source} in their order; other blocks (a private key in a combined
     * file, for one) are skipped.
     *
     * @throws TlsConfigException naming the source if it has no certificate or one cannot be parsed
     */
    public static List<X509Certificate> read(PemSource source) {
        List<PemBlock> blocks = source.blocks();
        List<X509Certificate> certificates = new ArrayList<>();
        for (PemBlock block : blocks) {
            if (LABELS.contains(block.label())) {
                certificates.add(parse(block, block.der(), source));
            } else if (block.label().equals(TRUSTED)) {
                certificates.add(parse(block, firstElement(block, source), source));
            }
        }
        if (certificates.isEmpty()) {
            throw TlsProblems.of(source.name(), "has no certificate (found " + labels(blocks) + ")",
                    "Put the certificate chain in it as -----BEGIN CERTIFICATE----- blocks, the server's own "
                            + "certificate first, then its intermediates"
                            + (blocks.stream().anyMatch(b -> b.label().endsWith("PRIVATE KEY"))
                                    ? " (was it swapped with the key file?)" : ""));
        }
        return List.copyOf(certificates);
    }

    /** Describes the labels found, such as {@code "PRIVATE KEY"} or {@code "2 blocks: ..."}. */
    static String labels(List<PemBlock> blocks) {
        List<String> labels = blocks.stream().map(PemBlock::label).toList();
        return labels.size() == 1 ? labels.get(0) : labels.size() + " blocks: " + String.join(", ", labels);
    }

    /** A one-line description of a certificate for messages: subject and key algorithm. */
    static String describe(X509Certificate certificate) {
        return "\"" + certificate.getSubjectX500Principal().getName() + "\" ("
                + certificate.getPublicKey().getAlgorithm() + " key)";
    }

    private static X509Certificate parse(PemBlock block, byte[] der, PemSource source) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            return (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw TlsProblems.of(source.name(), "the " + block.label() + " block that begins on line "
                            + block.line() + " is not a valid X.509 certificate (" + e.getMessage() + ")",
                    "Check it with `openssl x509 -noout -text -in <file>` and regenerate it if openssl cannot read it", e);
        }
    }

    private static byte[] firstElement(PemBlock block, PemSource source) {
        try {
            return Der.parseFirst(block.der()).encoded();
        } catch (Der.MalformedException e) {
            throw TlsProblems.of(source.name(), "the " + block.label() + " block that begins on line "
                            + block.line() + " is not valid DER (" + e.getMessage() + ")",
                    "Check it with `openssl x509 -noout -text -in <file>` and regenerate it if openssl cannot read it", e);
        }
    }
}
