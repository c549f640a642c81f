package dev.glisten.internal.accept;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The file a Unix domain listen socket is bound to. bind(2) creates it and fails with
 * {@code EADDRINUSE} while it exists, even after its server is gone, so a server clears a stale
 * one before binding and removes its own when it stops listening.
 */
public final class UnixSocketFile {

    // S_IFMT and S_IFSOCK of stat(2).
    private static final int FILE_TYPE_MASK = 0170000;
    private static final int SOCKET_TYPE = 0140000;

    private UnixSocketFile() { }

    /**
     * Makes {@code path} free to bind: nothing there, or a socket file that no server listens on
     * any more, which is deleted. Whether a server listens is found by connecting, so a live server
     * is never robbed of its path (deleting its file would leave it listening, unreachable).
     *
     * @throws BindException naming the path when a server is listening on it
     * @throws IOException naming the path when it is not a socket (a regular file, a directory)
     */
    static void clearStale(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException absent) {
            return;
        }
        if (!isSocket(path, attributes)) {
            throw new IOException("cannot listen on unix:" + path + ": the path exists and is "
                    + kind(attributes) + ", not a socket; remove it or choose another path");
        }
        if (isListenedOn(path)) {
            throw new BindException("cannot listen on unix:" + path
                    + ": address in use (another server is listening on this socket file)");
        }
        Files.deleteIfExists(path);
    }

    /** Identifies the file this server bound, so that it removes only its own. */
    public static Object key(Path path) {
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return key != null ? key : path;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Deletes the socket file if it is still the one identified by {@code key}: another server may
     * have cleared it as stale and bound its own there since this one stopped listening.
     */
    public static void remove(Path path, Object key) {
        if (key == null || !key.equals(key(path))) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // The directory is no longer writable: the file stays stale, and the next start clears it.
        }
    }

    private static boolean isSocket(Path path, BasicFileAttributes attributes) throws IOException {
        if (!attributes.isOther()) {
            return false;
        }
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & FILE_TYPE_MASK) == SOCKET_TYPE;
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            // No "unix" attribute view: "other" (not a file, directory or link) is the best we know.
            return true;
        }
    }

    private static String kind(BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        if (attributes.isSymbolicLink()) {
            return "a symbolic link";
        }
        if (attributes.isRegularFile()) {
            return "a regular file";
        }
        return "a special file";
    }

    /**
     * Whether a server accepts connections on {@code path}. The connect does not block: a live
     * server with a full backlog answers {@code EAGAIN}, which counts as listening; only
     * {@code ECONNREFUSED} (a socket file with nobody behind it) counts as stale.
     */
    private static boolean isListenedOn(Path path) throws IOException {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.configureBlocking(false);
            probe.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException other) {
            // Deleted since it was looked at: free. Anything else (EAGAIN above all): someone is there.
            return !String.valueOf(other.getMessage()).contains("No such file");
        }
    }
}
