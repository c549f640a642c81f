package dev.glisten.internal.accept;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcceptorTest {

    @Test
    void descriptorAndMemoryExhaustionAreResourceErrors() {
        // The messages the JDK builds from strerror(3) for EMFILE, ENFILE, ENOBUFS and ENOMEM.
        assertThat(Acceptor.isResourceExhaustion(new IOException("Too many open files"))).isTrue();
        assertThat(Acceptor.isResourceExhaustion(new IOException("Too many open files in system"))).isTrue();
        assertThat(Acceptor.isResourceExhaustion(new IOException("No buffer space available"))).isTrue();
        assertThat(Acceptor.isResourceExhaustion(new IOException("Cannot allocate memory"))).isTrue();
    }

    @Test
    void outOfDescriptorsTheBackOffDoublesFromTenMillisecondsToAHundred() {
        List<Long> sleeps = new ArrayList<>();
        Duration backoff = null;
        for (int failure = 0; failure < 8; failure++) {
            backoff = Acceptor.exhaustedBackoff(backoff);
            sleeps.add(backoff.toMillis());
        }

        // As Ranch's acceptor on emfile: never more than 100 ms between attempts, so a client
        // waits at most that long once descriptors free up.
        assertThat(sleeps).containsExactly(10L, 20L, 40L, 80L, 100L, 100L, 100L, 100L);
    }

    @Test
    void otherAcceptErrorsConcernOnlyOneConnection() {
        assertThat(Acceptor.isResourceExhaustion(new SocketException("Software caused connection abort"))).isFalse();
        assertThat(Acceptor.isResourceExhaustion(new IOException("Protocol error"))).isFalse();
        assertThat(Acceptor.isResourceExhaustion(new IOException((String) null))).isFalse();
    }
}
