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
    private static final int ID_BITS = 22; // vocabularies up to 4M tokens

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
        if (vocabSize >= 1 << ID_BITS) throw new IllegalArgumentException("vocabulary too large: " + vocabSize);
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

        int[] order = sortedByBytes(all, eligible);

        int cap = total + 1;
        byte[] lab = new byte[cap];
        int[] dep = new int[cap], end = new int[cap];
        int[] toks = new int[eligible];
        int[] tokenCount = new int[cap + 1];
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
            tokenCount[path[pathLen - 1]]++; // equal bytes end at the same node
            toks[i] = t;
            prev = b;
        }
        while (pathLen > 0) end[path[--pathLen]] = n;
        nodes = n;
        label = Arrays.copyOf(lab, n);
        depth = Arrays.copyOf(dep, n);
        subtreeEnd = Arrays.copyOf(end, n);
        nodeTokens = toks;
        nodeTokenStart = new int[n + 1];
        for (int i = 0; i < n; i++) nodeTokenStart[i + 1] = nodeTokenStart[i] + tokenCount[i];
        maxDepthBelow = new int[n];
        for (int i = n - 1; i >= 0; i--) {
            int m = depth[i];
            for (int c = i + 1; c < subtreeEnd[i]; c = subtreeEnd[c]) m = Math.max(m, maxDepthBelow[c]);
            maxDepthBelow[i] = m;
        }
        maxTokenBytes = Math.max(1, longest);
    }

    /**
     * Token ids with bytes, in unsigned lexicographic order of their bytes (ties by id). A primitive sort
     * on packed keys (first 5 bytes and a bit, then the id) does nearly all the work; runs sharing that
     * prefix are then sorted by their full bytes.
     */
    private static int[] sortedByBytes(byte[][] all, int eligible) {
        long[] keys = new long[eligible];
        int k = 0;
        for (int t = 0; t < all.length; t++) {
            if (all[t].length == 0) continue;
            long h = 0;
            for (int i = 0; i < 8; i++) h = (h << 8) | (i < all[t].length ? all[t][i] & 0xFF : 0);
            keys[k++] = ((h >>> ID_BITS) << ID_BITS | t) ^ Long.MIN_VALUE; // signed order = unsigned order of the prefix
        }
        Arrays.sort(keys);
        int[] order = new int[eligible];
        for (int i = 0; i < eligible; i++) order[i] = (int) (keys[i] & ((1L << ID_BITS) - 1));
        for (int i = 0; i < eligible; ) {
            int j = i + 1;
            while (j < eligible && (keys[j] >>> ID_BITS) == (keys[i] >>> ID_BITS)) j++;
            if (j - i > 1) {
                Integer[] run = new Integer[j - i];
                for (int x = i; x < j; x++) run[x - i] = order[x];
                Arrays.sort(run, (a, b) -> {
                    int c = Arrays.compareUnsigned(all[a], all[b]);
                    return c != 0 ? c : Integer.compare(a, b);
                });
                for (int x = i; x < j; x++) order[x] = run[x - i];
            }
            i = j;
        }
        return order;
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
