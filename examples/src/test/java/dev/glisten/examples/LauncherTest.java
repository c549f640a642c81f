package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LauncherTest {

    @TempDir
    Path machine;

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"1.8, 8", "1.8.0_402, 8", "17, 17", "17.0.15, 17", "21, 21", "22-ea, 22", "25.0.3+9, 25", "'', 0", "x, 0"})
    void readsTheFeatureRelease(String version, int feature) {
        assertThat(Launcher.featureOf(version)).isEqualTo(feature);
    }

    @ParameterizedTest(name = "{0} -> {1} s")
    @CsvSource(delimiter = '|', value = {
        "echo                        | 20",
        "echo --drain-timeout 2      | 12",
        "chat --drain-timeout=0.5    | 11",
        "echo --drain-timeout 0      | 10",
        "--drain-timeout 30 chat     | 40",
        "echo --drain-timeout bogus  | 20",
        "echo --drain-timeout -1     | 20",
        "echo --drain-timeout        | 20",
    })
    void givesAStoppingChildItsDrainTimeoutAndTenSecondsMore(String arguments, long seconds) {
        assertThat(Launcher.childStopSeconds(arguments.split(" "))).isEqualTo(seconds);
    }

    @Test
    void knowsTheCommandLinesDefaultDrainTimeout() {
        assertThat(Launcher.DEFAULT_DRAIN_SECONDS).isEqualTo(CommandLine.DEFAULT_DRAIN_TIMEOUT.toSeconds());
    }

    @Test
    void ordersVersionsNumerically() {
        assertThat(Launcher.compareVersions("21.0.10", "21.0.9")).isPositive();
        assertThat(Launcher.compareVersions("21", "21.0.0")).isZero();
        assertThat(Launcher.compareVersions("1.8.0_402", "17")).isNegative();
    }

    @Test
    void picksTheNewestJava21OrLater() throws Exception {
        Path jvm = Files.createDirectories(machine.resolve("usr/lib/jvm"));
        javaHome(jvm.resolve("java-17"), "17.0.15");
        javaHome(jvm.resolve("jdk-21"), "21.0.2");
        Path newest = javaHome(jvm.resolve("jdk-25"), "25.0.3");
        javaHome(jvm.resolve("jdk-22"), "22.0.1");

        assertThat(Launcher.findJava(null, List.of(jvm.toFile()))).isEqualTo(newest.toFile());
    }

    @Test
    void skipsAHomeWithoutAJavaExecutableOrReleaseFile() throws Exception {
        Path jvm = Files.createDirectories(machine.resolve("jvm"));
        Path usable = javaHome(jvm.resolve("jdk-21"), "21.0.2");
        Files.delete(javaHome(jvm.resolve("jdk-26"), "26").resolve("bin/java"));
        Files.delete(javaHome(jvm.resolve("jdk-27"), "27").resolve("release"));

        assertThat(Launcher.findJava(null, List.of(jvm.toFile()))).isEqualTo(usable.toFile());
    }

    @Test
    void findsMacOsHomesInsideTheirBundles() throws Exception {
        Path machines = Files.createDirectories(machine.resolve("Library/Java/JavaVirtualMachines"));
        Path home = javaHome(machines.resolve("temurin-21.jdk/Contents/Home"), "21.0.5");

        assertThat(Launcher.findJava(null, List.of(machines.toFile()))).isEqualTo(home.toFile());
    }

    @Test
    void prefersJavaHomeWhenItIsRecentEnough() throws Exception {
        Path jvm = Files.createDirectories(machine.resolve("jvm"));
        javaHome(jvm.resolve("jdk-25"), "25");
        Path chosen = javaHome(machine.resolve("chosen"), "21.0.1");

        assertThat(Launcher.findJava(chosen.toString(), List.of(jvm.toFile()))).isEqualTo(chosen.toFile());
    }

    @Test
    void looksFurtherWhenJavaHomeIsTooOld() throws Exception {
        Path jvm = Files.createDirectories(machine.resolve("jvm"));
        Path newer = javaHome(jvm.resolve("jdk-21"), "21");
        Path old = javaHome(machine.resolve("old"), "17.0.15");

        assertThat(Launcher.findJava(old.toString(), List.of(jvm.toFile()))).isEqualTo(newer.toFile());
    }

    @Test
    void findsNothingWhenEveryJavaIsOlderThan21() throws Exception {
        Path jvm = Files.createDirectories(machine.resolve("jvm"));
        Path old = javaHome(jvm.resolve("java-17"), "17.0.15");
        List<File> directories = List.of(jvm.toFile(), machine.resolve("missing").toFile());

        assertThat(Launcher.findJava(old.toString(), directories)).isNull();
    }

    @Test
    void explainsWhatIsMissingWhereItLookedAndWhatToDoInOneLine() {
        List<File> directories = Launcher.installationDirectories("/home/someone");

        String message = Launcher.notFound("17.0.15", "/usr/lib/jvm/java-17", null, directories);

        assertThat(message)
                .doesNotContain("\n")
                .contains("needs Java 21 or newer", "runs on Java 17.0.15 (/usr/lib/jvm/java-17)")
                .contains("JAVA_HOME (not set)", "/usr/lib/jvm", "/usr/java", "/opt/java",
                        "/Library/Java/JavaVirtualMachines", "/home/someone/.sdkman/candidates/java",
                        "/home/someone/.jdks")
                .contains("install a JDK 21 or newer, or set JAVA_HOME to one");
    }

    /** A fake Java home: a release file and an executable bin/java. */
    private static Path javaHome(Path home, String version) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        File java = Files.createFile(home.resolve("bin/java")).toFile();
        assertThat(java.setExecutable(true)).isTrue();
        return home;
    }
}
