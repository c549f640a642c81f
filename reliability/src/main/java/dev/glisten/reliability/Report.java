package dev.glisten.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The run's one table: a row per figure, with the bound it is held to and whether it held. Rows
 * without a bound are information (what the abusers did, how long things took). Also the notes
 * that explain failures, and the details tables that only the markdown carries.
 */
final class Report {

    /** Where a figure stands against its bound. */
    enum Verdict { PASS, FAIL, INFO }

    /**
     * @param section Soak, Abuse, Faults, Resources or Fuzz
     * @param what what was measured
     * @param figure the measurement, in words and numbers
     * @param bound what it must be, empty for information
     * @param verdict whether it held
     */
    record Row(String section, String what, String figure, String bound, Verdict verdict) { }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> details = new ArrayList<>();

    synchronized void check(String section, String what, String figure, String bound, boolean holds) {
        rows.add(new Row(section, what, figure, bound, holds ? Verdict.PASS : Verdict.FAIL));
    }

    synchronized void info(String section, String what, String figure) {
        rows.add(new Row(section, what, figure, "", Verdict.INFO));
    }

    /** A line under the table: what a failure was, word for word. */
    synchronized void note(String note) {
        notes.add(note);
    }

    /** A markdown block (a heading and a table) for the document only. */
    synchronized void detail(String markdown) {
        details.add(markdown);
    }

    synchronized boolean passed() {
        return rows.stream().noneMatch(row -> row.verdict() == Verdict.FAIL);
    }

    synchronized long failures() {
        return rows.stream().filter(row -> row.verdict() == Verdict.FAIL).count();
    }

    /** The table in markdown, which reads as plain text too. */
    synchronized String table() {
        StringBuilder table = new StringBuilder();
        table.append("| | What | Figure | Bound | |\n|---|---|---|---|---|\n");
        for (Row row : rows) {
            table.append("| ").append(row.section()).append(" | ").append(cell(row.what())).append(" | ")
                    .append(cell(row.figure())).append(" | ").append(cell(row.bound())).append(" | ")
                    .append(switch (row.verdict()) {
                        case PASS -> "ok";
                        case FAIL -> "**FAILED**";
                        case INFO -> "";
                    }).append(" |\n");
        }
        return table.toString();
    }

    synchronized String notes() {
        StringBuilder text = new StringBuilder();
        for (String note : notes) {
            text.append("- ").append(note).append('\n');
        }
        return text.toString();
    }

    synchronized String details() {
        return String.join("\n", details);
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    /**
     * Replaces the text between {@code <!-- reliability:NAME:begin -->} and
     * {@code <!-- reliability:NAME:end -->} in {@code document}, or appends the block if it has none.
     */
    static void replaceBlock(Path document, String name, String content) throws IOException {
        String begin = "<!-- reliability:" + name + ":begin -->";
        String end = "<!-- reliability:" + name + ":end -->";
        String text = Files.exists(document) ? Files.readString(document) : "";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        String block = begin + "\n" + content.strip() + "\n" + end;
        if (from >= 0 && to > from) {
            text = text.substring(0, from) + block + text.substring(to + end.length());
        } else {
            text = text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "\n" + block + "\n";
        }
        Files.writeString(document, text);
    }

    // --- how figures are written ---

    static String millis(long micros) {
        return micros < 10_000 ? String.format(Locale.ROOT, "%.1f ms", micros / 1000.0)
                : String.format(Locale.ROOT, "%,d ms", Math.round(micros / 1000.0));
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String megabytes(long kb) {
        return String.format(Locale.ROOT, "%,.1f MB", kb / 1024.0);
    }

    static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2fx", value);
    }
}
