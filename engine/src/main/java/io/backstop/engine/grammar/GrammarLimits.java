package io.backstop.engine.grammar;

/**
 * Bounds that keep a model from stalling inside a JSON document: whitespace runs between tokens and
 * string lengths (characters; an escape counts as one). A schema's own {@code maxLength} wins over
 * {@code maxStringLength}.
 */
public record GrammarLimits(int maxWhitespace, int maxStringLength) {
    public static final int DEFAULT_MAX_WHITESPACE = 20;
    public static final int DEFAULT_MAX_STRING_LENGTH = 2048;

    public GrammarLimits {
        if (maxWhitespace < 0) throw new IllegalArgumentException("maxWhitespace must be ≥ 0");
        if (maxStringLength < 1) throw new IllegalArgumentException("maxStringLength must be ≥ 1");
    }

    public static GrammarLimits defaults() {
        return new GrammarLimits(DEFAULT_MAX_WHITESPACE, DEFAULT_MAX_STRING_LENGTH);
    }
}
