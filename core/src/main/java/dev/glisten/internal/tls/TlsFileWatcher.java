package dev.glisten.internal.tls;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Reloads a server's TLS material when its files change, by looking at them every interval.
 *
 * <p>Why polling and not {@link java.nio.file.WatchService}: certificates are usually renewed by
 * replacing a symbolic link (certbot, Kubernetes secrets), which a watch on the file's directory
 * does not see, and some file systems (network, container overlays) report no events at all. A
 * look at a few files' sizes and times every few seconds costs nothing.
 */
final class TlsFileWatcher implements Runnable {

    private static final System.Logger LOG = System.getLogger("dev.glisten");

    private final Duration interval;
    private final Supplier<RealTls> current;
    private final Runnable reload;
    private final BooleanSupplier running;

    TlsFileWatcher(Duration interval, Supplier<RealTls> current, Runnable reload, BooleanSupplier running) {
        this.interval = interval;
        this.current = current;
        this.reload = reload;
        this.running = running;
    }

    @Override
    public void run() {
        List<Object> seen = stamps(current.get().files());
        while (running.getAsBoolean()) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException stopping) {
                return;
            }
            List<Object> now = stamps(current.get().files());
            if (now.equals(seen)) {
                continue;
            }
            seen = now;
            try {
                reload.run();
            } catch (RuntimeException e) {
                // Often a renewal caught halfway (the key written, the certificate not yet): the
                // next change tries again, and until then the old material serves.
                LOG.log(Level.WARNING, "TLS files changed but cannot be loaded; still serving the previous "
                        + "certificate: " + e.getMessage());
            }
        }
    }

    /** What identifies each file's contents cheaply: where it really is, its size and its time. */
    private static List<Object> stamps(List<Path> files) {
        List<Object> stamps = new ArrayList<>();
        for (Path file : files) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                stamps.add(List.of(file.toRealPath().toString(), attributes.size(),
                        attributes.lastModifiedTime().toMillis(), Objects.toString(attributes.fileKey())));
            } catch (NoSuchFileException missing) {
                stamps.add("missing " + file);
            } catch (IOException e) {
                stamps.add("unreadable " + file + ": " + e.getMessage());
            }
        }
        return stamps;
    }
}
