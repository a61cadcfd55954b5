package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import java.util.Arrays;

/**
 * The token list of a GGUF vocabulary ({@code tokenizer.ggml.tokens}, {@code .scores}, {@code .token_type}):
 * texts, types and scores by id, and ids by text. Types may be raised to CONTROL while special tokens
 * are resolved (as llama.cpp does for control-looking tokens typed otherwise), before encoding starts.
 */
final class TokenTable {
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TYPES = "tokenizer.ggml.token_type";

    private final String[] texts;
    private final TokenType[] types;
    private final float[] scores;
    private final TextIndex index;
    private final int maxTextLength;

    private TokenTable(String[] texts, TokenType[] types, float[] scores) {
        this.texts = texts;
        this.types = types;
        this.scores = scores;
        this.index = new TextIndex(texts);
        int longest = 0;
        for (String t : texts) longest = Math.max(longest, t.length());
        this.maxTextLength = longest;
    }

    static TokenTable read(GgufMetadata m) {
        String[] texts = m.strings(TOKENS);
        if (texts.length == 0) throw new ModelLoadException("GGUF metadata '" + TOKENS + "' is empty");
        float[] scores = m.has(SCORES) ? m.floats(SCORES) : new float[texts.length];
        TokenType[] types = new TokenType[texts.length];
        if (m.has(TYPES)) {
            int[] codes = m.ints(TYPES);
            sameLength(TYPES, codes.length, texts.length);
            for (int i = 0; i < codes.length; i++) types[i] = TokenType.of(codes[i]);
        } else {
            Arrays.fill(types, TokenType.NORMAL);
        }
        sameLength(SCORES, scores.length, texts.length);
        return new TokenTable(texts, types, scores);
    }

    private static void sameLength(String key, int length, int tokens) {
        if (length != tokens) throw new ModelLoadException("GGUF metadata '" + key + "' has " + length + " entries for " + tokens + " tokens");
    }

    int size() {
        return texts.length;
    }

    String text(int id) {
        return texts[id];
    }

    TokenType type(int id) {
        return types[id];
    }

    float score(int id) {
        return scores[id];
    }

    /** The longest token text, in chars: longer spans are never one token. */
    int maxTextLength() {
        return maxTextLength;
    }

    /** The token with exactly this text, or -1. */
    int id(String text) {
        return index.find(text);
    }

    /** The token spelled {@code s[from, to)} without the character at {@code skip} (-1: none), or -1. */
    int id(String s, int from, int to, int skip) {
        return index.find(s, from, to, skip);
    }

    /** The token plain text may encode to: as {@link #id} but never a control or unknown token. */
    int plainId(String text) {
        return plainId(text, 0, text.length());
    }

    /** {@link #plainId(String)} of {@code s[from, to)}. */
    int plainId(String s, int from, int to) {
        int id = index.find(s, from, to);
        return id < 0 || !types[id].fromPlainText() ? -1 : id;
    }

    boolean contains(int id) {
        return id >= 0 && id < texts.length;
    }

    void markControl(int id) {
        types[id] = TokenType.CONTROL;
    }
}
