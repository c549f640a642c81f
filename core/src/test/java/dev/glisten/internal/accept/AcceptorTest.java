package dev.glisten.internal.accept;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;
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
    void otherAcceptErrorsConcernOnlyOneConnection() {
        assertThat(Acceptor.isResourceExhaustion(new SocketException("Software caused connection abort"))).isFalse();
        assertThat(Acceptor.isResourceExhaustion(new IOException("Protocol error"))).isFalse();
        assertThat(Acceptor.isResourceExhaustion(new IOException((String) null))).isFalse();
    }
}
