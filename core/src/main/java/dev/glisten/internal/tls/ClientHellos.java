package dev.glisten.internal.tls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the server name (SNI) from a TLS ClientHello before any engine sees it, so that a server
 * with several certificates can hand the connection to the engine of the right one: each name
 * then has its own session cache, and a client resuming a session for that name finds it. Netty's
 * SniHandler does the same.
 *
 * <p>Formats: the record layer of RFC 8446 section 5.1 (also 5246 6.2), the ClientHello of RFC 8446
 * section 4.1.2 (same layout in TLS 1.2), and the server_name extension of RFC 6066 section 3.
 */
public final class ClientHellos {

    private static final int HANDSHAKE_RECORD = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int SERVER_NAME_EXTENSION = 0;
    private static final int HOST_NAME = 0;
    private static final int RECORD_HEADER = 5;

    private ClientHellos() { }

    /**
     * Whether {@code bytes} hold enough to decide: the whole first record, or the header of one
     * that is not a handshake record (which no engine will accept anyway).
     *
     * @param bytes the first bytes from the client, from its position to its limit (unchanged)
     */
    public static boolean firstRecordArrived(ByteBuffer bytes) {
        if (bytes.remaining() < RECORD_HEADER) {
            return false;
        }
        int at = bytes.position();
        if ((bytes.get(at) & 0xff) != HANDSHAKE_RECORD) {
            return true;
        }
        int recordLength = ((bytes.get(at + 3) & 0xff) << 8) | (bytes.get(at + 4) & 0xff);
        return bytes.remaining() >= RECORD_HEADER + recordLength;
    }

    /**
     * The host name a ClientHello asks for.
     *
     * @param bytes the first bytes from the client, from its position to its limit (unchanged)
     * @return the name in lower case; {@code null} if there is none, or the bytes are not a whole
     *     ClientHello this can read (the engine then decides, with the default certificate's
     *     context)
     */
    public static String serverName(ByteBuffer bytes) {
        if (!firstRecordArrived(bytes)) {
            return null;
        }
        ByteBuffer in = bytes.duplicate();
        if ((in.get() & 0xff) != HANDSHAKE_RECORD) {
            return null;
        }
        in.getShort(); // legacy record version
        int recordLength = in.getShort() & 0xffff;
        in.limit(in.position() + recordLength);
        try {
            if ((in.get() & 0xff) != CLIENT_HELLO) {
                return null;
            }
            int helloLength = uint24(in);
            if (helloLength > in.remaining()) {
                return null; // spread over several records: rare, and the engine copes
            }
            skip(in, 2 + 32); // legacy_version, random
            skip(in, in.get() & 0xff); // legacy_session_id
            skip(in, in.getShort() & 0xffff); // cipher_suites
            skip(in, in.get() & 0xff); // legacy_compression_methods
            if (!in.hasRemaining()) {
                return null; // no extensions
            }
            int extensionsEnd = (in.getShort() & 0xffff) + in.position();
            while (in.position() + 4 <= extensionsEnd) {
                int type = in.getShort() & 0xffff;
                int length = in.getShort() & 0xffff;
                if (type != SERVER_NAME_EXTENSION) {
                    skip(in, length);
                    continue;
                }
                int listEnd = (in.getShort() & 0xffff) + in.position();
                while (in.position() + 3 <= listEnd) {
                    int nameType = in.get() & 0xff;
                    int nameLength = in.getShort() & 0xffff;
                    if (nameType == HOST_NAME) {
                        byte[] name = new byte[nameLength];
                        in.get(name);
                        return new String(name, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                    }
                    skip(in, nameLength);
                }
                return null;
            }
            return null;
        } catch (RuntimeException malformed) {
            // Truncated or inconsistent lengths: not ours to judge; the engine reports it.
            return null;
        }
    }

    private static int uint24(ByteBuffer in) {
        return ((in.get() & 0xff) << 16) | ((in.get() & 0xff) << 8) | (in.get() & 0xff);
    }

    private static void skip(ByteBuffer in, int length) {
        in.position(in.position() + length);
    }
}
