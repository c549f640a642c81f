package dev.glisten.examples;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.glisten.testkit.TestClient;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code echo --packet line|1|2|4 --max-packet BYTES} on the runnable jar: each whole frame comes
 * back as it was sent, however the writes cut it; nothing of an incomplete frame comes back; a
 * frame over the limit closes its own connection and no other.
 */
class EchoPacketsIT {

    private static final int MAX_PACKET = 64;
    /** How long the test listens for bytes that must not come; also the pause that splits two writes. */
    private static final Duration QUIET = Duration.ofMillis(200);

    @TempDir
    Path output;

    private JarProcess jar;

    @AfterEach
    void kill() {
        if (jar != null) {
            jar.close();
        }
    }

    @ParameterizedTest(name = "--packet {0}")
    @ValueSource(strings = {"line", "1", "2", "4"})
    void echoesWholeFramesOnlyAndClosesAConnectionThatSendsOneTooLarge(String mode) throws Exception {
        int port = start(mode);
        try (TestClient client = JarProcess.connect(port); TestClient bystander = JarProcess.connect(port)) {
            // One frame in three writes: nothing comes back until its last byte is in.
            byte[] split = frame(mode, "one frame, three writes");
            client.send(Arrays.copyOfRange(split, 0, 1));
            client.assertNothingArrivesWithin(QUIET);
            client.send(Arrays.copyOfRange(split, 1, split.length - 1));
            client.assertNothingArrivesWithin(QUIET);
            client.send(Arrays.copyOfRange(split, split.length - 1, split.length));
            assertThat(client.readExactly(split.length)).isEqualTo(split);

            // Three frames, the empty one included, in one write: three frames back, byte for byte.
            byte[] several = concat(frame(mode, "first"), frame(mode, ""), frame(mode, "third"));
            client.send(several);
            assertThat(client.readExactly(several.length)).isEqualTo(several);

            // A frame as long as the limit allows.
            byte[] largest = frame(mode, "x".repeat(MAX_PACKET - (frame(mode, "").length)));
            assertThat(largest).hasSize(MAX_PACKET);
            client.send(largest);
            assertThat(client.readExactly(largest.length)).isEqualTo(largest);

            // A whole frame and the start of another, then the end of the stream: only the whole one comes back.
            byte[] whole = frame(mode, "whole");
            byte[] partial = frame(mode, "never finished");
            client.send(concat(whole, Arrays.copyOf(partial, partial.length - 1)));
            assertThat(client.readExactly(whole.length)).isEqualTo(whole);
            client.assertNothingArrivesWithin(QUIET);
            client.shutdownOutput();
            assertThat(client.awaitClosed()).as("bytes of the incomplete frame echoed").isZero();

            try (TestClient offender = JarProcess.connect(port)) {
                offender.send(tooLarge(mode));
                assertThat(offender.awaitClosed()).as("bytes echoed of the frame too large").isZero();
            }
            byte[] stillServed = frame(mode, "still served");
            bystander.send(stillServed);
            assertThat(bystander.readExactly(stillServed.length)).isEqualTo(stillServed);
        }
    }

    @Test
    void rawPacketsAreEchoedAsTheyComeByDefault() throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "echo", "--port", "0", "--bind",
                "127.0.0.1");
        int port = jar.awaitListening("127.0.0.1");
        try (TestClient client = JarProcess.connect(port)) {
            // No frame to wait for: half a line comes straight back.
            assertThat(client.send("no newline").readText(10)).isEqualTo("no newline");
        }
    }

    @Test
    void anUnknownPacketModeExitsWith2NamingTheFlag() throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "echo", "--packet", "3");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst())
                .hasValue("glisten-examples: --packet must be raw, line, 1, 2 or 4, got \"3\"");
        assertThat(jar.stdout()).isEmpty();
    }

    @Test
    void aBadMaximumExitsWith2NamingTheFlag() throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "echo", "--packet", "line",
                "--max-packet", "0");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr().lines().findFirst()).hasValueSatisfying(
                line -> assertThat(line).startsWith("glisten-examples: --max-packet must be").contains("\"0\""));
    }

    private int start(String mode) throws Exception {
        jar = JarProcess.start(JarProcess.testJava(), environment -> { }, output, "echo", "--port", "0", "--bind",
                "127.0.0.1", "--packet", mode, "--max-packet", String.valueOf(MAX_PACKET));
        return jar.awaitListening("127.0.0.1");
    }

    /** {@code payload} as one frame of {@code mode}: with its line feed, or after its big-endian length. */
    private static byte[] frame(String mode, String payload) {
        byte[] bytes = payload.getBytes(US_ASCII);
        if (mode.equals("line")) {
            return concat(bytes, new byte[] {'\n'});
        }
        int width = Integer.parseInt(mode);
        byte[] header = new byte[width];
        for (int i = 0; i < width; i++) {
            header[i] = (byte) (bytes.length >>> (8 * (width - 1 - i)));
        }
        return concat(header, bytes);
    }

    /** More than {@link #MAX_PACKET}: a line that has not ended by then, or a header that says so. */
    private static byte[] tooLarge(String mode) {
        if (mode.equals("line")) {
            byte[] line = new byte[MAX_PACKET + 1];
            Arrays.fill(line, (byte) 'x');
            return line;
        }
        return frame(mode, "y".repeat(MAX_PACKET));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            joined.writeBytes(part);
        }
        return joined.toByteArray();
    }
}
