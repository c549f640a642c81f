/**
 * TLS, with no dependency beyond the JDK: the engines that speak it and the key and certificate
 * material they use.
 *
 * <ul>
 *   <li>{@link dev.glisten.internal.tls.TlsChannel}: an {@code SSLEngine} that a connection's own
 *       thread drives over its watched socket (handshake, decryption, encryption, close_notify),
 *       on the server side or the client side.</li>
 *   <li>{@link dev.glisten.internal.tls.ServerTls}: a running server's configuration
 *       ({@link dev.glisten.internal.tls.RealTls}, swapped whole on reload, by hand or by
 *       {@code TlsFileWatcher}) and the buffers its connections borrow.</li>
 *   <li>{@link dev.glisten.internal.tls.RealClientTls}: a client's configuration, which makes its
 *       engines (SNI, host name verification, ALPN) and explains a refused server certificate
 *       with {@code ExplainingTrustManager}.</li>
 *   <li>{@link dev.glisten.internal.tls.TlsTransport}: the JDK's {@code SSLSocket} under the
 *       low-level API's sockets.</li>
 * </ul>
 *
 * The material is loaded at start, so that a wrong file stops the server with a message naming
 * the file and the fix ({@link dev.glisten.TlsConfigException}) rather than failing every
 * handshake.
 *
 * <ul>
 *   <li>{@link dev.glisten.internal.tls.KeyMaterial}: the server's chain and key, from PEM files,
 *       in-memory PEM or PKCS#12, checked to match; gives the {@code KeyManager[]}.</li>
 *   <li>{@link dev.glisten.internal.tls.TrustAnchors}: CA certificates for peer certificates, or
 *       the JDK's default ones; gives the {@code TrustManager[]}.</li>
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