package dev.glisten.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @TempDir
    Path directory;

    @Test
    void aFailedCheckFailsTheRunAndIsMarkedInTheTable() {
        Report report = new Report();
        report.check("Soak", "exchanges", "10 | 0 failed", "none fails", true);
        report.info("Abuse", "slowloris", "5 connections");
        assertThat(report.passed()).isTrue();

        report.check("Faults", "time to serve again", "1.2 s", "< 1 s", false);

        assertThat(report.passed()).isFalse();
        assertThat(report.failures()).isEqualTo(1);
        assertThat(report.table()).contains("| Soak | exchanges | 10 \\| 0 failed | none fails | ok |")
                .contains("| Abuse | slowloris | 5 connections |  |  |")
                .contains("| Faults | time to serve again | 1.2 s | < 1 s | **FAILED** |");
    }

    @Test
    void aBlockIsReplacedInPlaceAndTheRestOfTheDocumentKept() throws Exception {
        Path document = directory.resolve("RELIABILITY.md");
        Files.writeString(document, "# Title\n\n<!-- reliability:full:begin -->\nold\n<!-- reliability:full:end -->\n\nAfter.\n");

        Report.replaceBlock(document, "full", "new table");
        Report.replaceBlock(document, "quick", "quick table");

        assertThat(Files.readString(document)).isEqualTo("# Title\n\n<!-- reliability:full:begin -->\nnew table\n"
                + "<!-- reliability:full:end -->\n\nAfter.\n\n<!-- reliability:quick:begin -->\nquick table\n"
                + "<!-- reliability:quick:end -->\n");
    }

    @Test
    void figuresAreWrittenWithUnits() {
        assertThat(Report.millis(1_234)).isEqualTo("1.2 ms");
        assertThat(Report.millis(123_456)).isEqualTo("123 ms");
        assertThat(Report.seconds(1_500_000_000L)).isEqualTo("1.50 s");
        assertThat(Report.count(1_000_000)).isEqualTo("1,000,000");
        assertThat(Report.megabytes(2048)).isEqualTo("2.0 MB");
    }
}
