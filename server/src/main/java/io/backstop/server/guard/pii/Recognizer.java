package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;

/** Finds one kind of entity in a normalised text; adds findings with ORIGINAL offsets to {@code out}. */
public interface Recognizer {
    /** The entity type this recognizer reports. */
    String type();

    void find(NormalizedText text, List<Finding> out);

    /** A finding for normalised span {@code [start, end)}, mapped back to the original text. */
    static Finding finding(NormalizedText t, String type, int start, int end, double score, String rule) {
        return new Finding(type, t.originalStart(start), t.originalEnd(end), score, rule);
    }
}
