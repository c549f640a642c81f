package dev.glisten.internal.tls;

import dev.glisten.NegotiatedTls;
import dev.glisten.internal.io.PeerChannel;
import dev.glisten.internal.io.WatchedSocket;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS over a {@link WatchedSocket}, driven by the connection's own thread with an
 * {@link SSLEngine}: the handshake, decrypting what arrives, encrypting what is sent. The server
 * side ({@link ServerTls#channel}) makes its engine once the ClientHello says which name it asks
 * for; the client side ({@link #client}) has its engine from the start. Both then run the same
 * handshake loop and the same reads and writes.
 *
 * <p>Buffers are borrowed per call, like plain reads: a connection waiting between messages holds
 * none. Only the tail of a record that has not fully arrived is kept, in {@code carry}, which is
 * empty between whole messages.
 */
public final class TlsChannel implements PeerChannel {

    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};

    private final WatchedSocket socket;
    // The server's configuration, or null on the client side.
    private final RealTls tls;
    // The client's configuration, or null on the server side.
    private final RealClientTls clientTls;
    private final String peerHost;
    private final int peerPort;
    private final TlsBuffers buffers;
    private final Duration sendTimeout;
    // Wraps and the writes of their records must not interleave between threads.
    private final ReentrantLock wrapLock = new ReentrantLock();

    // A server's is made by the handshake once it knows which name the client asks for; null before.
    private volatile SSLEngine engine;
    // Confined to the owner.
    private final Leftover carry = new Leftover();
    // Decrypted bytes beyond the read buffer size, delivered by the next reads.
    private final Leftover decrypted = new Leftover();
    private boolean mayHaveMore;
    private boolean peerClosed;

    /**
     * @param peerHost and {@code peerPort}: hints for the JDK's session cache
     * @param sendTimeout bounds the replies the peer's own handshake messages call for
     */
    TlsChannel(WatchedSocket socket, RealTls tls, String peerHost, int peerPort, TlsBuffers buffers,
            Duration sendTimeout) {
        this(socket, tls, null, peerHost, peerPort, buffers, sendTimeout);
    }

    private TlsChannel(WatchedSocket socket, RealTls tls, RealClientTls clientTls, String peerHost, int peerPort,
            TlsBuffers buffers, Duration sendTimeout) {
        this.socket = socket;
        this.tls = tls;
        this.clientTls = clientTls;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
        this.buffers = buffers;
        this.sendTimeout = sendTimeout;
    }

    /**
     * The client side of TLS over {@code socket}, a connection to {@code host} (what the user
     * connected to: a name or an IP address), borrowing the buffers all client connections share;
     * it does nothing until its {@link #handshake}.
     *
     * @param sendTimeout bounds the replies the peer's own handshake messages call for, and the
     *     close_notify of {@link #shutdownOutput()}
     */
    public static TlsChannel client(WatchedSocket socket, RealClientTls tls, String host, int port,
            Duration sendTimeout) {
        TlsChannel channel = new TlsChannel(socket, null, tls, null, -1, TlsBuffers.forClients(), sendTimeout);
        channel.engine = tls.newEngine(host, port);
        return channel;
    }

    /**
     * Runs the handshake on the owner's thread: the server's side, or the client's for a channel
     * made by {@link #client}.
     *
     * @param timeout the whole handshake's limit
     * @param abandon says when to give up early (the connection is being closed)
     * @return what was settled; on the client side its peer certificates are the server's
     *     verified chain
     * @throws SocketTimeoutException if the timeout passes first
     * @throws IOException if the handshake fails or the peer leaves; on the client side, a server
     *     certificate that is refused throws an {@link SSLException} saying what did not match
     */
    public NegotiatedTls handshake(Duration timeout, BooleanSupplier abandon) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String late = "the TLS handshake did not complete within " + timeout;
        ByteBuffer net = buffers.net().take();
        ByteBuffer app = buffers.app().take();
        try {
            net.flip(); // empty, in reading mode
            if (engine == null) {
                // A server reads the ClientHello first: the name it asks for picks the engine (and
                // so the certificate and the session cache) before the engine reads a byte.
                while (!ClientHellos.firstRecordArrived(net) && net.remaining() < net.capacity()) {
                    net = receiveMore(net, deadline, late, abandon);
                }
                engine = tls.newServerEngine(ClientHellos.serverName(net), peerHost, peerPort);
            }
            // A client's engine begins by asking to wrap its ClientHello.
            engine.beginHandshake();
            HandshakeStatus status = engine.getHandshakeStatus();
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                switch (status) {
                    case NEED_TASK -> status = runTasks();
                    case NEED_WRAP -> status = sendHandshake(net, app, deadline, late);
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        SSLEngineResult result = engine.unwrap(net, app);
                        status = result.getHandshakeStatus();
                        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                            throw new EOFException("the peer ended the TLS handshake");
                        }
                        if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                            net = receiveMore(net, deadline, late, abandon);
                        }
                    }
                    default -> throw new SSLException("unexpected TLS handshake status " + status);
                }
            }
            // Bytes after the peer's last handshake message (a client's first request, a TLS 1.3
            // server's first words, often in the same segment) belong to the first read. The loop
            // unwraps only handshake records (0-RTT early data is off in the JDK), but should it
            // ever decrypt more, that is kept for the first read too.
            carry.keep(net);
            decrypted.keep(app.flip());
            mayHaveMore = !carry.isEmpty() || !decrypted.isEmpty();
            return RealTls.negotiated(engine.getSession(), engine.getApplicationProtocol());
        } catch (SSLException e) {
            throw explained(e);
        } catch (RuntimeException e) {
            // The engine reports some malformed input as an unchecked exception.
            throw new SSLException("TLS handshake failed: " + e, e);
        } finally {
            buffers.net().give(net);
            buffers.app().give(app);
        }
    }

    /**
     * Sends what the handshake asks for. A peer that refuses the handshake sends an alert and
     * closes, perhaps before it read all this side wrote; a write then fails with a broken pipe,
     * and the alert, if it already arrived, says better why.
     */
    private HandshakeStatus sendHandshake(ByteBuffer net, ByteBuffer app, long deadline, String late)
            throws IOException {
        try {
            return wrapAndSend(NOTHING, deadline, late);
        } catch (SSLException | SocketTimeoutException | AsynchronousCloseException e) {
            throw e;
        } catch (IOException writeFailed) {
            try {
                net.compact();
                socket.read(net);
                net.flip();
                engine.unwrap(net, app);
            } catch (SSLException alert) {
                alert.addSuppressed(writeFailed);
                throw alert;
            } catch (IOException | RuntimeException nothingToRead) {
                // No alert came: the broken pipe is all there is to tell.
            }
            throw writeFailed;
        }
    }

    /** On the client side, says what did not match when the server's certificate is refused. */
    private SSLException explained(SSLException failure) {
        return clientTls == null ? failure : clientTls.explain(failure);
    }

    /** Reads more of a record into {@code net} (reading mode), waiting until the deadline. */
    private ByteBuffer receiveMore(ByteBuffer net, long deadline, String late, BooleanSupplier abandon)
            throws IOException {
        net.compact();
        if (!net.hasRemaining()) {
            net = grow(net);
        }
        try {
            for (;;) {
                // Checked before each read too: a client that trickles its handshake a byte at a
                // time never lets the wait below run out.
                if (System.nanoTime() - deadline >= 0) {
                    throw new SocketTimeoutException(late);
                }
                int read = socket.read(net);
                if (read < 0) {
                    throw new EOFException("the peer closed the connection during the TLS handshake");
                }
                if (read > 0) {
                    return net;
                }
                if (abandon.getAsBoolean()) {
                    throw new AsynchronousCloseException();
                }
                if (!socket.awaitReadable(abandon, deadline)) {
                    throw new SocketTimeoutException(late);
                }
            }
        } finally {
            net.flip();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!decrypted.isEmpty()) {
            // mayHaveMore was set when they were kept, and stays so for the rest of that read.
            return decrypted.moveTo(dst);
        }
        if (peerClosed) {
            return -1;
        }
        ByteBuffer net = buffers.net().take();
        ByteBuffer app = buffers.app().take();
        try {
            if (carry.length() >= net.capacity()) {
                // The handshake met a record larger than usual and left it here.
                buffers.net().give(net);
                net = ByteBuffer.allocateDirect(carry.length() + engine.getSession().getPacketBufferSize());
            }
            carry.moveTo(net);
            int read = socket.read(net);
            boolean filled = !net.hasRemaining();
            net.flip();
            boolean appFull = false;
            while (net.hasRemaining() && !peerClosed) {
                SSLEngineResult result = engine.unwrap(net, app);
                SSLEngineResult.Status outcome = result.getStatus();
                if (outcome == SSLEngineResult.Status.CLOSED) {
                    peerClosed = true;
                } else if (outcome == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                    break; // the rest of the record has not arrived
                } else if (outcome == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    if (app.position() > 0) {
                        appFull = true; // deliver this much; the rest waits in carry
                        break;
                    }
                    // A record larger than the JDK's usual size: make room for it, this once.
                    buffers.app().give(app);
                    app = ByteBuffer.allocateDirect(2 * Math.max(app.capacity(), engine.getSession().getApplicationBufferSize()));
                    continue;
                }
                afterUnwrap(result.getHandshakeStatus());
                if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
                    break; // nothing more to take from what arrived
                }
            }
            carry.keep(net);
            mayHaveMore = filled || appFull || peerClosed;
            if (app.position() > 0) {
                app.flip();
                int length = Math.min(dst.remaining(), app.remaining());
                dst.put(app.slice(app.position(), length));
                app.position(app.position() + length);
                if (app.hasRemaining()) {
                    // A read gives at most the room in dst, as with plain TCP; the rest of what
                    // one read decrypted waits for the next call.
                    decrypted.keep(app);
                    mayHaveMore = true;
                }
                return length;
            }
            if (peerClosed || read < 0) {
                // An end without close_notify may be a truncation; the handler sees an end either
                // way, as with TCP, and protocols that care frame their messages.
                peerClosed = true;
                return -1;
            }
            return 0;
        } catch (SSLException e) {
            // Such as a TLS 1.3 server's certificate_required alert, which comes after the
            // client's handshake is over.
            throw explained(e);
        } catch (RuntimeException e) {
            throw new SSLException("cannot decrypt what the peer sent: " + e, e);
        } finally {
            buffers.net().give(net);
            buffers.app().give(app);
        }
    }

    /** After the handshake the peer may still start one (TLS 1.3 KeyUpdate, 1.2 renegotiation). */
    private void afterUnwrap(HandshakeStatus status) throws IOException {
        while (status == HandshakeStatus.NEED_TASK || status == HandshakeStatus.NEED_WRAP) {
            status = status == HandshakeStatus.NEED_TASK ? runTasks()
                    : wrapAndSend(NOTHING, System.nanoTime() + sendTimeout.toNanos(),
                            "the TLS handshake did not complete within " + sendTimeout);
        }
    }

    @Override
    public boolean mayHaveMore() {
        return mayHaveMore;
    }

    @Override
    public boolean startWaiting() {
        return socket.startWaiting();
    }

    @Override
    public boolean stillWaiting() {
        return socket.stillWaiting();
    }

    @Override
    public void stopWaiting() {
        socket.stopWaiting();
    }

    @Override
    public boolean write(ByteBuffer single, ByteBuffer[] gathered, long timeoutNanos) throws IOException {
        ByteBuffer[] sources = gathered != null ? gathered : new ByteBuffer[] {single};
        if (!hasRemaining(sources)) {
            return true;
        }
        try {
            // One deadline over the records of this write; a clock read is little beside encryption.
            return wrapAndSend(sources, System.nanoTime() + timeoutNanos, null) != null;
        } catch (RuntimeException e) {
            throw new SSLException("cannot encrypt: " + e, e);
        }
    }

    /**
     * {@inheritDoc} The bytes must be encrypted, so sendfile(2) cannot help: the file is read one
     * application buffer (about one TLS record) at a time into a pooled direct buffer, and each
     * piece is encrypted and written before the next is read. Each piece has the whole
     * {@code stallNanos} to go out.
     */
    @Override
    public boolean transferFrom(FileChannel file, long position, long count, long stallNanos, LongConsumer sent)
            throws IOException {
        long end = position + count;
        ByteBuffer piece = buffers.app().take();
        try {
            while (position < end) {
                piece.clear().limit((int) Math.min(piece.capacity(), end - position));
                int read = file.read(piece, position);
                if (read <= 0) {
                    throw new EOFException("the file ended at byte " + position + ", before byte " + end);
                }
                piece.flip();
                if (!write(piece, null, stallNanos)) {
                    return false;
                }
                position += read;
                sent.accept(read);
            }
            return true;
        } finally {
            buffers.app().give(piece);
        }
    }

    /**
     * Encrypts all of {@code sources} (or, given {@link #NOTHING}, whatever the engine wants to
     * send: handshake messages, alerts) and writes the records, as many per write as fit the
     * buffer. Without a {@code late} message a missed deadline returns {@code null}; with one it
     * throws it.
     */
    private HandshakeStatus wrapAndSend(ByteBuffer[] sources, long deadline, String late) throws IOException {
        boolean control = sources == NOTHING;
        wrapLock.lock();
        ByteBuffer net = buffers.net().take();
        try {
            for (;;) {
                SSLEngineResult result = engine.wrap(sources, net);
                SSLEngineResult.Status outcome = result.getStatus();
                if (outcome == SSLEngineResult.Status.BUFFER_OVERFLOW && net.position() == 0) {
                    ByteBuffer larger = ByteBuffer.allocateDirect(Math.max(2 * net.capacity(),
                            engine.getSession().getPacketBufferSize()));
                    buffers.net().give(net);
                    net = larger;
                    continue;
                }
                HandshakeStatus status = result.getHandshakeStatus();
                if (status == HandshakeStatus.NEED_TASK) {
                    status = runTasks();
                }
                boolean closed = outcome == SSLEngineResult.Status.CLOSED;
                boolean more = !closed && (outcome == SSLEngineResult.Status.BUFFER_OVERFLOW
                        || (control ? status == HandshakeStatus.NEED_WRAP : hasRemaining(sources)));
                if (more && outcome == SSLEngineResult.Status.OK) {
                    continue; // room for another record in this write
                }
                net.flip();
                if (net.hasRemaining() && !socket.writeBefore(net, deadline)) {
                    if (late != null) {
                        throw new SocketTimeoutException(late);
                    }
                    return null;
                }
                net.clear();
                if (closed && !control && hasRemaining(sources)) {
                    throw new SSLException("the TLS session is closed");
                }
                if (!more) {
                    return status;
                }
            }
        } finally {
            buffers.net().give(net);
            wrapLock.unlock();
        }
    }

    private HandshakeStatus runTasks() {
        // Certificate checks and key exchange: run here, on the connection's own virtual thread.
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
        return engine.getHandshakeStatus();
    }

    /** A larger buffer with the same contents, for a peer that sends records larger than usual. */
    private ByteBuffer grow(ByteBuffer buffer) {
        ByteBuffer larger = ByteBuffer.allocateDirect(Math.max(buffer.capacity() * 2, buffers.net().size()));
        buffer.flip();
        larger.put(buffer);
        return larger;
    }

    /**
     * {@inheritDoc} The close_notify alert goes out first (RFC 8446 section 6.1), under the lock
     * writes take, within the send timeout. TLS 1.3 closes each direction alone, and the JDK's
     * engine goes on decrypting what the peer sends after it. In TLS 1.2 a close_notify asks the
     * peer to answer with its own and stop sending (RFC 5246 section 7.2.1), which the JDK does
     * at once: reads then end after what the peer had sent before it saw ours. The same rule
     * applies the other way: after a TLS 1.2 peer's close_notify, {@link #read} answers it and
     * writes fail, where after a TLS 1.3 peer's they go on.
     */
    @Override
    public void shutdownOutput() throws IOException {
        SSLEngine engine = this.engine;
        if (engine != null) {
            wrapLock.lock();
            try {
                engine.closeOutbound();
                wrapAndSend(NOTHING, System.nanoTime() + sendTimeout.toNanos(),
                        "close_notify was not sent within " + sendTimeout + " (the peer is not reading)");
            } catch (RuntimeException e) {
                throw new SSLException("cannot send close_notify: " + e, e);
            } finally {
                wrapLock.unlock();
            }
        }
        socket.shutdownOutput();
    }

    /**
     * Sends close_notify if no other thread is writing (else its record could be cut), without
     * waiting for room, then closes the socket.
     */
    @Override
    public void close() {
        SSLEngine engine = this.engine;
        if (engine != null && wrapLock.tryLock()) {
            ByteBuffer net = buffers.net().take();
            try {
                engine.closeOutbound();
                engine.wrap(NOTHING, net);
                socket.writeNow(net.flip());
            } catch (IOException | RuntimeException e) {
                // The goodbye is a courtesy; the close below is what matters.
            } finally {
                buffers.net().give(net);
                wrapLock.unlock();
            }
        }
        socket.close();
    }

    private static boolean hasRemaining(ByteBuffer[] buffers) {
        for (ByteBuffer buffer : buffers) {
            if (buffer.hasRemaining()) {
                return true;
            }
        }
        return false;
    }
}
