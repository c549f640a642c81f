package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a server held when a bound failed, written next to its log so that a failure in CI can be
 * explained after the fact: its TCP sockets as the kernel sees them (state, queues, timers) and
 * where each of its threads, virtual ones included, was waiting.
 */
final class Evidence {

    private static final long TOOL_TIMEOUT_SECONDS = 20;
    /** The header and a few sockets: enough to tell a leak from a peer that has not closed. */
    private static final int SOCKET_LINES_IN_NOTE = 12;

    private Evidence() { }

    /**
     * Writes {@code <name>.<what>.sockets.txt} and {@code <name>.<what>.threads.txt} into the logs.
     *
     * @return for the report's note: the files, and the sockets' first lines, since a CI log shows
     *     the report but not the files
     */
    static String record(Run run, ServerProcess server, String what) throws InterruptedException {
        Path logs = run.setup().logs();
        Path sockets = logs.resolve(server.name() + "." + what + ".sockets.txt");
        Path threads = logs.resolve(server.name() + "." + what + ".threads.txt");
        int port = server.address().getPort();
        // Both ends of the server's connections: the peer's side shows whether the client closed.
        // Connections in TIME-WAIT hold no descriptor of the server's; left out, so that the
        // note's first lines are the sockets that do.
        tool(sockets, List.of("ss", "-tano", "exclude", "time-wait",
                "( sport = :" + port + " or dport = :" + port + " )"));
        tool(threads, List.of(run.jcmd().toString(), Long.toString(server.pid()), "Thread.dump_to_file", "-overwrite",
                "-format=text", threads.toAbsolutePath().toString()));
        String seen;
        try {
            List<String> lines = Files.readAllLines(sockets);
            seen = String.join(" / ", lines.subList(0, Math.min(lines.size(), SOCKET_LINES_IN_NOTE)))
                    .replaceAll("\\s+", " ");
        } catch (IOException e) {
            seen = "(unreadable: " + e + ")";
        }
        return sockets + " and " + threads + "; sockets: " + seen;
    }

    private static void tool(Path output, List<String> command) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
            if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                Files.writeString(output, String.join(" ", command) + ": did not finish within "
                        + TOOL_TIMEOUT_SECONDS + " s\n", StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            try {
                Files.writeString(output, String.join(" ", command) + ": " + e + "\n");
            } catch (IOException ignored) {
                // The note names the file; its absence says the same.
            }
        }
    }
}
