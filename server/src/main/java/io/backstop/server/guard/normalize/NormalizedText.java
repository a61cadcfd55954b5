package io.backstop.server.guard.normalize;

/**
 * A text after {@link TextNormalizer}, with the way back: char {@code i} of {@link #text()} came from
 * {@code original[start[i], end[i])}, so a detector that finds something in the normalised text can
 * redact exactly those characters of the original (zero-width characters in between included).
 */
public final class NormalizedText {
    private final String original;
    private final String text;
    private final int[] start;
    private final int[] end;

    NormalizedText(String original, String text, int[] start, int[] end) {
        this.original = original;
        this.text = text;
        this.start = start;
        this.end = end;
    }

    /** A text that normalisation left unchanged: offsets map to themselves. */
    static NormalizedText identity(String s) {
        return new NormalizedText(s, s, null, null);
    }

    public String original() {
        return original;
    }

    public String text() {
        return text;
    }

    /** Start offset in the original of normalised char {@code i} ({@code i == text().length()}: the original's length). */
    public int originalStart(int i) {
        if (start == null) return i;
        return i >= text.length() ? original.length() : start[i];
    }

    /** End offset (exclusive) in the original of the normalised range ending (exclusive) at {@code i}. */
    public int originalEnd(int i) {
        if (end == null) return i;
        return i <= 0 ? 0 : end[i - 1];
    }

    @Override
    public String toString() {
        return text;
    }
}
