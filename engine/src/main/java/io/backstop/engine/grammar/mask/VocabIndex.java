package io.backstop.engine.grammar.mask;

import io.backstop.engine.backend.Vocabulary;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A vocabulary as a trie of token bytes, laid out flat in preorder: walking it from index 0 visits
 * every byte prefix once, and a whole subtree (all tokens sharing a prefix) is skipped by jumping to
 * {@code subtreeEnd}. Special/control tokens and tokens without bytes are not in the trie, so a
 * grammar can never allow them. Built once per vocabulary instance and shared.
 */
public final class VocabIndex {
    private static final Map<Vocabulary, VocabIndex> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    final int vocabSize;
    final byte[] tokenBytes;   // all tokens' bytes, concatenated
    final int[] tokenOffset;   // token → start in tokenBytes (vocabSize + 1 entries)
    final boolean[] inTrie;
    // trie nodes in preorder (the empty prefix is implicit)
    final int nodes;
    final byte[] label;        // the byte leading into the node
    final int[] depth;         // bytes from the root (≥ 1)
    final int[] subtreeEnd;    // first node after the subtree
    final int[] maxDepthBelow; // deepest node in the subtree
    final int[] nodeTokenStart;// tokens ending at node i: nodeTokens[nodeTokenStart[i] .. nodeTokenStart[i+1])
    final int[] nodeTokens;
    final int maxTokenBytes;

    private VocabIndex(Vocabulary v) {
        vocabSize = v.size();
        tokenOffset = new int[vocabSize + 1];
        inTrie = new boolean[vocabSize];
        byte[][] all = new byte[vocabSize][];
        int total = 0, eligible = 0;
        for (int t = 0; t < vocabSize; t++) {
            byte[] b = v.isSpecial(t) ? new byte[0] : v.bytes(t);
            all[t] = b;
            tokenOffset[t] = total;
            total += b.length;
            if (b.length > 0) {
                inTrie[t] = true;
                eligible++;
            }
        }
        tokenOffset[vocabSize] = total;
        tokenBytes = new byte[total];
        for (int t = 0; t < vocabSize; t++) System.arraycopy(all[t], 0, tokenBytes, tokenOffset[t], all[t].length);

        Integer[] order = new Integer[eligible];
        int k = 0;
        for (int t = 0; t < vocabSize; t++) if (inTrie[t]) order[k++] = t;
        long[] head = new long[vocabSize]; // first 8 bytes, zero-padded: most comparisons end here
        for (int t = 0; t < vocabSize; t++) {
            long h = 0;
            for (int i = 0; i < 8; i++) h = (h << 8) | (i < all[t].length ? all[t][i] & 0xFF : 0);
            head[t] = h;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Long.compareUnsigned(head[a], head[b]);
            if (c == 0) c = all[a].length <= 8 && all[b].length <= 8 ? Integer.compare(all[a].length, all[b].length) : Arrays.compareUnsigned(all[a], all[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });

        int cap = total + 1;
        byte[] lab = new byte[cap];
        int[] dep = new int[cap], end = new int[cap];
        int[] toks = new int[eligible];
        int[] path = new int[2];
        int n = 0, pathLen = 0, longest = 0;
        byte[] prev = new byte[0];
        for (int i = 0; i < eligible; i++) {
            int t = order[i];
            byte[] b = all[t];
            longest = Math.max(longest, b.length);
            int l = lcp(prev, b);
            while (pathLen > l) end[path[--pathLen]] = n;
            if (path.length < b.length) path = Arrays.copyOf(path, Math.max(b.length, path.length * 2));
            for (int d = l; d < b.length; d++) {
                lab[n] = b[d];
                dep[n] = d + 1;
                path[pathLen++] = n++;
            }
            toks[i] = t;
            prev = b;
        }
        while (pathLen > 0) end[path[--pathLen]] = n;
        nodes = n;
        label = Arrays.copyOf(lab, n);
        depth = Arrays.copyOf(dep, n);
        subtreeEnd = Arrays.copyOf(end, n);
        nodeTokens = toks;
        nodeTokenStart = tokenStarts(all, order, n, dep, eligible);
        maxDepthBelow = new int[n];
        for (int i = n - 1; i >= 0; i--) {
            int m = depth[i];
            for (int c = i + 1; c < subtreeEnd[i]; c = subtreeEnd[c]) m = Math.max(m, maxDepthBelow[c]);
            maxDepthBelow[i] = m;
        }
        maxTokenBytes = Math.max(1, longest);
    }

    /** For each node, the index in sorted order of the first token ending at it (CSR offsets). */
    private static int[] tokenStarts(byte[][] all, Integer[] order, int n, int[] dep, int eligible) {
        int[] start = new int[n + 1];
        // Replay the construction: the node that token i ends at is the last node created for it or,
        // for a duplicate of the previous token's bytes, that same node.
        int[] endNode = new int[eligible];
        int created = 0;
        byte[] prev = null;
        for (int i = 0; i < eligible; i++) {
            byte[] b = all[order[i]];
            int l = prev == null ? 0 : lcp(prev, b);
            created += b.length - l;
            endNode[i] = created - 1;
            prev = b;
        }
        int[] count = new int[n];
        for (int i = 0; i < eligible; i++) count[endNode[i]]++;
        for (int i = 0; i < n; i++) start[i + 1] = start[i] + count[i];
        return start;
    }

    private static int lcp(byte[] a, byte[] b) {
        int m = Arrays.mismatch(a, b);
        return m < 0 ? Math.min(a.length, b.length) : m;
    }

    /** The index of a vocabulary, built on first use and kept while the vocabulary lives. */
    public static VocabIndex of(Vocabulary v) {
        VocabIndex idx = CACHE.get(v);
        if (idx != null) return idx;
        idx = new VocabIndex(v);
        CACHE.put(v, idx);
        return idx;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int nodes() {
        return nodes;
    }

    /** The longest token in bytes (among tokens a grammar may allow). */
    public int maxTokenBytes() {
        return maxTokenBytes;
    }

    public boolean inTrie(int token) {
        return token >= 0 && token < vocabSize && inTrie[token];
    }

    public int tokenLength(int token) {
        return tokenOffset[token + 1] - tokenOffset[token];
    }

    public byte tokenByte(int token, int i) {
        return tokenBytes[tokenOffset[token] + i];
    }
}
