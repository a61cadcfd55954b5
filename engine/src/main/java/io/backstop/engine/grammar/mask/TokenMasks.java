package io.backstop.engine.grammar.mask;

import io.backstop.engine.grammar.automaton.Automaton;

/**
 * The token masks of one grammar on one vocabulary: a cache of {@link MaskEntry}s by frame key, filled
 * lazily by whichever request first reaches a state, then shared by every request (thread-safe).
 * A chain frame's key buckets its count: frames whose counts are at least a token's length away from
 * both bounds allow the same tokens.
 */
public final class TokenMasks {
    final Automaton automaton;
    final VocabIndex vocab;
    final LongMap<MaskEntry> entries = new LongMap<>();
    private final int bucket;

    public TokenMasks(Automaton automaton, VocabIndex vocab) {
        this.automaton = automaton;
        this.vocab = vocab;
        this.bucket = vocab.maxTokenBytes() + 1;
    }

    public Automaton automaton() {
        return automaton;
    }

    public VocabIndex vocab() {
        return vocab;
    }

    /** Entries computed so far. */
    public int cachedStates() {
        return entries.size();
    }

    long key(int state, int count) {
        if (!automaton.isChain(state)) return (long) state << 32;
        int toMin = clamp(automaton.chainMin(state) - count);
        int toMax = clamp(automaton.chainMax(state) - count);
        return ((long) state << 32) | ((long) toMin * (bucket + 1) + toMax);
    }

    private int clamp(int v) {
        return Math.max(0, Math.min(bucket, v));
    }

    /** A matcher for one request: its own parse stacks over these shared masks. */
    public GrammarMatcher newMatcher(int[] endTokens) {
        return new GrammarMatcher(this, endTokens);
    }
}
