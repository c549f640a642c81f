package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.testing.TestConnection;
import java.time.Duration;
import java.util.Arrays;

/**
 * The side of a {@link TestConnection} that a contract runner plays, whichever side the handler
 * under test is on: what it sends the connection receives, it reads what the handler sent, in
 * order, and its time is the virtual clock. {@link TestConnectionContractTest} and
 * {@link TestConnectionClientContractTest} add what differs.
 */
class MemoryPeer {

    final TestConnection<String, String> connection;
    private int read;

    MemoryPeer(TestConnection<String, String> connection) {
        this.connection = connection;
    }

    public void send(String text) {
        connection.receive(text);
    }

    public String read(int n) {
        assertThat(unread()).as("bytes sent and not yet read").isGreaterThanOrEqualTo(n);
        read += n;
        return new String(Arrays.copyOfRange(connection.sent(), read - n, read), UTF_8);
    }

    /** How many bytes the handler sent that {@link #read} has not returned. */
    int unread() {
        return connection.sent().length - read;
    }

    public void deliver(String message) {
        connection.deliver(message);
    }

    public void stopReading() {
        connection.peerStopsReading();
    }

    public void pass(Duration time) {
        connection.advance(time);
    }

    /** Everything ran on this thread: the connection has ended, and onClose ran once. */
    public void settle() {
        assertThat(connection.isOpen()).isFalse();
        assertThat(connection.onCloseCalls()).isEqualTo(1);
    }
}
