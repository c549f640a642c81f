package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;

/** Makes {@link TlsConfigException}s in the house format. */
final class TlsProblems {

    private TlsProblems() { }

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
