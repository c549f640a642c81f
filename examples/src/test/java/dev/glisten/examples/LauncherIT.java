package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.glisten.testkit.TestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar started by a default {@code java} older than 21 (Debian 12's is 17): the
 * launcher must find a newer Java and run the examples with it. Skipped where /usr/bin/java is
 * missing or already 21 or newer.
 */
class LauncherIT {

    private static final Path OLD_JAVA = Path.of("/usr/bin/java");

    @TempDir
    Path output;

    private JarProcess jar;

    @BeforeAll
    static void requireAnOldDefaultJava() throws Exception {
        assumeTrue(Files.isExecutable(OLD_JAVA), OLD_JAVA + " does not exist");
        int feature = featureOf(OLD_JAVA);
        assumeTrue(feature > 0 && feature < Launcher.REQUIRED_FEATURE, OLD_JAVA + " is Java " + feature + ", not older than 21");
    }

    @AfterEach
    void kill() {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void reExecutesWithJavaHomeAndStopsOnSigterm() throws Exception {
        String testJavaHome = System.getProperty("java.home");

        servesUntilSigterm(environment -> environment.put("JAVA_HOME", testJavaHome));

        assertThat(jar.stderr()).contains("running on Java", testJavaHome);
    }

    @Test
    void reExecutesWithAJavaFoundInTheUsualDirectories() throws Exception {
        assumeTrue(Launcher.findJava(null, Launcher.installationDirectories(System.getProperty("user.home"))) != null,
                "no Java 21+ in the usual directories of this machine");

        servesUntilSigterm(environment -> environment.remove("JAVA_HOME"));
    }

    @Test
    void exitsWithTheStatusOfTheJavaItStarted() throws Exception {
        jar = JarProcess.start(OLD_JAVA.toString(),
                environment -> environment.put("JAVA_HOME", System.getProperty("java.home")), output, "echo", "--bogus");

        assertThat(jar.awaitExit()).isEqualTo(2);
        assertThat(jar.stderr()).contains("unknown option --bogus");
    }

    private void servesUntilSigterm(Consumer<Map<String, String>> environment) throws Exception {
        jar = JarProcess.start(OLD_JAVA.toString(), environment, output, "lowlevel", "--port", "0", "--bind", "127.0.0.1");
        int port = jar.awaitListening("127.0.0.1");
        assertThat(jar.descendants()).as("the newer java the launcher started").isNotEmpty();

        try (TestClient connected = MainIT.talkTo("lowlevel", port)) {
            jar.terminate();
            assertThat(connected.awaitClosed()).as("bytes before the close").isZero();
        }

        assertThat(jar.descendants()).noneMatch(ProcessHandle::isAlive);
        JarProcess.assertNothingListensOn(port);
    }

    /** Asks {@code java -version}, which every Java answers on standard error. */
    private static int featureOf(Path java) throws Exception {
        Process version = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
        try {
            assumeTrue(version.waitFor(30, TimeUnit.SECONDS), java + " -version did not answer");
            Matcher quoted = Pattern.compile("version \"([^\"]+)\"").matcher(new String(version.getInputStream().readAllBytes()));
            return quoted.find() ? Launcher.featureOf(quoted.group(1)) : 0;
        } finally {
            version.destroyForcibly();
        }
    }
}
