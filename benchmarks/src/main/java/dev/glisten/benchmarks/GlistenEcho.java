package dev.glisten.benchmarks;

import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.Server;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * This library's echo server, exactly the README's: every {@link Message.Packet} is sent straight
 * back. Every option is at its default (10 acceptors, 16 KiB reads, backlog 1024, TCP_NODELAY on),
 * so the benchmark measures what a user gets; JVM flags are set by the harness in one place
 * ({@code GLISTEN_JVM_FLAGS} in {@code benchmarks/harness/servers.py}).
 */
final class GlistenEcho {

    private GlistenEcho() { }

    static Main.EchoServer start(Main.Options options) throws IOException {
        if (options.tls()) {
            throw new UnsupportedOperationException("glisten has no TLS yet");
        }
        Server server = Server.<Void, Void>builder(connection -> null, (state, message, connection) -> {
            if (message instanceof Message.Packet<Void> packet) {
                connection.send(packet.bytes());
            }
            return Next.continueWith(state);
        }).bind(options.bind()).start(options.port());
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
