package dev.glisten.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class FuzzOutputTest {

    private static final String CLEAN = """
            proxy headers=1000000 parses=6000000 parsed=10 rejected=20 incomplete=30 absent=40 millis=3000
            framing-valid streams=400000 frames=9 bytes=9 tooLarge=0 malformed=0 waiting=0 millis=1
            framing-garbage streams=300000 frames=9 bytes=9 tooLarge=5 malformed=6 waiting=7 millis=1
            framing-damaged streams=300000 frames=9 bytes=9 tooLarge=5 malformed=6 waiting=7 millis=1
            http inputs=100 silent=3 hung=0 undocumented=0 failures=0 logged=0 statuses=200:5,400:90
            heap before=1400 after=4400 max=65536
            """;

    @Test
    void aCleanFullRunPassesEveryRow() {
        Report report = new Report();

        FuzzOutput.report(report, FuzzOutput.parse(CLEAN), OptionalInt.of(0), CLEAN, Duration.ofMinutes(5), Plan.FULL);

        assertThat(report.passed()).as(report.table()).isTrue();
        assertThat(report.table()).contains("1,000,000 headers").contains("1,000,000 streams")
                .contains("statuses 200:5,400:90");
    }

    @Test
    void aViolationFailsAndIsQuotedInTheNotes() {
        String output = "violation the parser threw java.lang.ArithmeticException (seed 1) on the first 3 bytes of 0d0a0d\n";
        Report report = new Report();

        FuzzOutput.report(report, FuzzOutput.parse(output), OptionalInt.of(3), output, Duration.ofMinutes(5), Plan.QUICK);

        assertThat(report.passed()).isFalse();
        assertThat(report.notes()).contains("ArithmeticException (seed 1)");
    }

    @Test
    void aFullRunShortOfItsCountsFails() {
        String output = CLEAN.replace("headers=1000000", "headers=999999");
        Report report = new Report();

        FuzzOutput.report(report, FuzzOutput.parse(output), OptionalInt.of(0), output, Duration.ofMinutes(5), Plan.FULL);

        assertThat(report.failures()).isEqualTo(1);
    }
}
