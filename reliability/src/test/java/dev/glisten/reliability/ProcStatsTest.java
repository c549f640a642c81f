package dev.glisten.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class ProcStatsTest {

    @Test
    void thisProcessHasMemoryDescriptorsAndThreads() throws Exception {
        ProcStats.Sample sample = ProcStats.sample(ProcessHandle.current().pid());

        assertThat(sample.rssKb()).isPositive();
        assertThat(sample.fds()).isGreaterThanOrEqualTo(3);
        assertThat(sample.threads()).isGreaterThanOrEqualTo(Thread.activeCount());
        assertThat(sample.cpuTicks()).isNotNegative();
    }
}
