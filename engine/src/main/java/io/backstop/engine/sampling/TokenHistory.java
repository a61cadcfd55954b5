package io.backstop.engine.sampling;

import java.util.Arrays;

/** Which tokens a sequence has seen (prompt and output) and how often each was generated, for penalties. */
public final class TokenHistory {
    private final boolean[] seen;
    private final int[] generatedCount;
    private int[] distinctSeen = new int[64];
    private int distinctSeenSize;
    private int[] distinctGenerated = new int[64];
    private int distinctGeneratedSize;

    public TokenHistory(int vocabSize) {
        this.seen = new boolean[vocabSize];
        this.generatedCount = new int[vocabSize];
    }

    public void addPrompt(int[] tokens) {
        for (int t : tokens) markSeen(t);
    }

    public void addGenerated(int token) {
        if (token < 0 || token >= seen.length) return;
        markSeen(token);
        if (generatedCount[token]++ == 0) {
            if (distinctGeneratedSize == distinctGenerated.length) distinctGenerated = Arrays.copyOf(distinctGenerated, distinctGeneratedSize * 2);
            distinctGenerated[distinctGeneratedSize++] = token;
        }
    }

    private void markSeen(int token) {
        if (token < 0 || token >= seen.length || seen[token]) return;
        seen[token] = true;
        if (distinctSeenSize == distinctSeen.length) distinctSeen = Arrays.copyOf(distinctSeen, distinctSeenSize * 2);
        distinctSeen[distinctSeenSize++] = token;
    }

    int distinctSeenSize() {
        return distinctSeenSize;
    }

    int distinctSeen(int i) {
        return distinctSeen[i];
    }

    int distinctGeneratedSize() {
        return distinctGeneratedSize;
    }

    int distinctGenerated(int i) {
        return distinctGenerated[i];
    }

    int generatedCount(int token) {
        return generatedCount[token];
    }
}
