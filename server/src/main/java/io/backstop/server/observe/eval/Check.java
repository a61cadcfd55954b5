package io.backstop.server.observe.eval;

import io.backstop.server.guard.json.JsonAnswerValidator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One assertion of an evaluation case. Text checks read the answer; limits read its latency and cost;
 * {@link Judge} and {@link Pairwise} ask the judge route (see {@link EvalClient#judge}).
 */
public sealed interface Check {
    /** What the check is called in reports: its type and, briefly, its argument. */
    String describe();

    record Contains(String value) implements Check {
        public String describe() {
            return "contains " + quote(value);
        }
    }

    record NotContains(String value) implements Check {
        public String describe() {
            return "not_contains " + quote(value);
        }
    }

    record Regex(Pattern pattern) implements Check {
        public String describe() {
            return "regex /" + pattern.pattern() + "/";
        }
    }

    record Equals(String value) implements Check {
        public String describe() {
            return "equals " + quote(value);
        }
    }

    record JsonSchema(JsonAnswerValidator validator) implements Check {
        public String describe() {
            return "json_schema";
        }
    }

    record MaxLatency(double ms) implements Check {
        public String describe() {
            return "max_latency_ms " + ms;
        }
    }

    record MaxCost(double usd) implements Check {
        public String describe() {
            return "max_cost_usd " + usd;
        }
    }

    /** The judge scores the answer against the rubric; passes at {@code threshold} (1–5) or above. */
    record Judge(String rubric, int threshold) implements Check {
        public String describe() {
            return "judge ≥ " + threshold;
        }
    }

    /**
     * This route's answer against {@code against}'s, judged in both orders (A/B, then B/A) so the judge's
     * preference for a position cancels out; passes when this route's answer is at least as good.
     */
    record Pairwise(String against, String rubric) implements Check {
        public String describe() {
            return "pairwise vs " + against;
        }
    }

    List<String> TYPES = List.of("contains", "not_contains", "regex", "equals", "json_schema", "max_latency_ms", "max_cost_usd", "judge", "pairwise");

    private static String quote(String s) {
        return "\"" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "\"";
    }
}
