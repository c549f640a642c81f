package dev.glisten.internal.io;

/** The check every {@code sendFile} makes of its range before anything is sent. */
public final class FileRanges {

    private FileRanges() { }

    /**
     * @throws IllegalArgumentException naming {@code offset} or {@code length} if the range is not
     *     inside a file of {@code size} bytes
     */
    public static void check(long offset, long length, long size) {
        String within = " (the file has " + size + " bytes)";
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("offset must be between 0 and the file's size" + within
                    + ", got " + offset);
        }
        if (length < 0 || length > size - offset) {
            throw new IllegalArgumentException("length must be between 0 and the bytes from offset " + offset
                    + " to the end of the file" + within + ", got " + length);
        }
    }
}
