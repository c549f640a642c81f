package dev.glisten.internal.tls;

/**
 * TLS key or certificate material that cannot be used: a file that is missing, empty, not PEM, a
 * key that is encrypted without a password, or that does not match its certificate, and so on. The
 * message names the file (or says "in-memory PEM"), says what is wrong and how to fix it, so a
 * server that fails to start tells its operator everything in one line.
 *
 * <p>Unchecked, and an {@link IllegalArgumentException}, because it reports bad configuration
 * the way glisten's builders report every other bad option: fail fast, once, at start, with nothing
 * a program could do to recover except fix its configuration. A checked
 * {@link java.security.GeneralSecurityException} would force every caller to catch what it can
 * only rethrow. I/O problems reading the files are configuration problems too (a wrong path, a
 * missing permission), so they are reported this way, with the {@link java.io.IOException} as the
 * cause.
 */
public final class TlsConfigException extends IllegalArgumentException {

    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The house format: {@code "<source>: <problem>. <fix>"}, for example {@code "key file
     * /etc/app/key.pem: does not exist. Check the path ..."}.
     *
     * @param source what was read: {@link PemSource#name()}, or "PKCS#12 file /path"
     * @param problem what is wrong, lower case, no final period
     * @param fix what to do about it, a sentence
     */
    static TlsConfigException of(String source, String problem, String fix) {
        return new TlsConfigException(source + ": " + problem + ". " + fix);
    }

    static TlsConfigException of(String source, String problem, String fix, Throwable cause) {
        return new TlsConfigException(source + ": " + problem + ". " + fix, cause);
    }
}
