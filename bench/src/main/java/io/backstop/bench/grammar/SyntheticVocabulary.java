package io.backstop.bench.grammar;

import io.backstop.engine.backend.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A stand-in for a large BPE vocabulary (Llama 3: 128K, Qwen2: 151K) until a GGUF vocabulary can be
 * loaded: all 256 single bytes, then seeded random tokens shaped like BPE pieces (space-prefixed
 * words, digit runs, punctuation clusters with quotes and brackets, whitespace runs, some UTF-8),
 * then a few special tokens. The shape matters: punctuation clusters are the context-dependent tokens.
 */
public final class SyntheticVocabulary implements Vocabulary {
    private static final String PUNCT = "\"{}[],:.;!?()'-_/\\*#=+<>`";
    private final List<byte[]> tokens = new ArrayList<>();
    private final int specials;

    public SyntheticVocabulary(int size, long seed) {
        Random r = new Random(seed);
        Set<String> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) add(new byte[] {(byte) b}, seen);
        specials = 8;
        while (tokens.size() < size - specials) add(piece(r).getBytes(StandardCharsets.UTF_8), seen);
        for (int i = 0; i < specials; i++) tokens.add(new byte[0]);
    }

    private void add(byte[] b, Set<String> seen) {
        if (seen.add(new String(b, StandardCharsets.ISO_8859_1))) tokens.add(b);
    }

    private static String piece(Random r) {
        int kind = r.nextInt(100);
        StringBuilder sb = new StringBuilder();
        if (kind < 55) { // word, usually with a leading space
            if (r.nextInt(10) < 7) sb.append(' ');
            int len = 1 + (int) Math.min(14, Math.abs(r.nextGaussian() * 4));
            boolean cap = r.nextInt(6) == 0;
            for (int i = 0; i < len; i++) sb.append((char) ((cap && i == 0 ? 'A' : 'a') + r.nextInt(26)));
        } else if (kind < 65) { // digits
            int len = 1 + r.nextInt(3);
            for (int i = 0; i < len; i++) sb.append((char) ('0' + r.nextInt(10)));
        } else if (kind < 85) { // punctuation clusters, often around quotes and brackets
            int len = 1 + r.nextInt(4);
            for (int i = 0; i < len; i++) sb.append(PUNCT.charAt(r.nextInt(PUNCT.length())));
            if (r.nextInt(4) == 0) sb.append(r.nextBoolean() ? "\n" : " ");
        } else if (kind < 92) { // whitespace runs
            int len = 1 + r.nextInt(16);
            for (int i = 0; i < len; i++) sb.append(r.nextInt(4) == 0 ? '\n' : ' ');
        } else { // non-Latin text
            int len = 1 + r.nextInt(3);
            for (int i = 0; i < len; i++) sb.appendCodePoint(r.nextBoolean() ? 0x4E00 + r.nextInt(2000) : 0x0430 + r.nextInt(32));
        }
        return sb.toString();
    }

    /** The first special token id (an EOS stand-in). */
    public int eos() {
        return tokens.size() - specials;
    }

    @Override
    public int size() {
        return tokens.size();
    }

    @Override
    public byte[] bytes(int tokenId) {
        return tokens.get(tokenId);
    }

    @Override
    public String piece(int tokenId) {
        return new String(tokens.get(tokenId), StandardCharsets.UTF_8);
    }

    @Override
    public boolean isSpecial(int tokenId) {
        return tokenId >= tokens.size() - specials;
    }

    @Override
    public int maxTokenBytes() {
        int m = 1;
        for (byte[] b : tokens) m = Math.max(m, b.length);
        return m;
    }

    @Override
    public boolean stripsLeadingSpace() {
        return false;
    }
}
