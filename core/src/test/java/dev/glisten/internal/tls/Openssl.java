package dev.glisten.internal.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code openssl} command line, which makes every key and certificate the tests
 * read: what the tests prove is that glisten reads what operators actually have. Tests that need it
 * are skipped where it is not installed.
 */
public final class Openssl {

    private static final long TIMEOUT_SECONDS = 60;
    private static final String BINARY = find();

    private Openssl() { }

    /** The path of the {@code openssl} command, for tests that run it as a live peer. */
    public static String binary() {
        assumeInstalled();
        return BINARY;
    }

    public static void assumeInstalled() {
        assumeTrue(BINARY != null, "openssl is not installed");
    }

    /**
     * Runs {@code openssl args...} in {@code dir}, with no terminal input (every password is on the
     * command line) and a time limit.
     *
     * @return what it wrote to standard output and standard error
     * @throws AssertionError with that output if it fails or runs too long
     */
    public static String run(Path dir, String... args) {
        assumeInstalled();
        List<String> command = new ArrayList<>();
        command.add(BINARY);
        command.addAll(List.of(args));
        try {
            Path log = Files.createTempFile(dir, "openssl", ".log");
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("openssl took more than " + TIMEOUT_SECONDS + " s: " + command);
            }
            String output = Files.readString(log, StandardCharsets.ISO_8859_1);
            Files.delete(log);
            if (process.exitValue() != 0) {
                throw new AssertionError("openssl failed (exit " + process.exitValue() + "): " + command + "\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new AssertionError("cannot run openssl: " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running openssl", e);
        }
    }

    private static String find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "openssl");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
