package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.glisten.CloseReason;
import dev.glisten.Handler;
import dev.glisten.Message;
import dev.glisten.NegotiatedTls;
import dev.glisten.Next;
import dev.glisten.testing.TestConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the in-memory connection can show: the virtual clock, injected failures, half-close step
 * by step, TLS and PROXY, and an outbound connection's differences.
 */
class TestConnectionTest {

    private static final Handler<Integer, String> ECHO = (count, message, connection) -> {
        if (message instanceof Message.Packet<String> packet) {
            connection.send(packet.bytes());
        }
        return Next.continueWith(count + 1);
    };

    @Test
    void theIdleTimeoutFiresOnTheVirtualClockAndCountsOnlyBytesFromThePeer() {
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, ECHO)
                .idleTimeout(Duration.ofSeconds(10)).start();
        connection.advance(Duration.ofSeconds(9)).receive("x").advance(Duration.ofSeconds(9));
        connection.deliver("messages are not the peer being alive").advance(Duration.ofSeconds(0));
        assertThat(connection.isOpen()).isTrue();
        connection.advance(Duration.ofSeconds(1));
        assertThat(connection.closeReason()).contains(new CloseReason.IdleTimedOut(Duration.ofSeconds(10)));
        assertThat(connection.finalState()).isEqualTo(2);
    }

    @Test
    void theLifetimeEndsTheConnectionEvenWhileThePeerTalks() {
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, ECHO)
                .maxLifetime(Duration.ofMinutes(1)).start();
        connection.advance(Duration.ofSeconds(59)).receive("x").advance(Duration.ofSeconds(1));
        assertThat(connection.closeReason()).contains(new CloseReason.LifetimeEnded(Duration.ofMinutes(1)));
        assertThat(connection.clock().instant()).isEqualTo("2000-01-01T00:01:00Z");
    }

    @Test
    void aFailedSendThrowsAndEndsWithSendFailedEvenIfTheHandlerSwallowsIt() {
        IOException reset = new IOException("Connection reset by peer");
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, (Handler<Integer, String>) (count, message, c) -> {
            try {
                c.send("reply".getBytes(UTF_8));
            } catch (IOException ignored) {
                return Next.continueWith(-1);
            }
            return Next.continueWith(count + 1);
        }).start();
        connection.receive("a").failSends(reset).receive("b");
        assertThat(connection.closeReason()).contains(new CloseReason.SendFailed(reset));
        assertThat(connection.finalState()).isEqualTo(-1);
        assertThat(connection.sentText()).isEqualTo("reply");
    }

    @Test
    void aPeerThatStopsReadingTimesTheNextSendOutOnTheVirtualClock() {
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, ECHO)
                .sendTimeout(Duration.ofSeconds(2)).start();
        connection.receive("a").peerStopsReading().receive("b");
        assertThat(connection.closeReason()).contains(new CloseReason.SendTimedOut(Duration.ofSeconds(2)));
        assertThat(connection.sentText()).isEqualTo("a");
        assertThat(connection.finalState()).as("the handler threw on b").isEqualTo(1);
        assertThat(connection.clock().instant()).isEqualTo("2000-01-01T00:00:02Z");
    }

    @Test
    void recordsEachSendAsOneWrite(@TempDir Path directory) throws IOException {
        Path file = Files.writeString(directory.resolve("body.txt"), "file body");
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, (Handler<Integer, String>) (count, message, c) -> {
            c.send(ByteBuffer.wrap("head ".getBytes(UTF_8)), ByteBuffer.wrap("tail ".getBytes(UTF_8)));
            c.sendFile(file, 5, 4);
            return Next.continueWith(count);
        }).start();
        connection.receive("go");
        assertThat(connection.writes()).extracting(bytes -> new String(bytes, UTF_8))
                .containsExactly("head tail ", "body");
        assertThat(connection.sentText()).isEqualTo("head tail body");
    }

    @Test
    void readErrorsAndServerStopsEndTheConnectionWithTheirReasons() {
        IOException reset = new IOException("reset");
        assertThat(TestConnection.of(c -> 0, ECHO).start().receive("x").readFails(reset).closeReason())
                .contains(new CloseReason.SocketError(reset));
        assertThat(TestConnection.of(c -> 0, ECHO).start().serverStopped().closeReason())
                .contains(new CloseReason.ServerStopped());
    }

    @Test
    void aShutdownNoticeComesOnceAfterPendingPackets() {
        TestConnection<String, String> connection = TestConnection.of(c -> "", (Handler<String, String>) (seen, message, c) ->
                message instanceof Message.ShuttingDown<String> ? Next.stop() : Next.continueWith(seen + "p")).start();
        connection.receive("x").shutdown(Duration.ofSeconds(30));
        assertThat(connection.closeReason()).contains(new CloseReason.Stopped());
        assertThat(connection.finalState()).isEqualTo("p");
    }

    @Test
    void messagesQueuedBeforeAShutdownNoticeComeFirstUpToOneBatch() {
        // As the server's drainMailbox: the notice waits for the mailbox batch (64 messages), then
        // for the packets the socket has; a mailbox that keeps filling holds it back no longer.
        TestConnection<String, String> connection = TestConnection.of(c -> "", (Handler<String, String>) (seen, message, c) ->
                switch (message) {
                    case Message.User<String> user -> Next.continueWith(seen + user.message());
                    case Message.Packet<String> packet -> Next.continueWith(seen + "[" + packet.text(UTF_8) + "]");
                    case Message.ShuttingDown<String> notice -> Next.stop();
                    case Message.EndOfInput<String> end -> Next.stop();
                }).start();
        for (int i = 0; i < 70; i++) {
            connection.handle().send(i < 3 ? String.valueOf((char) ('a' + i)) : ".");
        }
        connection.shutdown(Duration.ofSeconds(30));
        assertThat(connection.closeReason()).contains(new CloseReason.Stopped());
        assertThat(connection.finalState()).isEqualTo("abc" + ".".repeat(61));
    }

    @Test
    void messagesAHandlerSendsItselfComeAfterItReturns() {
        TestConnection<String, String> connection = TestConnection.of(c -> "", (Handler<String, String>) (seen, message, c) -> {
            if (message instanceof Message.Packet<String>) {
                c.handle().send("first");
                c.handle().send("second");
                return Next.continueWith(seen + "packet ");
            }
            return Next.continueWith(seen + ((Message.User<String>) message).message() + " ");
        }).start();
        connection.receive("x");
        assertThat(connection.state()).isEqualTo("packet first second ");
    }

    @Test
    void tlsAndProxyDetailsReachTheHandler() throws IOException {
        SocketAddress client = new InetSocketAddress("203.0.113.7", 41_000);
        TestConnection<String, String> connection = TestConnection.of(c -> c.peerAddress() + " via "
                        + c.proxyAddress().orElseThrow() + " alpn " + c.tls().orElseThrow().applicationProtocol().orElseThrow(),
                        (Handler<String, String>) (state, message, c) -> Next.continueWith(state))
                .tls("h2", List.of()).serverName("api.example.com").proxiedFrom(client).start();
        assertThat(connection.state()).isEqualTo("/203.0.113.7:41000 via /127.0.0.1:50000 alpn h2");
        assertThat(connection.proxyHeader().orElseThrow().source()).contains(client);
        NegotiatedTls tls = connection.tls().orElseThrow();
        assertThat(tls.serverName()).contains("api.example.com");
        assertThat(tls.session().getProtocol()).isEqualTo("TLSv1.3");
        // As on the server, the handshake's peer is the client the PROXY header named.
        assertThat(tls.session().getPeerHost()).isEqualTo("203.0.113.7");
    }

    @Test
    void startTlsIsRecordedAndSettlesTheConfiguredTls() {
        TestConnection<NegotiatedTls, String> connection = TestConnection.of(c -> null,
                        (Handler<NegotiatedTls, String>) (state, message, c) -> Next.continueWith(c.startTls(dummyTls())))
                .startTlsNegotiates("smtp", List.of()).start();
        connection.receive("STARTTLS\r\n");
        assertThat(connection.startTlsCalls()).isEqualTo(1);
        assertThat(connection.state().applicationProtocol()).contains("smtp");
        // A second upgrade is refused, as on the server, and ends the connection.
        connection.receive("STARTTLS\r\n");
        assertThat(connection.closeReason()).get().isInstanceOf(CloseReason.HandlerFailed.class);
    }

    @Test
    void aClosedConnectionTakesNoMoreBytes() {
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, ECHO).start().peerClosed();
        assertThat(connection.handle().send("late")).isFalse();
        assertThatThrownBy(() -> connection.receive("x")).isInstanceOf(IllegalStateException.class);
    }

    // --- half-close: the rules are ConnectionLoop's, as on a socket ---

    /** Collects a request to its end, then answers it; a user message "finish" ends its own side. */
    private static final Handler<String, String> ANSWERS_AT_THE_END = (seen, message, c) -> switch (message) {
        case Message.Packet<String> packet -> {
            try {
                c.send(("[" + packet.text(UTF_8) + "]").getBytes(UTF_8));
                yield Next.continueWith(seen + packet.text(UTF_8));
            } catch (SocketException refused) {
                yield Next.continueWith(seen + packet.text(UTF_8) + " (answer refused)");
            }
        }
        case Message.EndOfInput<String> end -> {
            c.send(("got " + seen).getBytes(UTF_8));
            yield Next.continueWith(seen + "<end>");
        }
        case Message.User<String> user -> {
            c.shutdownOutput();
            yield Next.continueWith(seen + "<" + user.message() + ">");
        }
        case Message.ShuttingDown<String> notice -> Next.stop();
    };

    @Test
    void thePeersEndIsEndOfInputWithHalfCloseAndTheConnectionEndsOnceThisSideFinishesToo() throws IOException {
        TestConnection<String, String> connection = TestConnection.of(c -> "", ANSWERS_AT_THE_END)
                .allowHalfClose(true).start();
        connection.receive("request").peerClosed();
        assertThat(connection.state()).isEqualTo("request<end>");
        assertThat(connection.sentText()).isEqualTo("[request]got request");
        assertThat(connection.isOpen()).as("open for sending").isTrue();
        connection.send(" and more".getBytes(UTF_8));
        // From the test's thread, as from another thread of the application: both sides are done.
        connection.shutdownOutput();
        assertThat(connection.outputShut()).isTrue();
        assertThat(connection.closeReason()).contains(new CloseReason.Stopped());
        assertThat(connection.sentText()).isEqualTo("[request]got request and more");

        TestConnection<String, String> without = TestConnection.of(c -> "", ANSWERS_AT_THE_END).start();
        without.receive("request").peerClosed();
        assertThat(without.closeReason()).contains(new CloseReason.PeerClosed());
        assertThat(without.finalState()).as("no EndOfInput").isEqualTo("request");
    }

    @Test
    void afterShutdownOutputSendsThrowPacketsStillComeAndThePeersEndClosesWithPeerClosed() {
        TestConnection<String, String> connection = TestConnection.of(c -> "", ANSWERS_AT_THE_END)
                .allowHalfClose(true).start();
        connection.deliver("finish");
        assertThat(connection.outputShut()).isTrue();
        assertThatThrownBy(() -> connection.send(new byte[1])).isInstanceOf(SocketException.class)
                .hasMessageContaining("shutdownOutput");
        assertThatCode(connection::shutdownOutput).as("a second call does nothing").doesNotThrowAnyException();
        connection.receive("answer");
        assertThat(connection.state()).isEqualTo("<finish>answer (answer refused)");
        assertThat(connection.isOpen()).isTrue();
        // This side finished first: the peer's end completes the close, with no EndOfInput.
        connection.peerClosed();
        assertThat(connection.closeReason()).contains(new CloseReason.PeerClosed());
        assertThat(connection.finalState()).isEqualTo("<finish>answer (answer refused)");
        assertThat(connection.sentText()).isEmpty();
        assertThatThrownBy(connection::shutdownOutput).isInstanceOf(SocketException.class);
    }

    @Test
    void aHandlerThatStopsAtTheEndOfInputEndsWithStopped() {
        TestConnection<String, String> connection = TestConnection.of(c -> "", (Handler<String, String>) (seen, message, c) ->
                message instanceof Message.EndOfInput<String> ? Next.stop() : Next.continueWith(seen + "p"))
                .allowHalfClose(true).start();
        connection.receive("x").peerClosed();
        assertThat(connection.closeReason()).contains(new CloseReason.Stopped());
        assertThat(connection.finalState()).isEqualTo("p");
    }

    // --- an outbound connection, for a client's handler ---

    @Test
    void anOutboundConnectionHasTheServerForItsPeerAndRefusesWhatOnlyAServerMeets() {
        TestConnection<Integer, String> connection = TestConnection.of(c -> 0, ECHO).outbound()
                .tls("h2", List.of()).serverName("api.example.com").start();
        assertThat(connection.peerAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 4_000));
        assertThat(connection.localAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 50_000));
        // As a client's engine: made for the name it verifies, and the server's port.
        assertThat(connection.tls().orElseThrow().session().getPeerHost()).isEqualTo("api.example.com");
        assertThat(connection.tls().orElseThrow().session().getPeerPort()).isEqualTo(4_000);
        assertThatThrownBy(() -> connection.startTls(dummyTls())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outbound");
        assertThatThrownBy(() -> connection.shutdown(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(connection::serverStopped).isInstanceOf(IllegalStateException.class);
        assertThat(connection.isOpen()).isTrue();
        assertThatThrownBy(() -> TestConnection.of(c -> 0, ECHO).outbound()
                .proxiedFrom(new InetSocketAddress("192.0.2.1", 1_000)).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("proxiedFrom");
    }

    /** Never used for a handshake: any configuration will do. */
    private static dev.glisten.Tls dummyTls() throws IOException {
        try {
            return dev.glisten.Tls.builder().sslContext(javax.net.ssl.SSLContext.getDefault()).build();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }
}
