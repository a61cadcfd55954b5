package io.backstop.engine.grammar.mask;

import io.backstop.engine.grammar.automaton.Automaton;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Computes a {@link MaskEntry} by walking the vocabulary trie from one frame over an unknown stack
 * below it (XGrammar's context-independent tokens): a token is accepted when some path consumes it
 * whole; when a path pops the frame's rule before the token ends (and the next byte may follow that
 * rule somewhere), the rest of the token becomes a suffix the caller checks against the real stack.
 * A pop before any byte is not recorded: the frame below is a root of its own at run time.
 */
final class EntryBuilder {
    private final TokenMasks masks;
    private final Frames f;
    private final Walker w;
    private final Level[] levels;
    private final long[] accepted;
    private final int[] bdCount;
    private final int[] bdStack;
    private int[] pairs = new int[256]; // token, suffix start
    private int pairCount;

    EntryBuilder(TokenMasks masks, Frames f, Walker w, Level[] levels) {
        this.masks = masks;
        this.f = f;
        this.w = w;
        this.levels = levels;
        this.accepted = new long[(masks.vocab.vocabSize + 63) >>> 6];
        this.bdCount = new int[levels.length];
        this.bdStack = new int[levels.length];
    }

    MaskEntry build(int node) {
        Automaton a = masks.automaton;
        VocabIndex v = masks.vocab;
        int s = f.state[node], c = f.count[node];
        int rule = a.ruleOf(s);
        int n0 = f.intern(s, c, Frames.BOTTOM);
        Arrays.fill(accepted, 0);
        pairCount = 0;
        levels[0].reset();
        if (a.canAdvance(s, c)) levels[0].add(n0, 0);
        bdCount[0] = 0;
        int i = levels[0].size == 0 ? v.nodes : 0;
        while (i < v.nodes) {
            int d = v.depth[i];
            int b = v.label[i] & 0xFF;
            Level parent = levels[d - 1], cur = levels[d];
            w.advance(parent, b, cur);
            int bd = bdCount[d - 1];
            if (parent.bottom && a.follows(rule, b)) bdStack[bd++] = d - 1;
            bdCount[d] = bd;
            boolean alive = cur.size > 0 || cur.bottom;
            for (int k = v.nodeTokenStart[i]; k < v.nodeTokenStart[i + 1]; k++) {
                int t = v.nodeTokens[k];
                if (alive) accepted[t >>> 6] |= 1L << t;
                else for (int j = 0; j < bd; j++) pair(t, bdStack[j]);
            }
            if (!alive) {
                if (bd > 0) { // dead here, but the stack below may still take the rest: all of the subtree is uncertain
                    for (int k = v.nodeTokenStart[i + 1]; k < v.nodeTokenStart[v.subtreeEnd[i]]; k++) {
                        for (int j = 0; j < bd; j++) pair(v.nodeTokens[k], bdStack[j]);
                    }
                }
                i = v.subtreeEnd[i];
                continue;
            }
            i++;
        }
        return finish(v);
    }

    private void pair(int token, int suffixStart) {
        if (pairCount + 2 > pairs.length) pairs = Arrays.copyOf(pairs, pairs.length * 2);
        pairs[pairCount++] = token;
        pairs[pairCount++] = suffixStart;
    }

    private MaskEntry finish(VocabIndex v) {
        int count = 0;
        for (long word : accepted) count += Long.bitCount(word);
        long[] bits = null;
        int[] list = null;
        if ((long) count * 32 >= v.vocabSize) bits = accepted.clone();
        else {
            list = new int[count];
            int k = 0;
            for (int wi = 0; wi < accepted.length; wi++) {
                for (long word = accepted[wi]; word != 0; word &= word - 1) list[k++] = (wi << 6) + Long.numberOfTrailingZeros(word);
            }
        }
        // group uncertain tokens by the bytes left after their pop; ISO-8859-1 strings sort like unsigned bytes
        Map<String, int[]> groups = new HashMap<>();
        for (int p = 0; p < pairCount; p += 2) {
            int t = pairs[p], from = pairs[p + 1];
            int off = v.tokenOffset[t] + from, len = v.tokenLength(t) - from;
            String suffix = new String(v.tokenBytes, off, len, StandardCharsets.ISO_8859_1);
            int[] g = groups.get(suffix);
            if (g == null) g = new int[] {0};
            if (g[0] + 1 == g.length) g = Arrays.copyOf(g, g.length * 2);
            g[++g[0]] = t;
            groups.put(suffix, g);
        }
        TreeMap<String, int[]> sorted = new TreeMap<>(groups);
        int n = sorted.size(), totalBytes = 0, totalTokens = 0;
        for (Map.Entry<String, int[]> e : sorted.entrySet()) {
            totalBytes += e.getKey().length();
            totalTokens += e.getValue()[0];
        }
        byte[] sb = new byte[totalBytes];
        int[] ss = new int[n + 1], lcp = new int[n], ts = new int[n + 1], toks = new int[totalTokens];
        int i = 0, bo = 0, to = 0;
        String prev = "";
        for (Map.Entry<String, int[]> e : sorted.entrySet()) {
            String k = e.getKey();
            ss[i] = bo;
            for (int j = 0; j < k.length(); j++) sb[bo++] = (byte) k.charAt(j);
            int l = 0;
            while (l < k.length() && l < prev.length() && k.charAt(l) == prev.charAt(l)) l++;
            lcp[i] = l;
            ts[i] = to;
            int[] g = e.getValue();
            System.arraycopy(g, 1, toks, to, g[0]);
            to += g[0];
            prev = k;
            i++;
        }
        ss[n] = bo;
        ts[n] = to;
        return new MaskEntry(bits, list, count, sb, ss, lcp, ts, toks);
    }
}
