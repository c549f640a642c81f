package dev.glisten.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/** What a {@link TestConnection}'s handler sent: every byte in order, and each send on its own. */
final class SentBytes {

    private final List<byte[]> writes = new ArrayList<>();
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();

    /** The remaining bytes of every buffer, in order, as one send would write them; positions advance. */
    static byte[] gather(ByteBuffer... buffers) {
        ByteArrayOutputStream gathered = new ByteArrayOutputStream();
        for (ByteBuffer buffer : buffers) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            gathered.writeBytes(bytes);
        }
        return gathered.toByteArray();
    }

    /**
     * {@code length} bytes of {@code file} from {@code offset}, which the caller checked.
     *
     * @throws EOFException if the file ends first
     */
    static byte[] read(FileChannel file, long offset, long length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(length));
        while (bytes.hasRemaining()) {
            if (file.read(bytes, offset + bytes.position()) < 0) {
                throw new EOFException("the file ended before the range was sent");
            }
        }
        return bytes.array();
    }

    /** One send went out whole: {@code bytes} is the caller's to give away. */
    void record(byte[] bytes) {
        writes.add(bytes);
        all.writeBytes(bytes);
    }

    byte[] bytes() {
        return all.toByteArray();
    }

    List<byte[]> writes() {
        return writes.stream().map(byte[]::clone).toList();
    }
}
