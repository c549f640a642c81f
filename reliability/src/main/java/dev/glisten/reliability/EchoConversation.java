package dev.glisten.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Random;

/**
 * The echo example's legitimate clients: random bytes sent, the same bytes read back.
 * {@link #raw()} for {@code echo} (and a TCP proxy in front of one), {@link #framed(int)} for
 * {@code echo --packet 2}: a batch of frames with two-byte big-endian length headers, each echoed
 * whole with its header.
 */
final class EchoConversation implements Conversation {

    /** The largest raw payload: several reads' worth, so echoes span reads on both sides. */
    static final int LARGEST_RAW = 16 * 1024;
    private static final int MOST_FRAMES = 8;

    private final int largestFrame;

    private EchoConversation(int largestFrame) {
        this.largestFrame = largestFrame;
    }

    static EchoConversation raw() {
        return new EchoConversation(0);
    }

    /**
     * @param maxPacket the server's {@code --max-packet}, which counts the header: payloads stay
     *     within it
     */
    static EchoConversation framed(int maxPacket) {
        return new EchoConversation(maxPacket - 2);
    }

    @Override
    public void converse(Socket socket, Random random, Ledger ledger, int exchanges) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        for (int i = 0; i < exchanges; i++) {
            byte[] request = largestFrame == 0 ? Conversation.payload(random, LARGEST_RAW) : frames(random);
            long start = System.nanoTime();
            out.write(request);
            out.flush();
            Conversation.readExactly(in, request, 0, request.length, "echo of " + request.length + " bytes");
            ledger.exchanged(System.nanoTime() - start, request.length);
        }
    }

    private byte[] frames(Random random) {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        int count = 1 + random.nextInt(MOST_FRAMES);
        for (int i = 0; i < count; i++) {
            byte[] payload = random.nextInt(16) == 0 ? new byte[0] : Conversation.payload(random, largestFrame);
            batch.write(payload.length >>> 8);
            batch.write(payload.length);
            batch.writeBytes(payload);
        }
        return batch.toByteArray();
    }
}
