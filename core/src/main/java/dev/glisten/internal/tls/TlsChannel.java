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
 * {@link SSLEngine}: the handshake, decrypting what arrives, encrypting what is sent.
 *
 * <p>Buffers are borrowed per call, like plain reads: a connection waiting between messages holds
 * none. Only the tail of a record that has not fully arrived is kept, in {@code carry}, which is
 * empty between whole messages.
 */
public final class TlsChannel implements PeerChannel {

    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};

    private final WatchedSocket socket;
    private final RealTls tls;
    private final String peerHost;
    private final int peerPort;
    private final TlsBuffers buffers;
    private final Duration sendTimeout;
    // Wraps and the writes of their records must not interleave between threads.
    private final ReentrantLock wrapLock = new ReentrantLock();

    // Made by the handshake once it knows which server name the client asks for; null before.
    private volatile SSLEngine engine;
    // Confined to the owner.
    private byte[] carry = new byte[0];
    private int carryLength;
    private boolean mayHaveMore;
    private boolean peerClosed;
    // Decrypted bytes beyond the read buffer size, delivered by the next reads.
    private byte[] decrypted;
    private int decryptedOffset;
    private int decryptedLength;

    /**
     * @param peerHost and {@code peerPort}: hints for the JDK's session cache
     * @param sendTimeout bounds the replies the peer's own handshake messages call for
     */
    TlsChannel(WatchedSocket socket, RealTls tls, String peerHost, int peerPort, TlsBuffers buffers,
            Duration sendTimeout) {
        this.socket = socket;
        this.tls = tls;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
        this.buffers = buffers;
        this.sendTimeout = sendTimeout;
    }

    /**
     * Runs the server side of the handshake on the owner's thread.
     *
     * @param timeout the whole handshake's limit
     * @param abandon says when to give up early (the connection is being closed)
     * @throws SocketTimeoutException if the timeout passes first
     * @throws IOException if the handshake fails or the peer leaves
     */
    public NegotiatedTls handshake(Duration timeout, BooleanSupplier abandon) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer net = buffers.net().take();
        ByteBuffer app = buffers.app().take();
        try {
            net.flip(); // empty, in reading mode
            // The ClientHello first: the name it asks for picks the engine (and so the certificate
            // and the session cache) before the engine reads a byte.
            while (!ClientHellos.firstRecordArrived(net) && net.remaining() < net.capacity()) {
                net = receiveMore(net, deadline, timeout, abandon);
            }
            engine = tls.newServerEngine(ClientHellos.serverName(net), peerHost, peerPort);
            engine.beginHandshake();
            HandshakeStatus status = engine.getHandshakeStatus();
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                switch (status) {
                    case NEED_TASK -> status = runTasks();
                    case NEED_WRAP -> status = wrapAndSend(NOTHING, deadline, timeout);
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        SSLEngineResult result = engine.unwrap(net, app);
                        status = result.getHandshakeStatus();
                        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                            throw new EOFException("the peer ended the TLS handshake");
                        }
                        if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                            net = receiveMore(net, deadline, timeout, abandon);
                        }
                    }
                    default -> throw new SSLException("unexpected TLS handshake status " + status);
                }
            }
            // Bytes after the client's Finished (its first request, often in the same segment)
            // belong to the first read. Decrypted ones cannot exist: TLS carries no application
            // data inside the handshake (0-RTT early data is off in the JDK).
            keep(net);
            mayHaveMore = carryLength > 0;
            return RealTls.negotiated(engine.getSession(), engine.getApplicationProtocol());
        } catch (RuntimeException e) {
            // The engine reports some malformed input as an unchecked exception.
            throw new SSLException("TLS handshake failed: " + e, e);
        } finally {
            buffers.net().give(net);
            buffers.app().give(app);
        }
    }

    /** Reads more of a record into {@code net} (reading mode), waiting until the deadline. */
    private ByteBuffer receiveMore(ByteBuffer net, long deadline, Duration timeout, BooleanSupplier abandon)
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
                    throw new SocketTimeoutException("the TLS handshake did not complete within " + timeout);
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
                    throw new SocketTimeoutException("the TLS handshake did not complete within " + timeout);
                }
            }
        } finally {
            net.flip();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (decryptedLength > 0) {
            return takeDecrypted(dst);
        }
        if (peerClosed) {
            return -1;
        }
        ByteBuffer net = buffers.net().take();
        ByteBuffer app = buffers.app().take();
        try {
            if (carryLength >= net.capacity()) {
                // The handshake met a record larger than usual and left it here.
                buffers.net().give(net);
                net = ByteBuffer.allocateDirect(carryLength + engine.getSession().getPacketBufferSize());
            }
            net.put(carry, 0, carryLength);
            carryLength = 0;
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
            keep(net);
            mayHaveMore = filled || appFull || peerClosed;
            if (app.position() > 0) {
                app.flip();
                int length = Math.min(dst.remaining(), app.remaining());
                dst.put(app.slice(app.position(), length));
                app.position(app.position() + length);
                if (app.hasRemaining()) {
                    // A read gives at most the room in dst, as with plain TCP; the rest of what
                    // one read decrypted waits for the next call.
                    decrypted = new byte[app.remaining()];
                    app.get(decrypted);
                    decryptedOffset = 0;
                    decryptedLength = decrypted.length;
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
        } catch (RuntimeException e) {
            throw new SSLException("cannot decrypt what the peer sent: " + e, e);
        } finally {
            buffers.net().give(net);
            buffers.app().give(app);
        }
    }

    private int takeDecrypted(ByteBuffer dst) {
        int length = Math.min(dst.remaining(), decryptedLength);
        dst.put(decrypted, decryptedOffset, length);
        decryptedOffset += length;
        decryptedLength -= length;
        if (decryptedLength == 0) {
            decrypted = null;
        }
        mayHaveMore = decryptedLength > 0 || mayHaveMore;
        return length;
    }

    /** After the handshake the peer may still start one (TLS 1.3 KeyUpdate, 1.2 renegotiation). */
    private void afterUnwrap(HandshakeStatus status) throws IOException {
        while (status == HandshakeStatus.NEED_TASK || status == HandshakeStatus.NEED_WRAP) {
            status = status == HandshakeStatus.NEED_TASK ? runTasks()
                    : wrapAndSend(NOTHING, System.nanoTime() + sendTimeout.toNanos(), sendTimeout);
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
     * Encrypts all of {@code sources} (or, given {@link #NOTHING}, whatever the handshake wants to
     * send) and writes the records, as many per write as fit the buffer. Without a {@code timeout}
     * a missed deadline returns {@code null}; with one it throws.
     */
    private HandshakeStatus wrapAndSend(ByteBuffer[] sources, long deadline, Duration timeout) throws IOException {
        boolean handshaking = sources == NOTHING;
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
                        || (handshaking ? status == HandshakeStatus.NEED_WRAP : hasRemaining(sources)));
                if (more && outcome == SSLEngineResult.Status.OK) {
                    continue; // room for another record in this write
                }
                net.flip();
                if (net.hasRemaining() && !socket.writeBefore(net, deadline)) {
                    if (timeout != null) {
                        throw new SocketTimeoutException("the TLS handshake did not complete within " + timeout);
                    }
                    return null;
                }
                net.clear();
                if (closed && !handshaking && hasRemaining(sources)) {
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

    /** Keeps the unread rest of {@code net} (reading mode) for the next read. */
    private void keep(ByteBuffer net) {
        int rest = net.remaining();
        if (rest > carry.length) {
            carry = new byte[rest];
        }
        net.get(carry, 0, rest);
        carryLength = rest;
        if (rest == 0 && carry.length > 0) {
            carry = new byte[0]; // a waiting connection holds no buffer
        }
    }

    /** A larger buffer with the same contents, for a peer that sends records larger than usual. */
    private ByteBuffer grow(ByteBuffer buffer) {
        ByteBuffer larger = ByteBuffer.allocateDirect(Math.max(buffer.capacity() * 2, buffers.net().size()));
        buffer.flip();
        larger.put(buffer);
        return larger;
    }

    /**
     * Sends close_notify if no other thread is writing (else its record could be cut), without
     * waiting for room, then closes the socket.
     */
    @Override
    public void shutdownOutput() throws IOException {
        // TODO(client-tls): send close_notify, then shut the socket's output.
        socket.shutdownOutput();
    }

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
