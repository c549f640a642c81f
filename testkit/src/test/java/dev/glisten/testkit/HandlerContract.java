package dev.glisten.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.CloseReason;
import dev.glisten.Connection;
import dev.glisten.ConnectionHandle;
import dev.glisten.Framing;
import dev.glisten.Handler;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import dev.glisten.NegotiatedTls;
import dev.glisten.ProxyHeader;
import dev.glisten.testing.TestConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules a handler can count on, run once against {@link TestConnection} and once against a
 * real server on loopback ({@link TestConnectionContractTest}, {@link RealServerContractTest}): the
 * kit is only worth trusting if both pass the same scenarios.
 *
 * <p>The scripted handler greets, echoes each packet, and reacts to a packet that is exactly a
 * command; its state is every byte and message it handled. The client waits for each echo before
 * sending more, so that TCP delivers each send as one packet. Scenarios with time in them use
 * {@link Peer#pass}: the real server's clock runs while the test sleeps, the in-memory one moves
 * exactly as far, so the real side leaves each deadline half a timeout of margin.
 * {@link ClientContract} does the same for a client's handler.
 */
abstract class HandlerContract {

    /** The protocol both sides of a TLS connection offer by ALPN. */
    static final String ALPN = "x-glisten-contract";
    /** The name the TLS client asks for, which the server's certificate is issued to. */
    static final String SERVER_NAME = "localhost";
    /** A documentation address (RFC 5737) for a PROXY header to name: no traffic goes there. */
    static final InetSocketAddress PROXIED_CLIENT = new InetSocketAddress("192.0.2.10", 41_000);

    private static final Duration IDLE_TIMEOUT = Duration.ofMillis(500);
    private static final Duration MAX_LIFETIME = Duration.ofMillis(500);
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
     * How the connection under test is set up; each side applies what it can. A real server reads
     * {@code idleTimeout} and {@code maxLifetime} from its builder; with {@code tls} it requires the
     * client certificate of {@link #certificates} and the client offers {@link #ALPN} for
     * {@link #SERVER_NAME}; with {@code proxiedFrom} the client first writes a v1 header naming it.
     *
     * @param idleTimeout none if null
     * @param maxLifetime none if null
     * @param sendTimeout the default (30 seconds) if null
     * @param tls whether the connection is TLS
     * @param proxiedFrom the client a PROXY protocol header names; none if null
     */
    record Options(Duration idleTimeout, Duration maxLifetime, Duration sendTimeout, boolean tls,
            InetSocketAddress proxiedFrom, Framing framing, int maxFrameSize, int mailboxCapacity) {
        static final Options PLAIN = new Options(null, null, null, false, null, Framing.raw(), 64 * 1024, 1024);

        Options withIdleTimeout(Duration timeout) {
            return new Options(timeout, maxLifetime, sendTimeout, tls, proxiedFrom, framing, maxFrameSize,
                    mailboxCapacity);
        }

        Options withMaxLifetime(Duration lifetime) {
            return new Options(idleTimeout, lifetime, sendTimeout, tls, proxiedFrom, framing, maxFrameSize,
                    mailboxCapacity);
        }

        Options withSendTimeout(Duration timeout) {
            return new Options(idleTimeout, maxLifetime, timeout, tls, proxiedFrom, framing, maxFrameSize,
                    mailboxCapacity);
        }

        Options withTls() {
            return new Options(idleTimeout, maxLifetime, sendTimeout, true, proxiedFrom, framing, maxFrameSize,
                    mailboxCapacity);
        }

        Options proxiedFrom(InetSocketAddress client) {
            return new Options(idleTimeout, maxLifetime, sendTimeout, tls, client, framing, maxFrameSize,
                    mailboxCapacity);
        }

        Options withFraming(Framing framing, int maxFrameSize) {
            return new Options(idleTimeout, maxLifetime, sendTimeout, tls, proxiedFrom, framing, maxFrameSize,
                    mailboxCapacity);
        }

        Options withMailboxCapacity(int capacity) {
            return new Options(idleTimeout, maxLifetime, sendTimeout, tls, proxiedFrom, framing, maxFrameSize,
                    capacity);
        }
    }

    /** A connection under test, as the client sees it. */
    interface Peer {
        void send(String text) throws Exception;

        /** Exactly {@code n} bytes the handler sent, failing if they do not come. */
        String read(int n) throws Exception;

        /** Sends a user message to the connection's handle, as another thread would. */
        void deliver(String message) throws Exception;

        /** The client closes its sending side. */
        void closeOutput() throws Exception;

        /**
         * Sends {@code command}, waits until the handler is handling it ({@code handling} opens),
         * resets the connection so that the handler's sends fail, then opens {@code reset}, which
         * the handler waits for before it sends.
         */
        void resetWhileHandling(String command, CountDownLatch handling, CountDownLatch reset) throws Exception;

        /** The client reads no more, however much the handler sends. */
        void stopReading() throws Exception;

        /** Lets {@code time} pass with nothing happening. */
        void pass(Duration time) throws Exception;

        /** The client's own socket address, as the server sees it. */
        SocketAddress address();

        /** Called once the connection ended: settles anything that could call onClose again. */
        void settle() throws Exception;
    }

    /** Opens a connection running these callbacks, set up as {@code options} say. */
    abstract Peer open(Options options, OnInit<String, String> onInit, Handler<String, String> handler,
            OnClose<String, String> onClose) throws Exception;

    record Closed(String state, CloseReason reason) { }

    /** What {@link OnInit} saw of the connection. */
    record Seen(SocketAddress peerAddress, Optional<SocketAddress> proxyAddress, Optional<ProxyHeader> proxyHeader,
            SocketAddress localAddress, Optional<NegotiatedTls> tls) { }

    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final AtomicInteger closes = new AtomicInteger();
    private final CompletableFuture<ConnectionHandle<String>> handle = new CompletableFuture<>();
    private final CompletableFuture<Seen> seen = new CompletableFuture<>();
    // The "hold" command: the handler opens the first, waits for the second, then sends until a send fails.
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch peerReset = new CountDownLatch(1);
    private final CompletableFuture<IOException> sendError = new CompletableFuture<>();

    private Peer open(Options options, OnInit<String, String> onInit) throws Exception {
        return open(options, connection -> {
            handle.complete(connection.handle());
            seen.complete(new Seen(connection.peerAddress(), connection.proxyAddress(), connection.proxyHeader(),
                    connection.localAddress(), connection.tls()));
            return onInit.init(connection);
        }, this::script, (state, reason, connection) -> {
            closes.incrementAndGet();
            closed.complete(new Closed(state, reason));
        });
    }

    private Peer open(OnInit<String, String> onInit) throws Exception {
        return open(Options.PLAIN, onInit);
    }

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
        assertThat(handle.getNow(null).isOpen()).isFalse();
        return result;
    }

    private Next<String> script(String state, Message<String> message, Connection<String> connection)
            throws Exception {
        if (message instanceof Message.User<String> user && "flood".equals(user.message())) {
            try {
                flood(connection);
            } catch (IOException e) {
                sendError.complete(e);
                return Next.continueWith(state + "<flood> caught " + e.getClass().getSimpleName() + ", then "
                        + sendAfterAFailure(connection));
            }
            return Next.stopAbnormal("the flood never blocked");
        }
        if (message instanceof Message.User<String> user) {
            connection.send(("<" + user.message() + ">").getBytes(UTF_8));
            return Next.continueWith(state + "<" + user.message() + ">");
        }
        if (!(message instanceof Message.Packet<String> packet)) {
            return Next.stop();
        }
        String text = packet.text(UTF_8);
        String next = state + text;
        if (!connection.framing().isRaw()) {
            return framed(next, text, connection);
        }
        if (text.startsWith("self ")) {
            // Messages to itself while busy: they wait in the mailbox until this call returns.
            StringBuilder queued = new StringBuilder(next).append(" queued=");
            for (int i = 0; i < Integer.parseInt(text.substring(5)); i++) {
                queued.append(connection.handle().send("m" + i) ? 'y' : 'n');
            }
            return Next.continueWith(queued.append(" backlog=").append(connection.handle().backlog()).toString());
        }
        switch (text) {
            case "stop" -> {
                connection.send("bye".getBytes(UTF_8));
                return Next.stop();
            }
            case "abnormal" -> {
                return Next.stopAbnormal("bad input");
            }
            case "boom" -> throw new IllegalStateException("boom");
            case "hold" -> {
                holding.countDown();
                if (!peerReset.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return Next.stopAbnormal("the peer did not reset within " + WAIT);
                }
                try {
                    sendUntilItFails(connection);
                } catch (IOException e) {
                    sendError.complete(e);
                    return Next.continueWith(next + " caught, then " + sendAfterAFailure(connection));
                }
                return Next.stopAbnormal("no send failed");
            }
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

    /**
     * Under a framing: echoes each frame in brackets, so the peer sees where frames began and
     * ended; {@code fixed N} switches to {@code N}-byte frames for one frame, then back to lines.
     */
    private static Next<String> framed(String next, String frame, Connection<String> connection) throws IOException {
        connection.send(("[" + frame + "]").getBytes(UTF_8));
        if (frame.startsWith("fixed ")) {
            connection.framing(Framing.fixed(Integer.parseInt(frame.substring(6).trim())));
        } else if (connection.framing() != Framing.lines()) {
            connection.framing(Framing.lines());
        }
        return Next.continueWith(next);
    }

    /** Sends until a send fails: the first one, in memory; on loopback, within a few once the reset arrived. */
    private static void sendUntilItFails(Connection<String> connection) throws IOException {
        byte[] chunk = new byte[1024];
        for (int i = 0; i < 1000; i++) {
            connection.send(chunk);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Sends up to 64 MiB: far more than the kernel buffers between the server and a peer that does not read. */
    static void flood(Connection<String> connection) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < 1024; i++) {
            connection.send(chunk);
        }
    }

    static String sendAfterAFailure(Connection<String> connection) {
        try {
            connection.send("late".getBytes(UTF_8));
            return "a send went out";
        } catch (SocketException expected) {
            return "a send was refused";
        } catch (IOException other) {
            return "a send failed with " + other;
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

    // --- timers, failed sends, TLS and the PROXY protocol ---

    @Test
    void onlyBytesFromThePeerKeepAnIdleConnectionOpen() throws Exception {
        Duration half = IDLE_TIMEOUT.dividedBy(2);
        Peer peer = open(Options.PLAIN.withIdleTimeout(IDLE_TIMEOUT));
        peer.pass(half);
        peer.send("a");
        assertThat(peer.read(1)).isEqualTo("a");
        peer.pass(half);
        peer.deliver("m");
        assertThat(peer.read(3)).isEqualTo("<m>");
        // The idle timeout since "a" runs out now, whatever the user message did.
        peer.pass(half);
        assertThat(awaitClose(peer)).isEqualTo(new Closed("a<m>", new CloseReason.IdleTimedOut(IDLE_TIMEOUT)));
    }

    @Test
    void theLifetimeEndsAConnectionThatIsNotIdle() throws Exception {
        Duration half = MAX_LIFETIME.dividedBy(2);
        Peer peer = open(Options.PLAIN.withMaxLifetime(MAX_LIFETIME));
        peer.pass(half);
        peer.send("a");
        assertThat(peer.read(1)).isEqualTo("a");
        peer.pass(half);
        assertThat(awaitClose(peer)).isEqualTo(new Closed("a", new CloseReason.LifetimeEnded(MAX_LIFETIME)));
    }

    @Test
    void aFailedSendEndsWithSendFailedEvenIfTheHandlerCatchesIt() throws Exception {
        Peer peer = open();
        peer.send("one");
        assertThat(peer.read(3)).isEqualTo("one");
        peer.resetWhileHandling("hold", holding, peerReset);
        Closed result = awaitClose(peer);
        // The state the handler returned after catching the failure; its later send was refused.
        assertThat(result.state()).isEqualTo("onehold caught, then a send was refused");
        assertThat(result.reason()).isEqualTo(new CloseReason.SendFailed(sendError.getNow(null)));
    }

    @Test
    void aSendToAPeerThatStoppedReadingTimesOutAndEndsTheConnection() throws Exception {
        Peer peer = open(Options.PLAIN.withSendTimeout(SEND_TIMEOUT));
        peer.send("one");
        assertThat(peer.read(3)).isEqualTo("one");
        peer.stopReading();
        peer.deliver("flood");
        Closed result = awaitClose(peer);
        assertThat(result).isEqualTo(new Closed(
                "one<flood> caught SocketTimeoutException, then a send was refused", new CloseReason.SendTimedOut(SEND_TIMEOUT)));
        assertThat(sendError.getNow(null)).hasMessageContaining("send timeout");
    }

    @Test
    void aTlsConnectionShowsTheHandlerWhatTheHandshakeSettled() throws Exception {
        Peer peer = open(Options.PLAIN.withTls());
        peer.send("over tls");
        assertThat(peer.read(8)).isEqualTo("over tls");

        NegotiatedTls tls = seen.getNow(null).tls().orElseThrow();
        assertThat(tls.protocol()).isEqualTo("TLSv1.3");
        assertThat(tls.applicationProtocol()).contains(ALPN);
        assertThat(tls.serverName()).contains(SERVER_NAME);
        assertThat(tls.peerCertificates()).containsExactly(certificates.client());
        assertThat(tls.session().getPeerCertificates()).containsExactly(certificates.client());
        assertThat(tls.session().getPeerHost()).isEqualTo(((InetSocketAddress) peer.address()).getHostString());
        peer.send("stop");
        assertThat(peer.read(3)).isEqualTo("bye");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("over tls", new CloseReason.Stopped()));
    }

    @Test
    void aPlainConnectionHasNoTlsAndNoProxy() throws Exception {
        Peer peer = open();
        Seen plain = seen.getNow(null);
        assertThat(plain.tls()).isEmpty();
        assertThat(plain.proxyAddress()).isEmpty();
        assertThat(plain.proxyHeader()).isEmpty();
        assertThat(plain.peerAddress()).isEqualTo(peer.address());
    }

    @Test
    void aProxiedConnectionShowsTheClientTheHeaderNamedAndTheProxy() throws Exception {
        Peer peer = open(Options.PLAIN.proxiedFrom(PROXIED_CLIENT));
        peer.send("hello");
        assertThat(peer.read(5)).isEqualTo("hello");

        Seen proxied = seen.getNow(null);
        assertThat(proxied.peerAddress()).isEqualTo(PROXIED_CLIENT);
        assertThat(proxied.proxyAddress()).contains(peer.address());
        ProxyHeader header = proxied.proxyHeader().orElseThrow();
        assertThat(header.command()).isEqualTo(ProxyHeader.Command.PROXY);
        assertThat(header.source()).contains(PROXIED_CLIENT);
        assertThat(header.destination()).contains(proxied.localAddress());
        assertThat(handle.getNow(null).peerAddress()).isEqualTo(PROXIED_CLIENT);
        peer.closeOutput();
        assertThat(awaitClose(peer)).isEqualTo(new Closed("hello", new CloseReason.PeerClosed()));
    }

    @Test
    void aProxiedTlsConnectionShowsBoth() throws Exception {
        Peer peer = open(Options.PLAIN.withTls().proxiedFrom(PROXIED_CLIENT));
        Seen both = seen.getNow(null);
        assertThat(both.peerAddress()).isEqualTo(PROXIED_CLIENT);
        assertThat(both.tls().orElseThrow().applicationProtocol()).contains(ALPN);
        // The handshake was with the client the header named, as far as the session can tell.
        assertThat(both.tls().orElseThrow().session().getPeerHost()).isEqualTo(PROXIED_CLIENT.getHostString());
        assertThat(both.tls().orElseThrow().session().getPeerPort()).isEqualTo(PROXIED_CLIENT.getPort());
        peer.send("stop");
        assertThat(peer.read(3)).isEqualTo("bye");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("", new CloseReason.Stopped()));
    }

    @Test
    void framesSplitAcrossPacketsAndSeveralInOnePacketArriveOneFrameACall() throws Exception {
        Peer peer = open(Options.PLAIN.withFraming(Framing.lines(), 64));
        peer.send("ab");
        peer.send("c\nde\nf");
        peer.send("\n");
        assertThat(peer.read(15)).isEqualTo("[abc\n][de\n][f\n]");
        peer.send("partial");
        peer.closeOutput();
        // The unfinished line is never delivered: the state holds the three whole frames only.
        assertThat(awaitClose(peer)).isEqualTo(new Closed("abc\nde\nf\n", new CloseReason.PeerClosed()));
    }

    @Test
    void switchingFramingMidPacketFramesTheRestUnderTheNewOne() throws Exception {
        Peer peer = open(Options.PLAIN.withFraming(Framing.lines(), 64));
        peer.send("fixed 3\nabcdef\n");
        assertThat(peer.read(21)).isEqualTo("[fixed 3\n][abc][def\n]");
    }

    @Test
    void aFrameOverTheMaximumEndsTheConnectionWithFrameTooLarge() throws Exception {
        Peer peer = open(Options.PLAIN.withFraming(Framing.lines(), 8));
        peer.send("short\n");
        assertThat(peer.read(8)).isEqualTo("[short\n]");
        peer.send("far too long for eight bytes");
        Closed closedWith = awaitClose(peer);
        assertThat(closedWith.state()).isEqualTo("short\n");
        assertThat(closedWith.reason()).isInstanceOfSatisfying(CloseReason.FrameTooLarge.class,
                tooLarge -> assertThat(tooLarge.maxFrameSize()).isEqualTo(8));
    }

    @Test
    void aFullMailboxRefusesTheSendAndClosesTheConnectionOnceTheCallReturns() throws Exception {
        Peer peer = open(Options.PLAIN.withMailboxCapacity(2));
        peer.send("self 5");
        assertThat(awaitClose(peer)).isEqualTo(new Closed("self 5 queued=yynnn backlog=2",
                new CloseReason.MailboxOverflowed(2)));
    }
}
