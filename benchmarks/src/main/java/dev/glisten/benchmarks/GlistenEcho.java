package dev.glisten.benchmarks;

import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import dev.glisten.Tls;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * This library's echo server, exactly the README's: every {@link Message.Packet} is sent straight
 * back from the read buffer it was lent from, without a copy. Every option is at its default (10 acceptors, 16 KiB reads, backlog 1024, TCP_NODELAY on),
 * so the benchmark measures what a user gets; JVM flags are set by the harness in one place
 * ({@code GLISTEN_JVM_FLAGS} in {@code benchmarks/harness/servers.py}).
 *
 * <p>With {@code --tls-cert}/{@code --tls-key} it serves TLS 1.3 only, like {@link NettyEcho}'s
 * TLS mode, through the library's own {@link Tls} (the JDK provider); the handler is the same.
 */
final class GlistenEcho {

    private GlistenEcho() { }

    static Main.EchoServer start(Main.Options options) throws IOException {
        Server.Builder<Void, Void> builder = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                connection.send(packet);
            }
            return Next.continueWith(state);
        });
        if (options.tls()) {
            builder.tls(Tls.builder()
                    .certificate(options.tlsCert().toPath(), options.tlsKey().toPath())
                    .protocols("TLSv1.3")
                    // Netty's TLS 1.3 suites in Netty's order (SslUtils.TLSV13_CIPHER_SUITES), so
                    // both rows choose TLS_AES_128_GCM_SHA256 and the point compares servers, not
                    // ciphers. The default, the JDK's order, would choose TLS_AES_256_GCM_SHA384.
                    .cipherSuites("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
                    .build());
        }
        Server server = builder.bind(options.bind()).start(options.port());
        return new Main.EchoServer() {
            @Override
            public InetSocketAddress address() {
                return server.address();
            }

            @Override
            public void close() {
                server.stop();
            }
        };
    }
}
