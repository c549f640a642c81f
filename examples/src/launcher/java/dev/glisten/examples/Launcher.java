package dev.glisten.examples;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The runnable jar's entry point, so that {@code java -jar glisten-examples.jar ...} works whatever
 * the default {@code java} is. It is compiled for Java 8, so any JVM from 8 up can load it.
 *
 * <ul>
 *   <li>On Java 21 or newer it runs {@code dev.glisten.examples.Main} in this JVM.</li>
 *   <li>On an older one it looks for a Java 21 or newer: {@code JAVA_HOME} if that is one,
 *       otherwise the newest installation under {@link #installationDirectories(String) the usual
 *       directories}, judged by the {@code JAVA_VERSION} line of each one's {@code release} file.
 *       It runs {@code Main} with that {@code bin/java}, the same jar and arguments, sharing this
 *       process's standard streams, and exits with the child's status. Stopping this process (SIGINT,
 *       SIGTERM) stops the child the same way, waiting for its drain ({@code --drain-timeout}) and
 *       10 seconds more before killing it. JVM options given to this JVM are not passed on; put
 *       them in {@code JDK_JAVA_OPTIONS}, which every Java 9+ launcher reads.</li>
 *   <li>When there is none it says so in one line on standard error and exits with status 1.</li>
 * </ul>
 */
public final class Launcher {

    static final int REQUIRED_FEATURE = 21;
    private static final String MAIN_CLASS = "dev.glisten.examples.Main";
    // Beyond the drain timeout: longer than the server's own stop timeout (5 s) plus its grace
    // period, so a clean stop can finish.
    private static final long CHILD_STOP_SECONDS = 10;
    // CommandLine.DEFAULT_DRAIN_TIMEOUT, in seconds (that class is Java 21, unreadable here).
    static final long DEFAULT_DRAIN_SECONDS = 10;
    private static final String DRAIN_TIMEOUT = "--drain-timeout";
    private static final long CHILD_KILL_SECONDS = 5;
    private static final int EXIT_NO_JAVA = 1;

    private Launcher() { }

    /**
     * Runs the examples' command line on a Java 21 or newer.
     *
     * @param args passed on unchanged
     * @throws Exception whatever {@code Main} throws, or a failure to start the newer Java
     */
    public static void main(String[] args) throws Exception {
        if (featureOf(System.getProperty("java.specification.version")) >= REQUIRED_FEATURE) {
            runInThisJvm(args);
            return;
        }
        String javaHome = System.getenv("JAVA_HOME");
        List<File> directories = installationDirectories(System.getProperty("user.home"));
        File newer = findJava(javaHome, directories);
        if (newer == null) {
            System.err.println(notFound(System.getProperty("java.version"), System.getProperty("java.home"),
                    javaHome, directories));
            System.exit(EXIT_NO_JAVA);
        }
        System.err.println("glisten-examples: this is Java " + System.getProperty("java.version") + "; running on Java "
                + releaseVersion(newer) + " from " + newer + " instead");
        System.exit(runInChild(newer, args));
    }

    private static void runInThisJvm(String[] args) throws Exception {
        try {
            // By name: javac targeting Java 8 cannot read Main's Java 21 class file.
            Class.forName(MAIN_CLASS).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            Throwable thrown = e.getCause();
            if (thrown instanceof Exception) {
                throw (Exception) thrown;
            }
            if (thrown instanceof Error) {
                throw (Error) thrown;
            }
            throw e;
        }
    }

    private static int runInChild(File javaHome, String[] args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable(javaHome).getPath());
        command.add("-cp");
        command.add(new File(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath());
        command.add(MAIN_CLASS);
        command.addAll(Arrays.asList(args));
        Process child = new ProcessBuilder(command).inheritIO().start();
        long stopSeconds = childStopSeconds(args);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(child, stopSeconds), "stop-child-java"));
        return child.waitFor();
    }

    /**
     * How long a stopping child may take before it is killed: its drain timeout and then some.
     * The value is read leniently, since the child checks it: one it would refuse means a child
     * that has already exited.
     *
     * @param args the command line, with {@code --drain-timeout SECONDS} or
     *     {@code --drain-timeout=SECONDS} or neither
     * @return whole seconds
     */
    static long childStopSeconds(String[] args) {
        double drainSeconds = DEFAULT_DRAIN_SECONDS;
        for (int i = 0; i < args.length; i++) {
            String value = null;
            if (args[i].equals(DRAIN_TIMEOUT) && i + 1 < args.length) {
                value = args[i + 1];
            } else if (args[i].startsWith(DRAIN_TIMEOUT + "=")) {
                value = args[i].substring(DRAIN_TIMEOUT.length() + 1);
            }
            if (value != null) {
                try {
                    drainSeconds = Double.parseDouble(value);
                } catch (NumberFormatException refusedByTheChild) {
                    // Keep the default.
                }
            }
        }
        if (!(drainSeconds >= 0) || drainSeconds > Long.MAX_VALUE / 2) {
            drainSeconds = DEFAULT_DRAIN_SECONDS;
        }
        return (long) Math.ceil(drainSeconds) + CHILD_STOP_SECONDS;
    }

    /** Process.destroy is SIGTERM on Unix: the child's own shutdown hooks stop its server cleanly. */
    private static void stop(Process child, long stopSeconds) {
        try {
            child.destroy();
            if (!child.waitFor(stopSeconds, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                child.waitFor(CHILD_KILL_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
        }
    }

    /**
     * Where Java installations usually live, each a directory of Java homes.
     *
     * @param userHome the user's home directory, for SDKMAN and IntelliJ's downloads
     * @return the directories to search, in the order they are reported
     */
    static List<File> installationDirectories(String userHome) {
        return Arrays.asList(
                new File("/usr/lib/jvm"),
                new File("/usr/java"),
                new File("/opt/java"),
                new File("/Library/Java/JavaVirtualMachines"),
                new File(userHome, ".sdkman/candidates/java"),
                new File(userHome, ".jdks"));
    }

    /**
     * Picks the Java to run with.
     *
     * @param javaHome the {@code JAVA_HOME} setting, or {@code null}
     * @param directories directories whose subdirectories are Java homes (or, on macOS, hold one
     *     in {@code Contents/Home})
     * @return {@code javaHome} when it is Java 21 or newer, else the newest Java 21 or newer found in
     *     {@code directories}, or {@code null}
     */
    static File findJava(String javaHome, List<File> directories) {
        if (javaHome != null && !javaHome.isEmpty() && isSuitable(new File(javaHome))) {
            return new File(javaHome);
        }
        File newest = null;
        for (File directory : directories) {
            File[] children = directory.listFiles();
            if (children == null) {
                continue;
            }
            Arrays.sort(children);
            for (File child : children) {
                for (File home : new File[] {child, new File(child, "Contents/Home")}) {
                    if (isSuitable(home) && (newest == null
                            || compareVersions(releaseVersion(home), releaseVersion(newest)) > 0)) {
                        newest = home;
                    }
                }
            }
        }
        return newest;
    }

    /** The line printed when no Java 21 or newer is found: what runs, what is needed, where we looked, what to do. */
    static String notFound(String runningVersion, String runningHome, String javaHome, List<File> directories) {
        StringBuilder looked = new StringBuilder("JAVA_HOME (")
                .append(javaHome == null || javaHome.isEmpty() ? "not set" : javaHome).append(")");
        for (File directory : directories) {
            looked.append(", ").append(directory.getPath());
        }
        return "glisten-examples needs Java " + REQUIRED_FEATURE + " or newer but runs on Java " + runningVersion
                + " (" + runningHome + "), and found none in " + looked
                + "; install a JDK " + REQUIRED_FEATURE + " or newer, or set JAVA_HOME to one.";
    }

    private static boolean isSuitable(File home) {
        String version = releaseVersion(home);
        return version != null && featureOf(version) >= REQUIRED_FEATURE && javaExecutable(home).canExecute();
    }

    private static File javaExecutable(File home) {
        boolean windows = System.getProperty("os.name", "").startsWith("Windows");
        return new File(home, windows ? "bin/java.exe" : "bin/java");
    }

    /** {@code JAVA_VERSION} from the {@code release} file every JDK and JRE since 9 has (JEP 220), or {@code null}. */
    static String releaseVersion(File home) {
        File release = new File(home, "release");
        if (!release.isFile()) {
            return null;
        }
        Properties properties = new Properties();
        try (InputStream in = new FileInputStream(release)) {
            properties.load(in);
        } catch (IOException | IllegalArgumentException unreadable) {
            return null;
        }
        String version = properties.getProperty("JAVA_VERSION");
        return version == null ? null : version.replace("\"", "").trim();
    }

    /** The feature release: 8 for {@code "1.8.0_402"}, 21 for {@code "21.0.2"} or {@code "21"}; 0 when unreadable. */
    static int featureOf(String version) {
        int[] numbers = numbers(version);
        return numbers.length == 0 ? 0 : numbers[0];
    }

    /** Orders versions such as {@code "21.0.2"}, {@code "22-ea"} and {@code "1.8.0_402"} numerically. */
    static int compareVersions(String left, String right) {
        int[] a = numbers(left);
        int[] b = numbers(right);
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            int difference = Integer.compare(i < a.length ? a[i] : 0, i < b.length ? b[i] : 0);
            if (difference != 0) {
                return difference;
            }
        }
        return 0;
    }

    private static int[] numbers(String version) {
        if (version == null) {
            return new int[0];
        }
        // Before Java 9 versions read 1.<feature> (JEP 223).
        String modern = version.startsWith("1.") ? version.substring(2) : version;
        List<Integer> numbers = new ArrayList<>();
        for (String part : modern.split("[^0-9]+")) {
            if (part.isEmpty()) {
                break;
            }
            try {
                numbers.add(Integer.valueOf(part));
            } catch (NumberFormatException tooLong) {
                break;
            }
        }
        int[] result = new int[numbers.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = numbers.get(i);
        }
        return result;
    }
}
