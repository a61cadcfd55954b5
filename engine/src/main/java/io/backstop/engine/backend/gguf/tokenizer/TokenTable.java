package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

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
    private final Map<String, Integer> ids;
    private final int maxTextLength;

    private TokenTable(String[] texts, TokenType[] types, float[] scores) {
        this.texts = texts;
        this.types = types;
        this.scores = scores;
        this.ids = HashMap.newHashMap(texts.length);
        int longest = 0;
        for (int i = 0; i < texts.length; i++) {
            if (texts[i].isEmpty()) continue; // llama.cpp renames them "[EMPTY_i]": never matched by text
            ids.putIfAbsent(texts[i], i);
            longest = Math.max(longest, texts[i].length());
        }
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
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    /** The token plain text may encode to: as {@link #id} but never a control or unknown token. */
    int plainId(String text) {
        Integer id = ids.get(text);
        return id == null || !types[id].fromPlainText() ? -1 : id;
    }

    boolean contains(int id) {
        return id >= 0 && id < texts.length;
    }

    void markControl(int id) {
        types[id] = TokenType.CONTROL;
    }
}
