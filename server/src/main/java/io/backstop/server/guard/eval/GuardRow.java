package io.backstop.server.guard.eval;

import java.util.Set;

/**
 * One labelled row of a guardrail data file (format of {@code shared/guardrails/}): the decoded text,
 * either an injection label ({@code injection}/{@code benign}) or the set of entity types it contains,
 * its source, and the JSON line as read (so split files keep rows byte for byte).
 */
public record GuardRow(String text, Boolean injection, Set<String> types, String source, String line) {
    public boolean isInjectionRow() {
        return injection != null;
    }

    /** Dataset and file the row comes from, without its row index: the unit a split stratifies by. */
    public String sourceFile() {
        int hash = source.indexOf('#');
        int cases = source.indexOf("::");
        int end = hash >= 0 ? hash : source.length();
        if (cases >= 0 && cases < end) end = cases;
        int bracket = source.lastIndexOf('[');
        if (bracket >= 0 && bracket < end) end = bracket;
        return source.substring(0, end);
    }
}
