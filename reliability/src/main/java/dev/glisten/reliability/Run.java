package dev.glisten.reliability;

import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * What every part of one run shares.
 *
 * @param plan how long and how hard
 * @param setup how servers are started
 * @param certificate the TLS servers' certificate
 * @param clientTls a client context trusting it
 * @param jcmd the JDK's jcmd, for live heap snapshots
 * @param targets the soak's scenarios, those the jar has
 * @param seed the run's seed: clients' and fuzzers' randomness follows from it
 */
record Run(Plan plan, ServerProcess.Setup setup, Certificate certificate, SSLContext clientTls, Path jcmd,
        List<Target> targets, long seed) {

    /** The target named {@code name}. */
    Target target(String name) {
        return targets.stream().filter(target -> target.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no target " + name));
    }
}
