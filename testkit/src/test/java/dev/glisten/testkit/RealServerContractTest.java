package dev.glisten.testkit;

import dev.glisten.ConnectionHandle;
import dev.glisten.Handler;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.Server;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** {@link HandlerContract} against a real server on 127.0.0.1, through {@link RunningServer}. */
class RealServerContractTest extends HandlerContract {

    private RunningServer running;

    @Override
    Peer open(OnInit<String, String> onInit, Handler<String, String> handler, OnClose<String, String> onClose)
            throws Exception {
        CompletableFuture<ConnectionHandle<String>> handle = new CompletableFuture<>();
        running = RunningServer.start(Server.builder((OnInit<String, String>) connection -> {
            handle.complete(connection.handle());
            return onInit.init(connection);
        }, handler).onClose(onClose));
        TestClient client = running.connect();
        return new Peer() {
            @Override
            public void send(String text) throws Exception {
                client.send(text);
            }

            @Override
            public String read(int n) throws Exception {
                return client.readText(n);
            }

            @Override
            public void deliver(String message) throws Exception {
                handle.get(5, TimeUnit.SECONDS).send(message);
            }

            @Override
            public void closeOutput() throws Exception {
                client.shutdownOutput();
            }

            @Override
            public void settle() {
                // Stopping the server closes whatever is still open: an ended connection must not
                // see a second onClose.
                running.close();
            }
        };
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.close();
        }
    }
}
