/**
 * TLS key and certificate material, with no dependency beyond the JDK: what the TLS server loads
 * at start, so that a wrong file stops it with a message naming the file and the fix
 * ({@link dev.glisten.TlsConfigException}) rather than failing every handshake.
 *
 * <ul>
 *   <li>{@link dev.glisten.internal.tls.KeyMaterial}: the server's chain and key, from PEM files,
 *       in-memory PEM or PKCS#12, checked to match; gives the {@code KeyManager[]}.</li>
 *   <li>{@link dev.glisten.internal.tls.TrustAnchors}: CA certificates for client certificates;
 *       gives the {@code TrustManager[]}.</li>
 *   <li>{@link dev.glisten.internal.tls.SslContexts}: the {@code SSLContext} from both.</li>
 * </ul>
 *
 * Below them: {@link dev.glisten.internal.tls.PemReader} (RFC 7468),
 * {@link dev.glisten.internal.tls.CertificateChains}, {@link dev.glisten.internal.tls.PrivateKeys}
 * with {@code Pkcs8} (RFC 5208/5958, PKCS#1 RFC 8017, SEC1 RFC 5915, RFC 8410) and
 * {@code EncryptedPkcs8} (RFC 8018 PBES2), {@link dev.glisten.internal.tls.KeyPairs}, and
 * {@code Der}, the little ASN.1 they share.
 */
package dev.glisten.internal.tls;


import dev.glisten.TlsConfigException;