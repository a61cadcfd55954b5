package io.backstop.server.guard;

import java.util.Map;

/**
 * What one check decided, safe to log: the check's name ({@code injection}, {@code pii}, {@code secrets},
 * {@code deny}, {@code limits}, {@code rule:NAME}, {@code json_schema}, {@code max_length}), the action
 * taken, a score in [0, 1] and counts per entity type or rule — never the matched text.
 */
public record CheckResult(String check, GuardAction action, double score, Map<String, Integer> counts, String reason) {
    public CheckResult {
        counts = Map.copyOf(counts);
    }

    public static CheckResult of(String check, GuardAction action, double score, String reason) {
        return new CheckResult(check, action, score, Map.of(), reason);
    }
}
