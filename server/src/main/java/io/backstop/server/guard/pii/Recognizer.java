package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;

/** Finds one kind of entity in a normalised text; adds findings with ORIGINAL offsets to {@code out}. */
public interface Recognizer {
    /** The entity type this recognizer reports. */
    String type();

    void find(NormalizedText text, List<Finding> out);

    /**
     * Runs {@code m} (with transparent bounds) only from the starts of digit groups — a digit, '+' or '('
     * after a char that is none of them — instead of at every position: number recognizers then cost
     * little on prose. Calls {@code onMatch} for each match found from such a start; returns nothing.
     */
    static void fromNumberStarts(String s, java.util.regex.Matcher m, java.util.function.Consumer<java.util.regex.Matcher> onMatch) {
        m.useTransparentBounds(true).useAnchoringBounds(false);
        int n = s.length(), done = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (i < done || !(Character.isDigit(c) || c == '+' || c == '(')) continue;
            if (i > 0) {
                char p = s.charAt(i - 1);
                if (Character.isDigit(p) || p == '+' || p == '(') continue;
            }
            m.region(i, n);
            if (m.lookingAt()) {
                onMatch.accept(m);
                done = m.end();
            }
        }
    }

    /** A finding for normalised span {@code [start, end)}, mapped back to the original text. */
    static Finding finding(NormalizedText t, String type, int start, int end, double score, String rule) {
        return new Finding(type, t.originalStart(start), t.originalEnd(end), score, rule);
    }
}
