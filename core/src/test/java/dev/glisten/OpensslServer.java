package dev.glisten;

import static org.assertj.core.api.Assertions.fail;

import dev.glisten.internal.tls.Openssl;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code openssl s_server}, a TLS server we did not write, run as a child process on 127.0.0.1 and
 * an ephemeral port, for one connection (see {@link OpensslProcess}). It prints what it reads on
 * standard output and sends what the test writes to its standard input; on the client's
 * close_notify it prints {@code DONE} (on an end without one, {@code ERROR}) and closes with its
 * own.
 */
final class OpensslServer extends OpensslProcess {

    private static final Pattern ACCEPT = Pattern.compile("ACCEPT 127\\.0\\.0\\.1:(\\d+)");

    private int port;

    private OpensslServer(Process process, List<String> command) {
        super(process, command);
    }

    /** Starts {@code openssl s_server -accept 127.0.0.1:0 -naccept 1 <args>} in {@code dir} and waits until it listens. */
    static OpensslServer start(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Openssl.binary(), "s_server", "-accept", "127.0.0.1:0",
                "-naccept", "1"));
        command.addAll(List.of(args));
        OpensslServer server = new OpensslServer(new ProcessBuilder(command).directory(dir.toFile()).start(), command);
        try {
            server.port = server.awaitPort();
            return server;
        } catch (AssertionError | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private int awaitPort() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Matcher accepting;
        while (!(accepting = ACCEPT.matcher(output())).find()) {
            if (System.nanoTime() - deadline > 0) {
                fail("openssl s_server did not listen within " + WAIT + ": " + describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return Integer.parseInt(accepting.group(1));
    }

    /** The port it listens on. */
    int port() {
        return port;
    }
}
