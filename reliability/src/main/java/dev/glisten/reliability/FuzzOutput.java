package dev.glisten.reliability;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/** Reads the fuzzing JVM's {@code name key=value ...} lines and turns them into the report's rows. */
final class FuzzOutput {

    /** Live heap the fuzzing may leave behind: the HTTP server's pooled buffers, loaded classes. */
    static final long HEAP_GROWTH_KB = 8 * 1024;

    private FuzzOutput() { }

    /** Each line's first word, and its {@code key=value} pairs; a {@code violation} line keeps its text under "text". */
    static Map<String, Map<String, String>> parse(String output) {
        Map<String, Map<String, String>> lines = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            String[] words = line.strip().split(" ");
            if (words.length < 2) {
                continue;
            }
            Map<String, String> values = new LinkedHashMap<>();
            if (words[0].equals("violation")) {
                values.put("text", line.strip().substring("violation ".length()));
            } else {
                for (int i = 1; i < words.length; i++) {
                    int equals = words[i].indexOf('=');
                    if (equals > 0) {
                        values.put(words[i].substring(0, equals), words[i].substring(equals + 1));
                    }
                }
            }
            lines.put(words[0], values);
        }
        return lines;
    }

    static void report(Report report, Map<String, Map<String, String>> lines, OptionalInt status, String output,
            Duration bound, Plan plan) {
        boolean full = plan == Plan.FULL;
        if (lines.containsKey("violation")) {
            report.note("fuzz: " + lines.get("violation").get("text"));
        }
        if (status.isEmpty() || status.getAsInt() != 0) {
            report.note("fuzz: the fuzzing JVM " + (status.isEmpty() ? "was still running after " + bound.toSeconds()
                    + " s" : "exited with " + status.getAsInt()) + "; its output: "
                    + output.strip().replace('\n', ' '));
        }
        Map<String, String> proxy = lines.getOrDefault("proxy", Map.of());
        long headers = number(proxy, "headers");
        report.check("Fuzz", "PROXY headers through the parser (random and damaged, every version, two lengths each)",
                Report.count(headers) + " headers, " + Report.count(number(proxy, "parses")) + " parses: "
                        + Report.count(number(proxy, "parsed")) + " headers, " + Report.count(number(proxy, "rejected"))
                        + " rejected, " + Report.count(number(proxy, "incomplete")) + " waiting for more, "
                        + Report.count(number(proxy, "absent")) + " absent, in " + Report.seconds(
                        number(proxy, "millis") * 1_000_000),
                "only those outcomes" + (full ? "; " + Report.count(plan.fuzzHeaders()) + " headers" : ""),
                !lines.containsKey("violation") && headers > 0 && (!full || headers >= plan.fuzzHeaders()));
        long streams = 0;
        StringBuilder figure = new StringBuilder();
        for (String kind : new String[] {"valid", "garbage", "damaged"}) {
            Map<String, String> tally = lines.getOrDefault("framing-" + kind, Map.of());
            streams += number(tally, "streams");
            figure.append(figure.isEmpty() ? "" : "; ").append(kind).append(' ').append(Report.count(number(tally, "streams")))
                    .append(" (").append(Report.count(number(tally, "frames"))).append(" frames");
            if (!kind.equals("valid")) {
                figure.append(", ").append(Report.count(number(tally, "tooLarge"))).append(" too large, ")
                        .append(Report.count(number(tally, "malformed"))).append(" malformed");
            }
            figure.append(')');
        }
        report.check("Fuzz", "framed streams through the framing engine, every framing, random read sizes",
                Report.count(streams) + " streams: " + figure,
                "valid: exactly their frames; others: frames within the maximum, a wait, or the documented close"
                        + (full ? "; " + Report.count(plan.fuzzStreams()) + " streams" : ""),
                !lines.containsKey("violation") && streams > 0
                        && (!full || streams >= plan.fuzzStreams() - 2));
        Map<String, String> http = lines.getOrDefault("http", Map.of());
        long inputs = number(http, "inputs");
        report.check("Fuzz", "random bytes into the http example (random, damaged, assembled requests)",
                Report.count(inputs) + " inputs; statuses " + http.getOrDefault("statuses", "none") + "; "
                        + Report.count(number(http, "silent")) + " closed without an answer; " + number(http, "hung")
                        + " left open; " + number(http, "failures") + " handler failures; " + number(http, "logged")
                        + " warnings logged",
                "documented statuses only, closed within " + Abuse.PROMPTLY.toSeconds() + " s, no failure logged",
                http.containsKey("inputs") && inputs > 0 && number(http, "hung") == 0 && number(http, "undocumented") == 0
                        && number(http, "failures") == 0 && number(http, "logged") == 0);
        Map<String, String> heap = lines.getOrDefault("heap", Map.of());
        long before = number(heap, "before");
        long after = number(heap, "after");
        report.check("Fuzz", "memory of the fuzzing JVM (" + Fuzz.HEAP + ")",
                "live heap " + Report.megabytes(before) + " before, " + Report.megabytes(after) + " after all of it",
                "finishes within the heap; after ≤ before + " + Report.megabytes(HEAP_GROWTH_KB),
                status.isPresent() && status.getAsInt() == 0 && heap.containsKey("after")
                        && after <= before + HEAP_GROWTH_KB);
    }

    private static long number(Map<String, String> values, String key) {
        try {
            return Long.parseLong(values.getOrDefault(key, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
