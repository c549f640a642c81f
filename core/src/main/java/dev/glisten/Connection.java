package dev.glisten;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * One accepted connection, as its {@link Handler} sees it: send bytes to the peer, learn the
 * addresses, reach the thread-safe {@link ConnectionHandle}, close.
 *
 * <p>Sends block until the bytes are handed to the kernel, and never longer than the server's send
 * timeout: when it expires the connection is closed with {@link CloseReason.SendTimedOut} (a
 * {@linkplain #sendFile(FileChannel, long, long) file} has the timeout for each stall rather than
 * for the whole file). A send
 * that fails closes the connection ({@link CloseReason.SendFailed}) and throws; the loop may let the
 * exception propagate. Sends are safe from any thread, and concurrent sends never interleave their
 * bytes; but the usual way for another thread to make a connection send something is to
 * {@linkplain ConnectionHandle#send(Object) send it a message}.
 *
 * @param <M> the type of {@link Message.User} messages this connection accepts
 */
public interface Connection<M> {

    /**
     * Sends all of {@code bytes}.
     *
     * @param bytes the bytes to send
     * @throws IOException if the connection is closed or the write fails or times out
     */
    void send(byte[] bytes) throws IOException;

    /**
     * Sends the remaining bytes of {@code buffer}, advancing its position to its limit.
     *
     * @param buffer the bytes to send
     * @throws IOException if the connection is closed or the write fails or times out
     */
    void send(ByteBuffer buffer) throws IOException;

    /**
     * Sends the remaining bytes of every buffer, in order, as one gathering write ({@code writev(2)})
     * where the kernel accepts them at once: a header and a body go out without being copied
     * together first.
     *
     * @param buffers the bytes to send
     * @throws IOException if the connection is closed or the write fails or times out
     */
    void send(ByteBuffer... buffers) throws IOException;

    /**
     * Sends a packet's bytes on as they are, without copying them in Java code: what an echo or a
     * proxy does with what arrived. Same as {@code send(packet.buffer())}.
     *
     * @param packet the packet, during the call it was lent for (or one that owns its bytes)
     * @throws IOException if the connection is closed or the write fails or times out
     * @throws IllegalStateException if the packet was lent for a call that has returned
     */
    default void send(Message.Packet<?> packet) throws IOException {
        send(packet.buffer());
    }

    /**
     * Sends {@code payload} as one frame of the connection's current {@link #framing()}: with its
     * length header for {@link Framing#lengthPrefixed(int)}, followed by the delimiter for
     * {@link Framing#lines(byte)} unless it already ends with it, as it is for {@link Framing#raw()}
     * and {@link Framing#fixed(int)} (whose length it checks). Header and payload go out in one
     * gathering write.
     *
     * @param payload the frame's payload; its remaining bytes are sent and its position advanced
     * @throws IOException if the connection is closed or the write fails or times out
     * @throws IllegalArgumentException if the payload is too long for the length header, or not the
     *     fixed length; nothing is sent
     * @throws UnsupportedOperationException under {@link Framing#lengthField} or a custom framing,
     *     whose headers carry more than a length: send the whole frame with {@link #send(ByteBuffer)}
     */
    default void sendFrame(ByteBuffer payload) throws IOException {
        Framing framing = framing();
        ByteBuffer header = ByteBuffer.allocate(4);
        framing.putHeader(payload.remaining(), header);
        int trailer = framing.trailer();
        boolean needsTrailer = trailer >= 0
                && (!payload.hasRemaining() || payload.get(payload.limit() - 1) != (byte) trailer);
        if (header.position() > 0) {
            send(header.flip(), payload);
        } else if (needsTrailer) {
            send(payload, ByteBuffer.wrap(new byte[] {(byte) trailer}));
        } else {
            send(payload);
        }
    }

    /**
     * Sends {@code payload} as one frame: see {@link #sendFrame(ByteBuffer)}.
     *
     * @param payload the frame's payload
     * @throws IOException if the connection is closed or the write fails or times out
     */
    default void sendFrame(byte[] payload) throws IOException {
        sendFrame(ByteBuffer.wrap(payload));
    }

    /**
     * How this connection cuts its bytes into packets now: the server's
     * {@linkplain Server.Builder#framing(Framing) framing} until the handler switches it.
     *
     * @return the current framing
     */
    Framing framing();

    /**
     * Switches how this connection cuts its bytes into packets, from the next packet on (as
     * Erlang's {@code inet:setopts(Socket, [{packet, ...}])}): bytes already read beyond the packet
     * being handled are framed under the new framing, none lost and none delivered twice. An HTTP
     * server reads its request head as {@link Framing#lines()}, then switches to
     * {@link Framing#fixed(int)} for a body of known length, and back. Under raw framing, bytes
     * left over are delivered as one packet.
     *
     * @param framing the framing from the next packet on
     * @throws IllegalStateException if the caller is not the connection's own thread (the loop,
     *     {@code onInit})
     */
    void framing(Framing framing);

    /**
     * Sends the whole of {@code file}: opens it and calls {@link #sendFile(FileChannel, long, long)}.
     *
     * @param file the file to send, opened for reading and closed before this returns
     * @return the number of bytes sent: the file's size when it was opened
     * @throws java.nio.file.NoSuchFileException if there is no such file, or another
     *     {@code IOException} if it cannot be opened or is a directory: the connection stays open
     * @throws IOException if the connection is closed, or the write fails or stalls (the
     *     connection is then closed)
     */
    default long sendFile(Path file) throws IOException {
        try (FileChannel opened = openToSend(file)) {
            return sendFile(opened, 0, opened.size());
        }
    }

    /**
     * Sends {@code length} bytes of {@code file} from {@code offset}: opens it and calls
     * {@link #sendFile(FileChannel, long, long)}.
     *
     * @param file the file to send, opened for reading and closed before this returns
     * @param offset where to start, from 0 to the file's size
     * @param length how many bytes to send, from 0 to the file's size minus {@code offset}
     * @return {@code length}
     * @throws IllegalArgumentException naming {@code offset} or {@code length} if it is negative or
     *     beyond the end of the file; nothing is sent
     * @throws java.nio.file.NoSuchFileException if there is no such file, or another
     *     {@code IOException} if it cannot be opened or is a directory: the connection stays open
     * @throws IOException if the connection is closed, or the write fails or stalls (the
     *     connection is then closed)
     */
    default long sendFile(Path file, long offset, long length) throws IOException {
        Objects.requireNonNull(file, "file");
        // A negative argument is the caller's bug whether or not the file exists: say so first.
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be between 0 and the file's size, got " + offset);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be between 0 and the bytes from offset " + offset
                    + " to the end of the file, got " + length);
        }
        try (FileChannel opened = openToSend(file)) {
            return sendFile(opened, offset, length);
        }
    }

    private static FileChannel openToSend(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        // Linux opens a directory for reading, and only sendfile(2) would fail, with the connection
        // already committed to the transfer.
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a directory, not a file to send");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    /**
     * Sends {@code length} bytes of {@code file} from {@code offset}, without reading the file into
     * the heap. Over plain TCP the kernel copies from the page cache to the socket
     * ({@link FileChannel#transferTo}, which is {@code sendfile(2)} on Linux) and the bytes never
     * enter the JVM. Over TLS they must be encrypted, so the file is read one TLS record's worth at a
     * time into a pooled buffer, encrypted and sent before the next piece is read. Either way a
     * transfer holds a few dozen kilobytes at most, however large the file.
     *
     * <p>Blocks until the last byte is handed to the kernel. The server's send timeout bounds each
     * stall, not the whole transfer: a file of any size may take as long as the peer needs to read
     * it, but when no byte (over TLS, no record) has gone out for the send timeout, the connection is
     * closed ({@link CloseReason.SendTimedOut}) and this throws {@link java.net.SocketTimeoutException}.
     * Like every send it holds the connection's write lock, so other threads' sends wait for the
     * whole file and never land in its middle. The channel's own position is neither used nor moved,
     * so one channel can serve several connections at once; closing it is the caller's business.
     *
     * <p>Problems found before the transfer starts (a range beyond the end of the file, a channel
     * closed or not open for reading) throw and leave the connection open, ready for another reply.
     * Once it has started the peer may have part of the range, so any failure, the file's own
     * included (a read error, or a file truncated meanwhile: {@link java.io.EOFException}), closes
     * the connection ({@link CloseReason.SendFailed}) and throws. Bytes are counted in
     * {@link ServerStats#bytesSent()} as they go. An interrupt of the sending thread closes
     * {@code file}, as it does any {@link java.nio.channels.InterruptibleChannel}.
     *
     * @param file the file to send, open for reading
     * @param offset where to start, from 0 to the file's size
     * @param length how many bytes to send, from 0 to the file's size minus {@code offset}
     * @return {@code length}
     * @throws IllegalArgumentException naming {@code offset} or {@code length} if it is negative or
     *     beyond the end of the file; nothing is sent
     * @throws java.nio.channels.NonReadableChannelException if {@code file} was not opened for reading
     * @throws IOException if the file's size cannot be read (the connection stays open), or the
     *     connection is closed, or the write fails or stalls (the connection is then closed)
     */
    long sendFile(FileChannel file, long offset, long length) throws IOException;

    /**
     * The handle through which any thread can send this connection {@link Message.User} messages.
     *
     * @return this connection's handle; the same object for the connection's whole life
     */
    ConnectionHandle<M> handle();

    /**
     * The client's address. For a server that reads PROXY protocol headers
     * ({@link Server.Builder#proxyProtocol(ProxyProtocol)}) it is the original client's address as
     * the header gave it, already in {@link OnInit}; the proxy's own is {@link #proxyAddress()}.
     * When the header has no addresses ({@code LOCAL}, v1 {@code UNKNOWN}, v2 {@code AF_UNSPEC}) or
     * there was none (optional mode), it is the socket's peer.
     *
     * @return the client's address, an {@link java.net.InetSocketAddress} for TCP (a
     *     {@link java.net.UnixDomainSocketAddress} if a PROXY header says the client came over a
     *     Unix socket)
     */
    SocketAddress peerAddress();

    /**
     * The address of the proxy that sent this connection's PROXY protocol header: the socket's
     * own peer.
     *
     * @return the proxy's address; empty if the connection began with no header
     */
    Optional<SocketAddress> proxyAddress();

    /**
     * The PROXY protocol header this connection began with, for a server built with
     * {@link Server.Builder#proxyProtocol(ProxyProtocol)}: the original addresses and, for
     * version 2, the TLVs (ALPN, authority, TLS details, unique id). Already there in
     * {@link OnInit}.
     *
     * @return the header; empty if the server reads none, or it is optional and this connection
     *     sent none
     */
    Optional<ProxyHeader> proxyHeader();

    /**
     * The address the connection was accepted on.
     *
     * @return the local address, an {@link java.net.InetSocketAddress} for TCP
     */
    SocketAddress localAddress();

    /**
     * What the TLS handshake settled, for a connection of a server built with
     * {@link Server.Builder#tls(Tls)} (already in {@link OnInit}) or upgraded by
     * {@link #startTls(Tls)}.
     *
     * @return the negotiated protocol, ALPN protocol, server name and client certificates; empty
     *     for a plain TCP connection
     */
    Optional<NegotiatedTls> tls();

    /**
     * Upgrades this plain connection to TLS in place (STARTTLS, as SMTP, IMAP, XMPP and PostgreSQL
     * do): runs the server side of the handshake now, on the calling thread, within the
     * handshake timeout of {@code tls}; afterwards {@link Message.Packet}s carry decrypted bytes,
     * sends are encrypted, and the state goes on unchanged. Call it from the loop or {@link OnInit}
     * after telling the client to begin (for SMTP, after sending {@code 220 Ready to start TLS}).
     *
     * <p>Bytes the client sent before its handshake and that the loop already received are not
     * part of the TLS stream; whatever a {@link Message.Packet} carried after the STARTTLS command
     * must be discarded, never acted on (RFC 3207 section 4.2; CVE-2011-0411 was that mistake).
     *
     * @param tls the certificate and options to use
     * @return what the handshake settled, also given by {@link #tls()} from now on
     * @throws IOException if the handshake fails or times out; the connection is then closed
     *     ({@link CloseReason.TlsHandshakeFailed})
     * @throws IllegalStateException if the connection already speaks TLS, or the caller is not the
     *     connection's own thread (the loop, {@code onInit})
     */
    NegotiatedTls startTls(Tls tls) throws IOException;

    /**
     * Finishes this side of the connection (half-close, {@code shutdown(SHUT_WR)}): the peer reads
     * the end of the stream after everything sent so far, while this side goes on receiving. Over
     * TLS it sends {@code close_notify} first. Later sends throw
     * {@link java.net.SocketException}; calling it again does nothing.
     *
     * <p>The connection ends once both sides have finished: at once if the peer had already
     * finished sending ({@link Message.EndOfInput}, with {@link CloseReason.Stopped}), else when
     * its end of input arrives ({@link CloseReason.PeerClosed}), or as before when the handler
     * stops. A request-response client sends its request, then this, so a server that reads to
     * the end of input knows the request is whole; a proxy passes each side's end on to the other.
     * Any thread may call it; it waits for a send in progress on another thread to finish.
     *
     * @throws IOException if the connection is closed, or the socket fails (which closes it)
     */
    void shutdownOutput() throws IOException;

    /**
     * Closes the connection. {@link OnClose} runs with {@link CloseReason.ClosedLocally} once any
     * running loop call returns (at once when called from the loop, after it returns). Does nothing
     * if the connection is already closed.
     */
    void close();
}
