package dev.glisten.reliability;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.Random;

/**
 * What a legitimate client says on one connection of a server it churns against: a few
 * exchanges, each answer verified byte for byte and timed into the {@link Ledger}.
 */
@FunctionalInterface
interface Conversation {

    /**
     * Runs {@code exchanges} exchanges on {@code socket}, which is ready for the protocol.
     *
     * @throws Cut if the server ended the connection in the middle of an answer whose bytes so far
     *     were right
     * @throws Corrupt if an answer was wrong
     * @throws IOException if the connection failed otherwise, a read timeout included
     */
    void converse(Socket socket, Random random, Ledger ledger, int exchanges) throws IOException;

    /** The server ended the connection before an answer was whole; every byte it did send was right. */
    final class Cut extends EOFException {
        private static final long serialVersionUID = 1L;

        Cut(String what) {
            super(what);
        }
    }

    /** An answer held a wrong byte: what no server may ever do. */
    final class Corrupt extends IOException {
        private static final long serialVersionUID = 1L;

        Corrupt(String what) {
            super(what);
        }
    }

    /**
     * Reads exactly {@code length} bytes and checks them against {@code expected} from
     * {@code offset}.
     *
     * @throws Cut at the end of the stream before {@code length} bytes
     * @throws Corrupt at the first wrong byte
     */
    static void readExactly(InputStream in, byte[] expected, int offset, int length, String what) throws IOException {
        byte[] buffer = new byte[Math.min(length, 16 * 1024)];
        int done = 0;
        // At least one byte per pass, or the end of the stream, or a read timeout: bounded by length.
        while (done < length) {
            int read = in.read(buffer, 0, Math.min(buffer.length, length - done));
            if (read < 0) {
                throw new Cut(what + ": the server closed after " + done + " of " + length + " bytes");
            }
            for (int i = 0; i < read; i++) {
                if (buffer[i] != expected[offset + done + i]) {
                    throw new Corrupt(what + ": byte " + (done + i) + " of " + length + " is "
                            + (buffer[i] & 0xff) + ", not " + (expected[offset + done + i] & 0xff));
                }
            }
            done += read;
        }
    }

    /** Random bytes, mostly short, sometimes up to {@code largest}: what clients of an echo send. */
    static byte[] payload(Random random, int largest) {
        int length = 1 + (random.nextInt(8) == 0 ? random.nextInt(largest) : random.nextInt(Math.min(largest, 512)));
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
