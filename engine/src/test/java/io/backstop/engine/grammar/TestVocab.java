package io.backstop.engine.grammar;

import io.backstop.engine.backend.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Vocabularies made by tests: listed strings, all single bytes, random byte strings, plus one special EOS. */
public final class TestVocab implements Vocabulary {
    private final List<byte[]> tokens;
    private final int eos;

    private TestVocab(List<byte[]> tokens) {
        this.tokens = new ArrayList<>(tokens);
        this.eos = this.tokens.size();
        this.tokens.add(new byte[0]);
    }

    /** Every single byte, then the given strings, then EOS. */
    public static TestVocab of(String... pieces) {
        List<byte[]> t = new ArrayList<>();
        for (int b = 0; b < 256; b++) t.add(new byte[] {(byte) b});
        for (String p : pieces) t.add(p.getBytes(StandardCharsets.UTF_8));
        return new TestVocab(t);
    }

    /** Every single byte plus {@code n} random distinct byte strings (lengths 2..maxLen, biased to JSON-ish ASCII). */
    public static TestVocab random(int n, int maxLen, long seed) {
        Random r = new Random(seed);
        Set<String> seen = new LinkedHashSet<>();
        List<byte[]> t = new ArrayList<>();
        for (int b = 0; b < 256; b++) t.add(new byte[] {(byte) b});
        String common = " \"{}[],:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n\t-.eE+\\/_truefalsenull";
        while (t.size() < n + 256) {
            int len = 2 + (int) Math.min(maxLen - 2, Math.abs(r.nextGaussian()) * 4);
            byte[] b = new byte[len];
            for (int i = 0; i < len; i++) {
                b[i] = r.nextInt(10) < 8 ? (byte) common.charAt(r.nextInt(common.length())) : (byte) r.nextInt(256);
            }
            if (seen.add(new String(b, StandardCharsets.ISO_8859_1))) t.add(b);
        }
        return new TestVocab(t);
    }

    public int eos() {
        return eos;
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
        return new String(tokens.get(tokenId), StandardCharsets.ISO_8859_1);
    }

    @Override
    public boolean isSpecial(int tokenId) {
        return tokenId == eos;
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
