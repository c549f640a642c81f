package dev.glisten.reliability;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The http example's legitimate clients: requests on one kept-alive connection, {@code GET /}
 * (the greeting) or {@code POST /echo} with a random body (the body back), each response read
 * whole and checked.
 */
final class HttpConversation implements Conversation {

    static final byte[] GREETING = "Hello from glisten!\n".getBytes(US_ASCII);
    /** A response head is a status line and a few short fields; a longer one is not the example's. */
    private static final int LONGEST_HEAD = 8 * 1024;
    private static final int LARGEST_BODY = 16 * 1024;

    /**
     * One response as read.
     *
     * @param status its status code
     * @param head its head, status line included
     * @param body its body
     */
    record Response(int status, String head, byte[] body) {
        boolean closes() {
            return head.toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n");
        }
    }

    @Override
    public void converse(Socket socket, Random random, Ledger ledger, int exchanges) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = new BufferedInputStream(socket.getInputStream());
        for (int i = 0; i < exchanges; i++) {
            boolean post = random.nextBoolean();
            byte[] body = post ? Conversation.payload(random, LARGEST_BODY) : null;
            byte[] request = post
                    ? concat(("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(US_ASCII), body)
                    : "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(US_ASCII);
            long start = System.nanoTime();
            out.write(request);
            out.flush();
            Response response = read(in);
            byte[] expected = post ? body : GREETING;
            if (response.status() != 200 || !Arrays.equals(response.body(), expected)) {
                throw new Corrupt((post ? "POST /echo of " + body.length + " bytes" : "GET /") + " answered "
                        + response.status() + " with " + response.body().length + " bytes of body, not 200 with "
                        + expected.length);
            }
            ledger.exchanged(System.nanoTime() - start, request.length + response.body().length);
        }
    }

    /**
     * Reads one response: its head up to the empty line, then {@code Content-Length} bytes of body.
     *
     * @throws Cut if the stream ends first
     * @throws Corrupt if the head is not an HTTP/1.1 response with a length
     */
    static Response read(InputStream in) throws IOException {
        // The example sends at most one interim response (100 Continue) before the final one.
        for (int interim = 0; interim < 2; interim++) {
            String head = readHead(in);
            if (!head.startsWith("HTTP/1.1 ") || head.length() < 12) {
                throw new Corrupt("not an HTTP/1.1 status line: " + head.lines().findFirst().orElse(""));
            }
            int status;
            try {
                status = Integer.parseInt(head.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new Corrupt("no status code in " + head.lines().findFirst().orElse(""));
            }
            if (status != 100) {
                int length = contentLength(head);
                byte[] body = in.readNBytes(length);
                if (body.length < length) {
                    throw new Cut("the server closed after " + body.length + " of " + length + " bytes of a body");
                }
                return new Response(status, head, body);
            }
        }
        throw new Corrupt("two interim responses in a row");
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int lastFour = 0;
        // Bounded by LONGEST_HEAD bytes.
        while (lastFour != 0x0D0A0D0A) {
            int b = in.read();
            if (b < 0) {
                throw new Cut("the server closed after " + head.size() + " bytes of a response head");
            }
            head.write(b);
            lastFour = (lastFour << 8) | b;
            if (head.size() > LONGEST_HEAD) {
                throw new Corrupt("a response head longer than " + LONGEST_HEAD + " bytes");
            }
        }
        return head.toString(US_ASCII);
    }

    private static int contentLength(String head) throws Corrupt {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                try {
                    return Integer.parseInt(line.substring(15).strip());
                } catch (NumberFormatException e) {
                    throw new Corrupt("a bad Content-Length: " + line);
                }
            }
        }
        throw new Corrupt("a response without Content-Length: " + head.lines().findFirst().orElse(""));
    }

    static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
