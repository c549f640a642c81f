package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Handler;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The rules a handler can count on, run once against {@link TestConnection} and once against a
 * real server on loopback ({@link TestConnectionContractTest}, {@link RealServerContractTest}): the
 * kit is only worth trusting if both pass the same scenarios.
 *
 * <p>The scripted handler greets, echoes each packet, and reacts to a packet that is exactly a
 * command; its state is every byte and message it handled. The client waits for each echo before
 * sending more, so that TCP delivers each send as one packet.
 */
abstract class HandlerContract {

    /** A connection under test, as the client sees it. */
    interface Peer {
        void send(String text) throws Exception;

        /** Exactly {@code n} bytes the handler sent, failing if they do not come. */
        String read(int n) throws Exception;

        /** Sends a user message to the connection's handle, as another thread would. */
        void deliver(String message) throws Exception;

        /** The client closes its sending side. */
        void closeOutput() throws Exception;

        /** Called once the connection ended: settles anything that could call onClose again. */
        void settle() throws Exception;
    }

    /** Opens a connection running these callbacks; the handle future completes when onInit runs. */
    abstract Peer open(OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception;

    record Closed(String state, CloseReason reason) { }

    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final AtomicInteger closes = new AtomicInteger();
    private final CompletableFuture<ConnectionHandle<String>> handle = new CompletableFuture<>();

    private Peer open(OnInit<String, String> onInit) throws Exception {
        return open(connection -> {
            handle.complete(connection.handle());
            return onInit.init(connection);
        }, HandlerContract::script, (state, reason, connection) -> {
            closes.incrementAndGet();
            closed.complete(new Closed(state, reason));
        });
    }

    private Peer open() throws Exception {
        Peer peer = open(connection -> {
            connection.send("hi\n".getBytes(UTF_8));
            return "";
        });
        assertThat(peer.read(3)).isEqualTo("hi\n");
        return peer;
    }

    private Closed awaitClose(Peer peer) throws Exception {
        Closed result = closed.get(5, TimeUnit.SECONDS);
        peer.settle();
        assertThat(closes).as("onClose calls").hasValue(1);
        assertThat(handle.getNow(null).isOpen()).isFalse();
        return result;
    }

    private static Next<String> script(String state, Message<String> message, Connection<String> connection)
            throws IOException {
        if (message instanceof Message.User<String> user) {
            connection.send(("<" + user.message() + ">").getBytes(UTF_8));
            return Next.continueWith(state + "<" + user.message() + ">");
        }
        if (!(message instanceof Message.Packet<String> packet)) {
            return Next.stop();
        }
        String text = packet.text(UTF_8);
        String next = state + text;
        switch (text) {
            case "stop" -> {
                connection.send("bye".getBytes(UTF_8));
                return Next.stop();
            }
            case "abnormal" -> {
                return Next.stopAbnormal("bad input");
            }
            case "boom" -> throw new IllegalStateException("boom");
            case "close" -> {
                connection.close();
                // Still open until this call returns, yet sends already fail.
                boolean open = connection.handle().isOpen();
                boolean sendFailed;
                try {
                    connection.send("late".getBytes(UTF_8));
                    sendFailed = false;
                } catch (SocketException expected) {
                    sendFailed = true;
                }
                return Next.continueWith(next + " open=" + open + " sendFailed=" + sendFailed);
            }
            default -> {
                connection.send(packet.bytes());
                return Next.continueWith(next);
            }
        }
    }

    @Test
    void greetsThenEchoes() throws Exception {
        Peer peer = open();
        peer.send("hello");
        assertThat(peer.read(5)).isEqualTo("hello");
        peer.send("again");
        assertThat(peer.read(5)).isEqualTo("again");
    }

    @Test
    void deliversUserMessagesInOrder() throws Exception {
        Peer peer = open();
        peer.deliver("a");
        peer.deliver("b");
        peer.deliver("c");
        assertThat(peer.read(9)).isEqualTo("<a><b><c>");
        peer.send("x");
        assertThat(peer.read(1)).isEqualTo("x");
        peer.closeOutput();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<a><b><c>x", new CloseReason.PeerClosed()));
    }

    @Test
    void stopEndsNormallyAfterTheHandlersSends() throws Exception {
        Peer peer = open();
        peer.send("one");
        assertThat(peer.read(3)).isEqualTo("one");
        peer.send("stop");
        assertThat(peer.read(3)).isEqualTo("bye");
        // The state is the one the last Continue returned.
        assertThat(awaitClose(peer)).isEqualTo(new Closed("one", new CloseReason.Stopped()));
    }

    @Test
    void stopAbnormalReportsItsReason() throws Exception {
        Peer peer = open();
        peer.send("abnormal");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("", new CloseReason.StoppedAbnormally("bad input")));
    }

    @Test
    void aThrowingHandlerEndsWithHandlerFailed() throws Exception {
        Peer peer = open();
        peer.send("one");
        assertThat(peer.read(3)).isEqualTo("one");
        peer.send("boom");
        Closed result = awaitClose(peer);
        assertThat(result.state()).isEqualTo("one");
        assertThat(result.reason()).isInstanceOfSatisfying(CloseReason.HandlerFailed.class,
                failed -> assertThat(failed.error()).isInstanceOf(IllegalStateException.class).hasMessage("boom"));
    }

    @Test
    void aThrowingOnInitEndsWithInitFailedAndNoState() throws Exception {
        Peer peer = open(connection -> {
            throw new IOException("refused");
        });
        Closed result = awaitClose(peer);
        assertThat(result.state()).isNull();
        assertThat(result.reason()).isInstanceOfSatisfying(CloseReason.InitFailed.class,
                failed -> assertThat(failed.error()).hasMessage("refused"));
    }

    @Test
    void aCloseInsideTheHandlerTakesEffectWhenItReturns() throws Exception {
        Peer peer = open();
        peer.send("close");
        assertThat(awaitClose(peer))
                .isEqualTo(new Closed("close open=true sendFailed=true", new CloseReason.ClosedLocally()));
        assertThat(handle.getNow(null).send("too late")).isFalse();
    }

    @Test
    void aCloseFromOnInitEndsBeforeAnyMessage() throws Exception {
        Peer peer = open(connection -> {
            connection.send("hi\n".getBytes(UTF_8));
            connection.handle().send("never delivered");
            connection.close();
            return "initial";
        });
        assertThat(peer.read(3)).isEqualTo("hi\n");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("initial", new CloseReason.ClosedLocally()));
    }

    @Test
    void thePeerClosingEndsWithPeerClosedAndTheLastState() throws Exception {
        Peer peer = open();
        peer.send("ab");
        assertThat(peer.read(2)).isEqualTo("ab");
        peer.closeOutput();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("ab", new CloseReason.PeerClosed()));
    }
}
