package dev.glisten.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/**
 * The naive baseline: a blocking {@link ServerSocket}, one platform thread per connection, a
 * 16 KiB {@code byte[]} per connection (the size of glisten's default read). Its cost at 10,000
 * connections is the point of the row: a platform thread's stack and scheduling, not the echo.
 */
final class ThreadPerConnectionEcho {

    private static final int BUFFER_SIZE = 16 * 1024;

    private ThreadPerConnectionEcho() { }

    static Main.EchoServer start(Main.Options options) throws IOException {
        if (options.tls()) {
            throw new UnsupportedOperationException("the thread-per-connection server has no TLS");
        }
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName(options.bind()), options.port()), Main.BACKLOG);
        Thread acceptor = Thread.ofPlatform().name("acceptor").start(() -> accept(listener));
        return new Main.EchoServer() {
            @Override
            public InetSocketAddress address() {
                return (InetSocketAddress) listener.getLocalSocketAddress();
            }

            @Override
            public void close() {
                try {
                    listener.close();
                    acceptor.join();
                } catch (IOException | InterruptedException e) {
                    // Closing at exit: nothing is left to clean up that the process exit does not.
                }
            }
        };
    }

    private static void accept(ServerSocket listener) {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                Thread.ofPlatform().daemon().start(() -> echo(socket));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("accept failed: " + e);
                }
            }
        }
    }

    private static void echo(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buffer = new byte[BUFFER_SIZE];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            // The peer reset or the server is stopping: the connection simply ends.
        } catch (IOException e) {
            System.err.println("connection failed: " + e);
        }
    }
}
