package dev.glisten.internal.events;

import dev.glisten.CloseReason;
import dev.glisten.MailboxOverflow;
import dev.glisten.NegotiatedTls;
import java.net.SocketAddress;
import java.util.List;

/**
 * Emits the server's JDK Flight Recorder events. Each method makes its event and fills it only if
 * a recording wants it ({@code shouldCommit}); otherwise the JIT removes the allocation, so the
 * events cost nothing when no one records.
 */
public final class ServerEvents {

    /**
     * Loaded with this class, which the acceptors and connections load at start: an event is
     * often emitted when the process is out of file descriptors, when loading a class from a
     * directory class path fails.
     */
    public static final List<Class<?>> EVENTS = List.of(ConnectionOpenedEvent.class, ConnectionClosedEvent.class,
            TlsHandshakeEvent.class, AcceptErrorEvent.class, MailboxOverflowEvent.class);

    private ServerEvents() { }

    public static void connectionOpened(SocketAddress peer, SocketAddress local) {
        ConnectionOpenedEvent event = new ConnectionOpenedEvent();
        if (event.shouldCommit()) {
            event.peer = String.valueOf(peer);
            event.local = String.valueOf(local);
            event.commit();
        }
    }

    public static void connectionClosed(SocketAddress peer, CloseReason reason, long openFor, long received,
            long sent) {
        ConnectionClosedEvent event = new ConnectionClosedEvent();
        if (event.shouldCommit()) {
            event.peer = String.valueOf(peer);
            event.reason = reason.getClass().getSimpleName();
            event.detail = detail(reason);
            event.normal = reason.isNormal();
            event.openFor = openFor;
            event.bytesReceived = received;
            event.bytesSent = sent;
            event.commit();
        }
    }

    /** What a reason carries, as text: "" for the reasons that carry nothing. */
    private static String detail(CloseReason reason) {
        return switch (reason) {
            case CloseReason.StoppedAbnormally stopped -> stopped.reason();
            case CloseReason.HandlerFailed failed -> String.valueOf(failed.error());
            case CloseReason.InitFailed failed -> String.valueOf(failed.error());
            case CloseReason.SocketError error -> String.valueOf(error.error());
            case CloseReason.SendFailed failed -> String.valueOf(failed.error());
            case CloseReason.SendTimedOut timedOut -> "send timeout " + timedOut.timeout();
            case CloseReason.TlsHandshakeFailed failed -> String.valueOf(failed.error());
            case CloseReason.ProxyHeaderRejected rejected -> String.valueOf(rejected.error());
            case CloseReason.IdleTimedOut idle -> "idle timeout " + idle.timeout();
            case CloseReason.LifetimeEnded ended -> "max lifetime " + ended.maxLifetime();
            case CloseReason.MailboxOverflowed overflowed -> "mailbox capacity " + overflowed.capacity();
            case CloseReason.FrameTooLarge tooLarge -> tooLarge.size() + " bytes over the maximum frame size of "
                    + tooLarge.maxFrameSize();
            case CloseReason.FrameMalformed malformed -> String.valueOf(malformed.error().getMessage());
            case CloseReason.PeerClosed ignored -> "";
            case CloseReason.Stopped ignored -> "";
            case CloseReason.ClosedLocally ignored -> "";
            case CloseReason.ServerStopped ignored -> "";
        };
    }

    public static void mailboxOverflowed(SocketAddress peer, int capacity, MailboxOverflow policy) {
        MailboxOverflowEvent event = new MailboxOverflowEvent();
        if (event.shouldCommit()) {
            event.peer = String.valueOf(peer);
            event.capacity = capacity;
            event.policy = policy.name();
            event.commit();
        }
    }

    /** Starts timing a handshake; finish with {@link #handshakeEnded}. */
    public static TlsHandshakeEvent handshakeStarted() {
        TlsHandshakeEvent event = new TlsHandshakeEvent();
        event.begin();
        return event;
    }

    /** @param negotiated what it settled, or {@code null} if it failed with {@code failure} */
    public static void handshakeEnded(TlsHandshakeEvent event, SocketAddress peer, NegotiatedTls negotiated,
            Exception failure) {
        event.end();
        if (event.shouldCommit()) {
            event.peer = String.valueOf(peer);
            event.succeeded = negotiated != null;
            if (negotiated != null) {
                event.protocol = negotiated.protocol();
                event.cipherSuite = negotiated.cipherSuite();
            } else {
                event.failure = String.valueOf(failure);
            }
            event.commit();
        }
    }

    public static void acceptFailed(String listenAddress, Exception error, boolean exhaustion) {
        AcceptErrorEvent event = new AcceptErrorEvent();
        if (event.shouldCommit()) {
            event.listenAddress = listenAddress;
            event.error = String.valueOf(error);
            event.exhaustion = exhaustion;
            event.commit();
        }
    }
}
