package dev.glisten.internal.tls;

import java.net.Socket;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A client's check of its server's certificates: the JDK's own trust manager decides (PKIX path
 * validation to the trusted CAs, RFC 5280, then the host name for endpoint identification
 * {@code "HTTPS"}, RFC 2818 section 3.1), and a refusal is replaced by a {@link Refusal} that says
 * what did not match, naming both sides: the JDK's "PKIX path building failed" or "No subject
 * alternative DNS name matching x found" says neither which CA was missing nor which names the
 * certificate has. The JDK's exception stays as the cause.
 */
final class ExplainingTrustManager extends X509ExtendedTrustManager {

    /** A refusal with the explanation as its message; found again by {@link RealClientTls#explain}. */
    static final class Refusal extends CertificateException {
        private static final long serialVersionUID = 1L;

        Refusal(String message, CertificateException cause) {
            super(message, cause);
        }
    }

    private final X509ExtendedTrustManager jdk;
    private final String trusted;

    private ExplainingTrustManager(X509ExtendedTrustManager jdk, String trusted) {
        this.jdk = jdk;
        this.trusted = trusted;
    }

    /**
     * {@code managers} with their X.509 trust manager explained.
     *
     * @param trusted what the CAs are, for messages, such as {@code "the JDK's default CAs"}
     */
    static TrustManager[] wrap(TrustManager[] managers, String trusted) {
        TrustManager[] wrapped = managers.clone();
        for (int i = 0; i < wrapped.length; i++) {
            // The JDK's PKIX factory makes X509ExtendedTrustManagers, which check host names.
            if (wrapped[i] instanceof X509ExtendedTrustManager extended) {
                wrapped[i] = new ExplainingTrustManager(extended, trusted);
            }
        }
        return wrapped;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(() -> jdk.checkServerTrusted(chain, authType, engine), chain, authType, engine.getPeerHost(),
                engine.getSSLParameters());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        SSLSocket ssl = socket instanceof SSLSocket s && s.getHandshakeSession() != null ? s : null;
        check(() -> jdk.checkServerTrusted(chain, authType, socket), chain, authType,
                ssl == null ? null : ssl.getHandshakeSession().getPeerHost(), ssl == null ? null : ssl.getSSLParameters());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(() -> jdk.checkServerTrusted(chain, authType), chain, authType, null, null);
    }

    /** One of the JDK's checks. */
    private interface Check {
        void run() throws CertificateException;
    }

    /**
     * Runs the JDK's {@code check}, explaining its refusal.
     *
     * @param name the name the certificate must carry, or {@code null} if unknown
     * @param parameters the connection's, which say whether the name is checked; or {@code null}
     */
    private void check(Check check, X509Certificate[] chain, String authType, String name, SSLParameters parameters)
            throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            throw explain(chain, authType, name, parameters, e);
        }
    }

    /**
     * Works out what failed: a chain that fails the check without the host name is the chain's
     * fault (out of date, or no path to a trusted CA); a chain that passes it failed on the name.
     */
    private CertificateException explain(X509Certificate[] chain, String authType, String name,
            SSLParameters parameters, CertificateException refused) {
        if (chain == null || chain.length == 0) {
            return refused;
        }
        String why;
        try {
            jdk.checkServerTrusted(chain, authType);
            boolean nameChecked = parameters != null && parameters.getEndpointIdentificationAlgorithm() != null;
            // The JDK's name checks throw a plain CertificateException; its chain checks, subclasses.
            why = nameChecked && name != null && refused.getClass() == CertificateException.class
                    ? mismatch(chain[0], name) : null;
        } catch (CertificateException chainRefused) {
            why = chainProblem(chain, chainRefused);
        }
        return new Refusal(why != null ? why : "the server's certificate was refused: " + refused.getMessage(), refused);
    }

    private static String mismatch(X509Certificate leaf, String name) {
        List<String> names = names(leaf);
        return "the server's certificate does not match the " + (RealClientTls.isIpLiteral(name) ? "address " : "name ")
                + name + (names.isEmpty() ? " (it has no DNS names or addresses, only the subject "
                        + leaf.getSubjectX500Principal().getName() + ")"
                        : " (its names: " + String.join(", ", names) + ")");
    }

    private String chainProblem(X509Certificate[] chain, CertificateException refused) {
        if (causedBy(refused, CertificateExpiredException.class) || causedBy(refused, CertificateNotYetValidException.class)) {
            Date now = new Date();
            for (X509Certificate certificate : chain) {
                if (certificate.getNotAfter().before(now)) {
                    return "the server's certificate chain is out of date: \""
                            + certificate.getSubjectX500Principal().getName() + "\" expired at "
                            + certificate.getNotAfter().toInstant();
                }
                if (certificate.getNotBefore().after(now)) {
                    return "the server's certificate chain is not valid yet: \""
                            + certificate.getSubjectX500Principal().getName() + "\" is valid from "
                            + certificate.getNotBefore().toInstant() + " (is this machine's clock right?)";
                }
            }
        }
        if (causedBy(refused, CertPathBuilderException.class)) {
            X509Certificate top = chain[chain.length - 1];
            String issuer = top.getIssuerX500Principal().getName();
            return "the server's certificate chain is not trusted: "
                    + (top.getSubjectX500Principal().equals(top.getIssuerX500Principal())
                            ? "\"" + issuer + "\" is self-signed and" : "its issuer \"" + issuer + "\"")
                    + " is not among the trusted CAs (" + trusted + ")";
        }
        return "the server's certificate chain was refused: " + refused.getMessage();
    }

    private static boolean causedBy(Throwable thrown, Class<? extends Throwable> type) {
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** The DNS names and addresses a certificate is for, as {@code DNS:x} and {@code IP:y}. */
    private static List<String> names(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            for (List<?> alternative : alternatives == null ? List.<List<?>>of() : alternatives) {
                // GeneralName tags, RFC 5280 section 4.2.1.6: 2 is dNSName, 7 iPAddress.
                int tag = (Integer) alternative.get(0);
                if (tag == 2 || tag == 7) {
                    names.add((tag == 2 ? "DNS:" : "IP:") + alternative.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            // The JDK checked the names from the same extension; without them the message says none.
        }
        return names;
    }

    // A client's trust manager is never asked about clients; these only keep the contract.

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        jdk.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        jdk.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        jdk.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return jdk.getAcceptedIssuers();
    }
}
