package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.Framing;
import dev.glisten.Handler;
import dev.glisten.MailboxOverflow;
import dev.glisten.Message;
import dev.glisten.NegotiatedTls;
import dev.glisten.Next;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.testing.TestConnection;
import dev.glisten.testkit.HandlerContract.Closed;
import dev.glisten.testkit.HandlerContract.Seen;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules a client's handler can count on, run once against {@link TestConnection} made
 * {@linkplain TestConnection.Builder#outbound() outbound} and once as a real
 * {@link dev.glisten.Client} connected to a real server on loopback
 * ({@link TestConnectionClientContractTest}, {@link RealClientContractTest}). A client's handler
 * has the same types as a server's and runs in the same loop; this suite is what says the kit
 * runs it as the real client does, as {@link HandlerContract} says it for a server's.
 *
 * <p>The scripted client greets from {@code onInit}, answers each packet with it in square
 * brackets (one frame of the current framing), writes each user message in angle brackets and
 * takes a few of them as commands; its state is everything it handled. The server is the test's
 * {@link Peer}: it sends, reads, finishes its output or closes when told to. Under raw framing the
 * server waits for each answer before sending more, so that TCP delivers each send as one packet.
 * Scenarios with time in them use {@link Peer#pass}, as {@link HandlerContract} does.
 */
abstract class ClientContract {

    /** The protocol both sides of a TLS connection offer by ALPN. */
    static final String ALPN = "x-glisten-client-contract";
    /** The name the client asks for, which the server's certificate is issued to. */
    static final String SERVER_NAME = "localhost";

    private static final Duration IDLE_TIMEOUT = Duration.ofMillis(500);
    private static final Duration SEND_TIMEOUT = Duration.ofMillis(300);
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    static Path certificateDirectory;
    static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.generate(certificateDirectory);
    }

    /**
     * How the client under test is set up; each side applies all of it. With {@code tls} the
     * server presents the certificate of {@link #certificates} and requires the client's, and the
     * client trusts only that certificate, asks for {@link #SERVER_NAME} and offers {@link #ALPN}.
     *
     * @param idleTimeout none if null
     * @param sendTimeout the default (30 seconds) if null
     */
    record Options(Framing framing, Duration idleTimeout, Duration sendTimeout, int mailboxCapacity,
            MailboxOverflow mailboxOverflow, boolean allowHalfClose, boolean tls) {
        static final Options PLAIN = new Options(Framing.raw(), null, null, 1024, MailboxOverflow.CLOSE, false, false);

        Options withFraming(Framing framing) {
            return new Options(framing, idleTimeout, sendTimeout, mailboxCapacity, mailboxOverflow, allowHalfClose,
                    tls);
        }

        Options withIdleTimeout(Duration timeout) {
            return new Options(framing, timeout, sendTimeout, mailboxCapacity, mailboxOverflow, allowHalfClose, tls);
        }

        Options withSendTimeout(Duration timeout) {
            return new Options(framing, idleTimeout, timeout, mailboxCapacity, mailboxOverflow, allowHalfClose, tls);
        }

        Options withMailbox(int capacity, MailboxOverflow policy) {
            return new Options(framing, idleTimeout, sendTimeout, capacity, policy, allowHalfClose, tls);
        }

        Options withHalfClose() {
            return new Options(framing, idleTimeout, sendTimeout, mailboxCapacity, mailboxOverflow, true, tls);
        }

        Options withTls() {
            return new Options(framing, idleTimeout, sendTimeout, mailboxCapacity, mailboxOverflow, allowHalfClose,
                    true);
        }
    }

    /** The server the client under test is connected to, as the test drives it. */
    interface Peer {
        /** The server sends {@code text} in UTF-8. */
        void send(String text) throws Exception;

        /** Exactly {@code n} bytes the client sent, failing if they do not come. */
        String read(int n) throws Exception;

        /**
         * Waits until the server has read the end of the client's stream (its
         * {@code shutdownOutput} or its close), failing if any byte was left unread.
         */
        void awaitEndOfStream() throws Exception;

        /** Sends a user message to the client's handle, as another thread of its application would. */
        void deliver(String message) throws Exception;

        /** The server finishes its output (half-close) and goes on reading. */
        void finishOutput() throws Exception;

        /** The server closes the connection. */
        void close() throws Exception;

        /** The server reads no more, however much the client sends. */
        void stopReading() throws Exception;

        /** Lets {@code time} pass with nothing happening. */
        void pass(Duration time) throws Exception;

        /** The server's address: the client's peer. */
        SocketAddress serverAddress();

        /** The client's own address, as the server sees it. */
        SocketAddress clientAddress();

        /** Called once the connection ended: settles anything that could call onClose again. */
        void settle() throws Exception;
    }

    /** Opens a client connection running these callbacks, set up as {@code options} say. */
    abstract Peer open(Options options, OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception;

    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final AtomicInteger closes = new AtomicInteger();
    private final CompletableFuture<Connection<String>> client = new CompletableFuture<>();
    private final CompletableFuture<Seen> seen = new CompletableFuture<>();

    private Peer open(Options options, OnInit<String, String> onInit) throws Exception {
        return open(options, connection -> {
            client.complete(connection);
            seen.complete(new Seen(connection.peerAddress(), connection.proxyAddress(), connection.proxyHeader(),
                    connection.localAddress(), connection.tls()));
            return onInit.init(connection);
        }, this::script, (state, reason, connection) -> {
            closes.incrementAndGet();
            closed.complete(new Closed(state, reason));
        });
    }

    /** A client that says {@code hi} first, once the server has read it. */
    private Peer open(Options options) throws Exception {
        Peer peer = open(options, connection -> {
            connection.send("hi\n".getBytes(UTF_8));
            return "";
        });
        assertThat(peer.read(3)).isEqualTo("hi\n");
        return peer;
    }

    private Peer open() throws Exception {
        return open(Options.PLAIN);
    }

    private Closed awaitClose(Peer peer) throws Exception {
        Closed result = closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        peer.settle();
        assertThat(closes).as("onClose calls").hasValue(1);
        assertThat(client.getNow(null).handle().isOpen()).isFalse();
        assertThat(client.getNow(null).handle().send("too late")).isFalse();
        return result;
    }

    private Next<String> script(String state, Message<String> message, Connection<String> connection)
            throws Exception {
        return switch (message) {
            case Message.Packet<String> packet -> answer(state, packet.text(UTF_8).strip(), connection);
            case Message.User<String> user -> command(state, user.message(), connection);
            case Message.EndOfInput<String> end -> {
                // The server has finished: answer once more; the test finishes this side.
                connection.sendFrame("[end]".getBytes(UTF_8));
                yield Next.continueWith(state + "<end>");
            }
            case Message.ShuttingDown<String> notice -> Next.stopAbnormal("a client got a server's shutdown notice");
        };
    }

    private static Next<String> answer(String state, String frame, Connection<String> connection) throws IOException {
        if ("stop".equals(frame)) {
            connection.send("bye".getBytes(UTF_8));
            return Next.stop();
        }
        String next = state + "[" + frame + "]";
        try {
            connection.sendFrame(("[" + frame + "]").getBytes(UTF_8));
        } catch (SocketException refused) {
            // After shutdownOutput packets still come, but sends are refused.
            return Next.continueWith(next + " unanswered");
        }
        return Next.continueWith(next);
    }

    private static Next<String> command(String state, String command, Connection<String> connection)
            throws IOException {
        if (command.startsWith("self ")) {
            // Messages to itself while busy: they wait in the mailbox until this call returns.
            StringBuilder queued = new StringBuilder(state).append('<').append(command).append("> queued=");
            for (int i = 0; i < Integer.parseInt(command.substring(5)); i++) {
                queued.append(connection.handle().send("m" + i) ? 'y' : 'n');
            }
            return Next.continueWith(queued.append(" backlog=").append(connection.handle().backlog()).toString());
        }
        switch (command) {
            case "finish" -> {
                // A request-response client: the request, then the end of it.
                connection.sendFrame("last".getBytes(UTF_8));
                connection.shutdownOutput();
                return Next.continueWith(state + "<finish> then " + HandlerContract.sendAfterAFailure(connection));
            }
            case "flood" -> {
                try {
                    HandlerContract.flood(connection);
                } catch (IOException e) {
                    return Next.continueWith(state + "<flood> caught " + e.getClass().getSimpleName() + ", then "
                            + HandlerContract.sendAfterAFailure(connection));
                }
                return Next.stopAbnormal("the flood never blocked");
            }
            case "starttls" -> {
                String outcome;
                try {
                    connection.startTls(certificates.serverTls());
                    outcome = "<starttls upgraded>";
                } catch (IllegalStateException refused) {
                    outcome = "<starttls refused>";
                }
                connection.send(outcome.getBytes(UTF_8));
                return Next.continueWith(state + outcome);
            }
            default -> {
                connection.sendFrame(("<" + command + ">").getBytes(UTF_8));
                return Next.continueWith(state + "<" + command + ">");
            }
        }
    }

    /** A frame of {@code Framing.lengthPrefixed(2)}, for payloads under 256 bytes. */
    private static String lengthPrefixed(String payload) {
        return "\u0000" + (char) payload.length() + payload;
    }

    @Test
    void onInitSendsARequestAndTheReplyArrivesOneLineACall() throws Exception {
        Peer peer = open(Options.PLAIN.withFraming(Framing.lines()), connection -> {
            connection.sendFrame("GET greeting".getBytes(UTF_8));
            return "";
        });
        assertThat(peer.read(13)).isEqualTo("GET greeting\n");
        peer.send("hello\nwor");
        peer.send("ld\n");
        assertThat(peer.read(16)).isEqualTo("[hello]\n[world]\n");
        peer.send("unfinished");
        peer.close();
        // The line the server never finished is not delivered.
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[hello][world]", new CloseReason.PeerClosed()));
    }

    @Test
    void onInitSendsARequestAndTheReplyArrivesOneLengthPrefixedFrameACall() throws Exception {
        Peer peer = open(Options.PLAIN.withFraming(Framing.lengthPrefixed(2)), connection -> {
            connection.sendFrame("GET".getBytes(UTF_8));
            return "";
        });
        assertThat(peer.read(5)).isEqualTo(lengthPrefixed("GET"));
        String hello = lengthPrefixed("hello");
        String empty = lengthPrefixed("");
        peer.send(hello.substring(0, 4));
        peer.send(hello.substring(4) + lengthPrefixed("world") + empty.substring(0, 1));
        peer.send(empty.substring(1));
        assertThat(peer.read(22))
                .isEqualTo(lengthPrefixed("[hello]") + lengthPrefixed("[world]") + lengthPrefixed("[]"));
        peer.close();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[hello][world][]", new CloseReason.PeerClosed()));
    }

    @Test
    void userMessagesSentThroughTheHandleArriveInOrder() throws Exception {
        Peer peer = open();
        peer.deliver("a");
        peer.deliver("b");
        peer.deliver("c");
        assertThat(peer.read(9)).isEqualTo("<a><b><c>");
        peer.send("x");
        assertThat(peer.read(3)).isEqualTo("[x]");
        peer.deliver("d");
        assertThat(peer.read(3)).isEqualTo("<d>");
        peer.close();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<a><b><c>[x]<d>", new CloseReason.PeerClosed()));
    }

    @Test
    void theServerClosingEndsTheClientWithPeerClosedAndOnCloseOnce() throws Exception {
        Peer peer = open();
        peer.send("ab");
        assertThat(peer.read(4)).isEqualTo("[ab]");
        peer.close();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[ab]", new CloseReason.PeerClosed()));
    }

    @Test
    void stopFromTheClientsHandlerEndsWithStopped() throws Exception {
        Peer peer = open();
        peer.send("one");
        assertThat(peer.read(5)).isEqualTo("[one]");
        peer.send("stop");
        assertThat(peer.read(3)).isEqualTo("bye");
        peer.awaitEndOfStream();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[one]", new CloseReason.Stopped()));
    }

    // --- half-close ---

    @Test
    void aClientThatFinishesItsRequestStillGetsTheAnswerThenEndsWithPeerClosed() throws Exception {
        Peer peer = open(Options.PLAIN.withHalfClose());
        peer.deliver("finish");
        assertThat(peer.read(4)).isEqualTo("last");
        peer.awaitEndOfStream();
        peer.send("answer");
        peer.finishOutput();
        // This side had finished first, so the server's end completes the close: no EndOfInput.
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<finish> then a send was refused[answer] unanswered",
                new CloseReason.PeerClosed()));
    }

    @Test
    void theServerFinishingItsOutputDeliversEndOfInputAndTheClientMayStillSend() throws Exception {
        Peer peer = open(Options.PLAIN.withHalfClose());
        peer.send("question");
        assertThat(peer.read(10)).isEqualTo("[question]");
        peer.finishOutput();
        assertThat(peer.read(5)).isEqualTo("[end]");
        peer.deliver("more");
        assertThat(peer.read(6)).isEqualTo("<more>");
        // From outside the handler, as an application ends its side: both sides are done.
        client.getNow(null).shutdownOutput();
        peer.awaitEndOfStream();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[question]<end><more>", new CloseReason.Stopped()));
    }

    @Test
    void withoutHalfCloseTheServerFinishingItsOutputEndsTheClientWithPeerClosed() throws Exception {
        Peer peer = open();
        peer.send("question");
        assertThat(peer.read(10)).isEqualTo("[question]");
        peer.finishOutput();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[question]", new CloseReason.PeerClosed()));
        peer.awaitEndOfStream();
    }

    // --- the mailbox, timers and a server that stops reading ---

    @Test
    void aFullMailboxClosesTheClientOnceTheCallReturns() throws Exception {
        Peer peer = open(Options.PLAIN.withMailbox(2, MailboxOverflow.CLOSE));
        peer.deliver("self 5");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<self 5> queued=yynnn backlog=2",
                new CloseReason.MailboxOverflowed(2)));
    }

    @Test
    void aFullMailboxThatRefusesKeepsWhatFitAndTheClientGoesOn() throws Exception {
        Peer peer = open(Options.PLAIN.withMailbox(2, MailboxOverflow.REFUSE));
        peer.deliver("self 5");
        assertThat(peer.read(8)).isEqualTo("<m0><m1>");
        peer.close();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<self 5> queued=yynnn backlog=2<m0><m1>",
                new CloseReason.PeerClosed()));
    }

    @Test
    void onlyBytesFromTheServerKeepAnIdleClientOpen() throws Exception {
        Duration half = IDLE_TIMEOUT.dividedBy(2);
        Peer peer = open(Options.PLAIN.withIdleTimeout(IDLE_TIMEOUT));
        peer.pass(half);
        peer.send("a");
        assertThat(peer.read(3)).isEqualTo("[a]");
        peer.pass(half);
        peer.deliver("m");
        assertThat(peer.read(3)).isEqualTo("<m>");
        // The idle timeout since "a" runs out now, whatever the user message did.
        peer.pass(half);
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[a]<m>", new CloseReason.IdleTimedOut(IDLE_TIMEOUT)));
    }

    @Test
    void aSendToAServerThatStoppedReadingTimesOutAndEndsTheClient() throws Exception {
        Peer peer = open(Options.PLAIN.withSendTimeout(SEND_TIMEOUT));
        peer.stopReading();
        peer.deliver("flood");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<flood> caught SocketTimeoutException, then a send was "
                + "refused", new CloseReason.SendTimedOut(SEND_TIMEOUT)));
    }

    // --- what the client's handler sees of its connection ---

    @Test
    void aClientConnectionHasTheServerForItsPeerAndNoProxy() throws Exception {
        Peer peer = open();
        Seen plain = seen.getNow(null);
        assertThat(plain.peerAddress()).isEqualTo(peer.serverAddress());
        assertThat(plain.localAddress()).isEqualTo(peer.clientAddress());
        assertThat(plain.proxyAddress()).isEmpty();
        assertThat(plain.proxyHeader()).isEmpty();
        assertThat(plain.tls()).isEmpty();
        assertThat(client.getNow(null).handle().peerAddress()).isEqualTo(peer.serverAddress());
    }

    @Test
    void startTlsIsRefusedOnAClientConnectionWhichGoesOn() throws Exception {
        Peer peer = open();
        peer.deliver("starttls");
        assertThat(peer.read(18)).isEqualTo("<starttls refused>");
        peer.send("still plain");
        assertThat(peer.read(13)).isEqualTo("[still plain]");
        peer.close();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("<starttls refused>[still plain]",
                new CloseReason.PeerClosed()));
    }

    @Test
    void aTlsClientSeesWhatTheHandshakeSettledWithTheServer() throws Exception {
        Peer peer = open(Options.PLAIN.withTls());
        NegotiatedTls tls = seen.getNow(null).tls().orElseThrow();
        assertThat(tls.protocol()).isEqualTo("TLSv1.3");
        assertThat(tls.applicationProtocol()).contains(ALPN);
        assertThat(tls.serverName()).contains(SERVER_NAME);
        assertThat(tls.peerCertificates()).containsExactly(certificates.server());
        assertThat(tls.session().getPeerCertificates()).containsExactly(certificates.server());
        // The engine was made for the name the client verifies, and the port it connected to.
        assertThat(tls.session().getPeerHost()).isEqualTo(SERVER_NAME);
        assertThat(tls.session().getPeerPort()).isEqualTo(((InetSocketAddress) peer.serverAddress()).getPort());
        peer.send("over tls");
        assertThat(peer.read(10)).isEqualTo("[over tls]");
        peer.send("stop");
        assertThat(peer.read(3)).isEqualTo("bye");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("[over tls]", new CloseReason.Stopped()));
    }
}
