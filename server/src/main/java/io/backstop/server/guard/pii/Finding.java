package io.backstop.server.guard.pii;

/**
 * One detected entity: its type (EMAIL, PHONE, …, SECRET), the span {@code [start, end)} in the
 * ORIGINAL text, a confidence in [0, 1] and, for secrets, the rule that matched (e.g. {@code github-pat}).
 * The matched text itself is never kept here, so a finding can be logged.
 */
public record Finding(String type, int start, int end, double score, String rule) {
    public Finding {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
    }

    public int length() {
        return end - start;
    }
}
