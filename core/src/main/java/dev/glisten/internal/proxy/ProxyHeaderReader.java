package dev.glisten.internal.proxy;

import dev.glisten.ProxyHeader;
import dev.glisten.ProxyProtocol;
import dev.glisten.internal.io.WatchedSocket;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Reads a connection's PROXY protocol header on its own thread, before anything else reads: the
 * bytes arrive in a small array, {@link ProxyHeaders} says after each read whether they hold a
 * header, and the waits between reads are the socket's own ({@link WatchedSocket#awaitReadable}),
 * bounded by the header timeout as the TLS handshake's are.
 *
 * <p>Reads stop where {@link ProxyHeaders.Incomplete#readUpTo()} says, so a v2 header is read to
 * its last byte and no further. A v1 line's end is only known when its CRLF arrives, and a
 * connection without a header (optional mode) is only known to have none after some of its bytes
 * were read: such bytes are given back to the socket ({@link WatchedSocket#unread}), which hands
 * them to the next reader, the TLS handshake or the first packet, before anything it reads itself.
 * No peek is possible on a non-blocking channel ({@code MSG_PEEK} is not in NIO), and reading a v1
 * line a byte at a time would cost a system call per byte.
 */
public final class ProxyHeaderReader {

    private ProxyHeaderReader() { }

    /**
     * Reads the header.
     *
     * @param abandon says when to give up early (the connection is being closed)
     * @return the header; {@code null} if the connection has none and {@code options} allow that
     * @throws ProtocolException if the header is malformed, of a version not accepted, or missing
     *     when required
     * @throws SocketTimeoutException if it did not arrive within the header timeout
     * @throws EOFException if the peer closed before the header was complete
     * @throws IOException if reading fails
     */
    public static ProxyHeader read(WatchedSocket socket, ProxyProtocol options, BooleanSupplier abandon)
            throws IOException {
        long deadline = System.nanoTime() + options.headerTimeout().toNanos();
        byte[] bytes = new byte[ProxyHeaders.V1_MAX_LENGTH];
        int filled = 0;
        for (;;) {
            ProxyHeaders.Outcome outcome = ProxyHeaders.parse(bytes, filled, options.accepted());
            if (outcome instanceof ProxyHeaders.Parsed parsed) {
                socket.unread(bytes, parsed.length(), filled);
                return parsed.header();
            }
            if (outcome instanceof ProxyHeaders.Absent) {
                if (options.required()) {
                    throw new ProtocolException("no PROXY protocol header (" + options.accepted()
                            + " required); the connection began with "
                            + printable(bytes, Math.min(filled, 16)));
                }
                socket.unread(bytes, 0, filled);
                return null;
            }
            int readUpTo = ((ProxyHeaders.Incomplete) outcome).readUpTo();
            if (readUpTo > bytes.length) {
                bytes = Arrays.copyOf(bytes, readUpTo);
            }
            int read = readSome(socket, ByteBuffer.wrap(bytes, filled, readUpTo - filled), deadline, abandon);
            if (read < 0) {
                if (!options.required()) {
                    // Optional: a client that closed at once is a direct one, and its end is seen next.
                    socket.unread(bytes, 0, filled);
                    return null;
                }
                throw new EOFException("the peer closed the connection after " + filled
                        + " bytes of its PROXY protocol header");
            }
            if (read == 0) {
                if (!options.required() && filled == 0) {
                    // Optional: a client that waits for the server to speak first is a direct one.
                    return null;
                }
                throw new SocketTimeoutException("the PROXY protocol header did not arrive within "
                        + options.headerTimeout() + " (" + filled + " bytes of it did)");
            }
            filled += read;
        }
    }

    /**
     * Reads into {@code into}, waiting until the deadline: returns the count read, -1 at the end of
     * the stream, 0 when the deadline passed.
     */
    private static int readSome(WatchedSocket socket, ByteBuffer into, long deadline, BooleanSupplier abandon)
            throws IOException {
        for (;;) {
            // Checked before each read too: a peer trickling its header a byte at a time never lets
            // the wait below run out.
            if (System.nanoTime() - deadline >= 0) {
                return 0;
            }
            int read = socket.read(into);
            if (read != 0) {
                return read;
            }
            if (abandon.getAsBoolean()) {
                throw new AsynchronousCloseException();
            }
            if (!socket.awaitReadable(abandon, deadline)) {
                return 0;
            }
        }
    }

    private static String printable(byte[] bytes, int length) {
        StringBuilder text = new StringBuilder("\"");
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xff;
            text.append(b >= 0x20 && b < 0x7f ? Character.toString(b) : String.format("\\x%02x", b));
        }
        return text.append('"').toString();
    }
}
