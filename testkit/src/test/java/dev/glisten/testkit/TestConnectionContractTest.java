package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.Handler;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import java.util.Arrays;

/** {@link HandlerContract} against {@link TestConnection}. */
class TestConnectionContractTest extends HandlerContract {

    @Override
    Peer open(OnInit<String, String> onInit, Handler<String, String> handler, OnClose<String, String> onClose) {
        TestConnection<String, String> connection = TestConnection.of(onInit, handler).onClose(onClose).start();
        return new Peer() {
            private int read;

            @Override
            public void send(String text) {
                connection.receive(text);
            }

            @Override
            public String read(int n) {
                byte[] sent = connection.sent();
                assertThat(sent.length - read).as("bytes sent and not yet read").isGreaterThanOrEqualTo(n);
                read += n;
                return new String(Arrays.copyOfRange(sent, read - n, read), UTF_8);
            }

            @Override
            public void deliver(String message) {
                connection.deliver(message);
            }

            @Override
            public void closeOutput() {
                connection.peerClosed();
            }

            @Override
            public void settle() {
                assertThat(connection.isOpen()).isFalse();
                assertThat(connection.onCloseCalls()).isEqualTo(1);
            }
        };
    }
}
