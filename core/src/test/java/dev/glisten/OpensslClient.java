package dev.glisten;

import dev.glisten.internal.tls.Openssl;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code openssl s_client}, a TLS client we did not write, run as a child process against a server
 * on 127.0.0.1 (see {@link OpensslProcess}).
 *
 * <p>Give {@code -quiet} (or {@code -brief}) to have standard output carry only the application
 * data, and {@code -ign_eof} to keep the connection open after standard input ends; without them,
 * the end of standard input sends close_notify and ends the process.
 */
final class OpensslClient extends OpensslProcess {

    private OpensslClient(Process process, List<String> command) {
        super(process, command);
    }

    /**
     * Starts {@code openssl s_client -connect 127.0.0.1:<port> -nocommands <args>} in {@code dir}.
     * Without {@code -nocommands}, a read from standard input that happens to begin with Q, R or K
     * is taken as a command (quit, renegotiate, key update) and not sent.
     */
    static OpensslClient connect(Server server, Path dir, String... args) throws IOException {
        return start(server, dir, "-nocommands", args);
    }

    /** As {@link #connect}, with the command letters on: a line {@code K} alone makes openssl send KeyUpdate. */
    static OpensslClient connectWithCommands(Server server, Path dir, String... args) throws IOException {
        return start(server, dir, null, args);
    }

    private static OpensslClient start(Server server, Path dir, String option, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Openssl.binary(), "s_client", "-connect",
                "127.0.0.1:" + server.port()));
        if (option != null) {
            command.add(option);
        }
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
        return new OpensslClient(process, command);
    }
}
