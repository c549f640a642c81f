package dev.glisten;

/**
 * TLS key or certificate material that cannot be used: a file that is missing, empty, not PEM, a
 * key that is encrypted without a password or does not match its certificate, and so on. Thrown by
 * the {@link Tls} factories (and by a {@linkplain Tls#reloaded() reload}) when the material is read.
 * The message names the file (or says "in-memory PEM"), says what is wrong and how to fix it, so
 * a server that fails to start tells its operator everything in one line:
 * {@code "key file /etc/app/key.pem: does not exist. Check the path ..."}.
 *
 * <p>Unchecked, and an {@link IllegalArgumentException}, because it reports bad configuration the
 * way the builders report every other bad option: fail fast, once, at start, with nothing a
 * program could do to recover except fix its configuration. I/O problems reading the files are
 * configuration problems too (a wrong path, a missing permission), so they are reported this way,
 * with the {@link java.io.IOException} as the cause.
 */
public final class TlsConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the file and the fix
     */
    public TlsConfigException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file and the fix
     * @param cause the error that revealed it
     */
    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
