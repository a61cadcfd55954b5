package io.backstop.engine.grammar.mask;

import io.backstop.engine.sampling.TokenConstraint;
import java.util.Arrays;

/**
 * One request's position in a grammar and its token masks. A mask is the union, over the frames on
 * top of the live stacks, of each frame's cached context-independent tokens, plus those of its
 * uncertain tokens whose remaining bytes the real stack below accepts (checked here, suffixes sharing
 * prefixes). The per-token path allocates nothing once warm.
 */
public final class GrammarMatcher implements TokenConstraint {
    private static final int COMPACT_AT = 1 << 16;

    private final TokenMasks masks;
    private final VocabIndex vocab;
    private final Frames f;
    private final Walker w;
    private final Level[] levels;
    private final EntryBuilder builder;
    private final int[] endTokens;
    private Level current = new Level();
    private Level pending = new Level();
    private int pendingToken = -1;
    private MaskEntry[] nodeEntry = new MaskEntry[256];

    GrammarMatcher(TokenMasks masks, int[] endTokens) {
        this.masks = masks;
        this.vocab = masks.vocab;
        this.f = new Frames(masks.automaton);
        this.w = new Walker(f);
        this.levels = new Level[vocab.maxTokenBytes + 2];
        for (int i = 0; i < levels.length; i++) levels[i] = new Level();
        this.builder = new EntryBuilder(masks, f, w, levels);
        this.endTokens = endTokens.clone();
        w.start(f.intern(masks.automaton.rootState(), 0, Frames.ROOT), current);
    }

    @Override
    public int fillMask(long[] mask) {
        Arrays.fill(mask, 0);
        Level cur = current;
        for (int i = 0; i < cur.size; i++) entry(cur.roots[i]).orInto(mask);
        for (int i = 0; i < cur.size; i++) {
            int r = cur.roots[i];
            MaskEntry e = entry(r);
            if (e.suffixes() > 0 && f.parent[r] >= 0) checkSuffixes(e, f.parent[r], mask);
        }
        for (int t : endTokens) {
            if (t >= 0 && t < vocab.vocabSize) {
                if (cur.complete) mask[t >>> 6] |= 1L << t;
                else mask[t >>> 6] &= ~(1L << t);
            }
        }
        int n = 0;
        for (long word : mask) n += Long.bitCount(word);
        return n;
    }

    private MaskEntry entry(int node) {
        if (node >= nodeEntry.length) nodeEntry = Arrays.copyOf(nodeEntry, Math.max(node + 1, nodeEntry.length * 2));
        MaskEntry e = nodeEntry[node];
        if (e != null) return e;
        long key = masks.key(f.state[node], f.count[node]);
        e = masks.entries.get(key);
        if (e == null) e = masks.entries.putIfAbsent(key, builder.build(node));
        if (node >= nodeEntry.length) nodeEntry = Arrays.copyOf(nodeEntry, Math.max(node + 1, nodeEntry.length * 2));
        nodeEntry[node] = e;
        return e;
    }

    /** Adds the uncertain tokens of a root whose remaining bytes the frames below it accept. */
    private void checkSuffixes(MaskEntry e, int below, long[] mask) {
        w.start(below, levels[0]);
        int dead = Integer.MAX_VALUE;
        for (int j = 0; j < e.suffixes(); j++) {
            int lcp = e.suffixLcp[j];
            if (lcp >= dead) continue; // shares the prefix that already failed
            dead = Integer.MAX_VALUE;
            int start = e.suffixStart[j], len = e.suffixStart[j + 1] - start;
            boolean ok = true;
            for (int d = lcp; d < len; d++) {
                Level next = levels[d + 1];
                w.advance(levels[d], e.suffixBytes[start + d] & 0xFF, next);
                if (next.size == 0 && !next.complete) {
                    dead = d + 1;
                    ok = false;
                    break;
                }
            }
            if (ok) for (int k = e.tokenStart[j]; k < e.tokenStart[j + 1]; k++) mask[e.tokens[k] >>> 6] |= 1L << e.tokens[k];
        }
    }

    @Override
    public boolean fits(int token, int remainingAfter) {
        if (isEnd(token)) return current.complete;
        advanceToken(token, pending);
        pendingToken = token;
        return (pending.size > 0 || pending.complete) && pending.distance() <= remainingAfter;
    }

    /** {@code out} := the configuration after the token's bytes (empty when the grammar rejects them). */
    private void advanceToken(int token, Level out) {
        out.reset();
        if (!vocab.inTrie(token)) return;
        int len = vocab.tokenLength(token);
        levels[0].copyFrom(current);
        for (int i = 0; i < len; i++) {
            w.advance(levels[i], vocab.tokenByte(token, i) & 0xFF, levels[i + 1]);
            if (levels[i + 1].size == 0 && !levels[i + 1].complete) return;
        }
        out.copyFrom(levels[len]);
    }

    @Override
    public int fillMaskWithin(long[] mask, int remainingAfter) {
        Arrays.fill(mask, 0);
        int n = 0;
        levels[0].copyFrom(current);
        int i = 0;
        while (i < vocab.nodes) {
            int d = vocab.depth[i];
            Level cur = levels[d];
            w.advance(levels[d - 1], vocab.label[i] & 0xFF, cur);
            if ((cur.size == 0 && !cur.complete) || cur.distance() - (vocab.maxDepthBelow[i] - d) > remainingAfter) {
                i = vocab.subtreeEnd[i];
                continue;
            }
            if (cur.distance() <= remainingAfter) {
                for (int k = vocab.nodeTokenStart[i]; k < vocab.nodeTokenStart[i + 1]; k++) {
                    int t = vocab.nodeTokens[k];
                    if (!isEnd(t)) {
                        mask[t >>> 6] |= 1L << t;
                        n++;
                    }
                }
            }
            i++;
        }
        if (current.complete) {
            for (int t : endTokens) {
                if (t >= 0 && t < vocab.vocabSize && (mask[t >>> 6] & (1L << t)) == 0) {
                    mask[t >>> 6] |= 1L << t;
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void accept(int token) {
        if (isEnd(token)) return;
        if (pendingToken != token) advanceToken(token, pending);
        pendingToken = -1;
        if (pending.size == 0 && !pending.complete) throw new IllegalStateException("token " + token + " is not allowed by the grammar here");
        Level old = current;
        current = pending;
        pending = old;
        if (f.size > COMPACT_AT) {
            f.compact(current.roots, current.size);
            current.memberCount = -1;
            Arrays.fill(nodeEntry, null);
        }
    }

    /**
     * Advances past bytes that did not come as one token of the grammar's own (e.g. the rest of a token
     * that completed a trigger); false, and no move, when the grammar rejects them.
     */
    public boolean acceptBytes(byte[] bytes, int from, int to) {
        Level a = levels[0], b = levels[1];
        a.copyFrom(current);
        for (int i = from; i < to; i++) {
            w.advance(a, bytes[i] & 0xFF, b);
            if (b.size == 0 && !b.complete) return false;
            Level t = a;
            a = b;
            b = t;
        }
        current.copyFrom(a);
        pendingToken = -1;
        return true;
    }

    private boolean isEnd(int token) {
        for (int t : endTokens) if (t == token) return true;
        return false;
    }

    @Override
    public boolean isComplete() {
        return current.complete;
    }

    @Override
    public boolean isDone() {
        return current.complete && current.size == 0;
    }

    /** Fewest bytes that complete the document from here. */
    public int distance() {
        return current.distance();
    }

    /**
     * Checks bytes from the current position without moving: -1 when the grammar rejects them, 1 when
     * they complete a document, 0 when they are a valid prefix of one (for tests and validation).
     */
    public int check(byte[] bytes) {
        Level a = levels[0], b = levels[1];
        a.copyFrom(current);
        for (byte x : bytes) {
            w.advance(a, x & 0xFF, b);
            if (b.size == 0 && !b.complete) return -1;
            Level t = a;
            a = b;
            b = t;
        }
        return a.complete ? 1 : 0;
    }
}
