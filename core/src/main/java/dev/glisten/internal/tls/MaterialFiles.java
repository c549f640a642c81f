package dev.glisten.internal.tls;

import dev.glisten.TlsConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads certificate, key and keystore files, turning every way that can fail into a
 * {@link TlsConfigException} that names the file and says what to check.
 */
final class MaterialFiles {

    /**
     * Far more than any certificate bundle (the Mozilla CA bundle is about 220 KB); the bound keeps
     * a wrong path such as {@code /dev/zero} from filling the heap.
     */
    static final int MAX_BYTES = 16 * 1024 * 1024;

    private MaterialFiles() { }

    /**
     * The bytes of {@code path}.
     *
     * @param name the file as messages call it, such as {@code "key file /etc/app/key.pem"}
     * @throws TlsConfigException naming the file if it is missing, a directory, unreadable or too
     *     large
     */
    static byte[] read(Path path, String name) {
        if (Files.isDirectory(path)) {
            throw TlsProblems.of(name, "is a directory", "Give the path of the file itself");
        }
        try (InputStream in = Files.newInputStream(path)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw TlsProblems.of(name, "is larger than " + MAX_BYTES / (1024 * 1024) + " MiB",
                        "Check the path: certificates, keys and keystores are a few kilobytes");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw TlsProblems.of(name, "does not exist",
                    "Check the path (it resolves to " + path.toAbsolutePath() + ")", e);
        } catch (AccessDeniedException e) {
            throw TlsProblems.of(name, "cannot be read: permission denied",
                    "Make it readable by the user that runs the server (user " + System.getProperty("user.name") + ")", e);
        } catch (IOException e) {
            throw TlsProblems.of(name, "cannot be read (" + e + ")", "Check the path and the file", e);
        }
    }
}
