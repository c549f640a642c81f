package dev.glisten.internal.client;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import dev.glisten.internal.loop.LoopOptions;
import dev.glisten.internal.tls.RealClientTls;
import dev.glisten.socket.SocketOptions;
import java.time.Duration;

/**
 * Everything a {@link dev.glisten.Client.Builder} was built with, already validated by it.
 *
 * @param tls {@code null} for plain TCP
 * @param proxyHeader {@code null} to send none
 * @param proxyVersion the version {@code proxyHeader} is sent in; {@code null} when none is sent
 */
public record ClientOptions<S, M>(
        LoopOptions<S, M> loop,
        SocketOptions socketOptions,
        int readBufferSize,
        Duration sendTimeout,
        Duration connectTimeout,
        RealClientTls tls,
        ProxyHeader proxyHeader,
        ProxyProtocol.Version proxyVersion) {
}
