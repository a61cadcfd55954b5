package io.backstop.engine.grammar.automaton;

import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.ir.ByteSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The minimal DFA of one rule's NFA. Its alphabet is the rule's byte classes (bytes no edge tells
 * apart) plus one symbol per called rule: a call is deterministic (one return state per callee).
 */
final class Dfa {
    final int[] classOf;       // byte → class of this rule
    final int classes;
    final int[][] next;        // state → class → state or -1
    final int[][] calls;       // state → callee, return pairs (sorted by callee)
    final boolean[] accepting;
    final int start;

    private Dfa(int[] classOf, int classes, int[][] next, int[][] calls, boolean[] accepting, int start) {
        this.classOf = classOf;
        this.classes = classes;
        this.next = next;
        this.calls = calls;
        this.accepting = accepting;
        this.start = start;
    }

    int size() {
        return next.length;
    }

    static Dfa of(Nfa nfa, int nfaStart, int stateLimit) {
        int[] classOf = byteClasses(nfa.sets);
        int classes = 0;
        for (int c : classOf) classes = Math.max(classes, c + 1);
        int[] rep = new int[classes];
        Arrays.fill(rep, -1);
        for (int b = 0; b < 256; b++) if (rep[classOf[b]] < 0) rep[classOf[b]] = b;

        Closure closure = new Closure(nfa.size());
        Map<Key, Integer> ids = new HashMap<>();
        List<int[]> subsets = new ArrayList<>();
        List<int[]> nextList = new ArrayList<>();
        List<int[]> callList = new ArrayList<>();
        int[] startSet = closure.of(new int[] {nfaStart}, 1, nfa);
        ids.put(new Key(startSet), 0);
        subsets.add(startSet);
        int[][] buckets = new int[classes][];
        int[] bucketSize = new int[classes];
        for (int d = 0; d < subsets.size(); d++) {
            int[] set = subsets.get(d);
            Arrays.fill(bucketSize, 0);
            TreeMap<Integer, List<Integer>> byCallee = new TreeMap<>();
            for (int s : set) {
                int[] e = nfa.edges.get(s);
                for (int i = 0; i < e.length; i += 3) {
                    if (e[i] == Nfa.BYTE) {
                        ByteSet bs = nfa.sets.get(e[i + 1]);
                        for (int c = 0; c < classes; c++) {
                            if (!bs.contains(rep[c])) continue;
                            if (buckets[c] == null) buckets[c] = new int[8];
                            if (bucketSize[c] == buckets[c].length) buckets[c] = Arrays.copyOf(buckets[c], bucketSize[c] * 2);
                            buckets[c][bucketSize[c]++] = e[i + 2];
                        }
                    } else if (e[i] == Nfa.CALL) {
                        byCallee.computeIfAbsent(e[i + 1], k -> new ArrayList<>()).add(e[i + 2]);
                    }
                }
            }
            int[] row = new int[classes];
            for (int c = 0; c < classes; c++) {
                row[c] = bucketSize[c] == 0 ? -1 : intern(closure.of(buckets[c], bucketSize[c], nfa), ids, subsets, stateLimit);
            }
            int[] callRow = new int[byCallee.size() * 2];
            int k = 0;
            for (Map.Entry<Integer, List<Integer>> en : byCallee.entrySet()) {
                int[] targets = en.getValue().stream().mapToInt(Integer::intValue).toArray();
                callRow[k++] = en.getKey();
                callRow[k++] = intern(closure.of(targets, targets.length, nfa), ids, subsets, stateLimit);
            }
            nextList.add(row);
            callList.add(callRow);
        }
        boolean[] acc = new boolean[subsets.size()];
        for (int d = 0; d < acc.length; d++) acc[d] = Arrays.binarySearch(subsets.get(d), nfa.accept) >= 0;
        return minimize(classOf, classes, nextList.toArray(int[][]::new), callList.toArray(int[][]::new), acc);
    }

    private static int intern(int[] set, Map<Key, Integer> ids, List<int[]> subsets, int limit) {
        Key k = new Key(set);
        Integer id = ids.get(k);
        if (id != null) return id;
        if (subsets.size() >= limit) throw new GrammarException("the grammar is too large (more than " + limit + " automaton states)");
        ids.put(k, subsets.size());
        subsets.add(set);
        return subsets.size() - 1;
    }

    /** Partition of the 256 byte values into classes that every set either contains whole or not at all. */
    static int[] byteClasses(List<ByteSet> sets) {
        int[] classOf = new int[256];
        int count = 1;
        for (ByteSet s : sets) {
            Map<Long, Integer> split = new HashMap<>();
            int[] nextClass = new int[256];
            int n = 0;
            for (int b = 0; b < 256; b++) {
                long key = ((long) classOf[b] << 1) | (s.contains(b) ? 1 : 0);
                Integer c = split.get(key);
                if (c == null) {
                    c = n++;
                    split.put(key, c);
                }
                nextClass[b] = c;
            }
            if (n != count) {
                classOf = nextClass;
                count = n;
            }
        }
        return classOf;
    }

    /** Moore's partition refinement: states with the same future share a block. */
    private static Dfa minimize(int[] classOf, int classes, int[][] next, int[][] calls, boolean[] acc) {
        int n = next.length;
        int[] block = new int[n];
        for (int s = 0; s < n; s++) block[s] = acc[s] ? 1 : 0;
        int blocks = -1;
        while (true) {
            Map<Sig, Integer> ids = new HashMap<>();
            int[] nb = new int[n];
            for (int s = 0; s < n; s++) {
                int[] sig = new int[1 + classes + calls[s].length];
                sig[0] = block[s];
                for (int c = 0; c < classes; c++) sig[1 + c] = next[s][c] < 0 ? -1 : block[next[s][c]];
                for (int i = 0; i < calls[s].length; i += 2) {
                    sig[1 + classes + i] = calls[s][i];
                    sig[2 + classes + i] = block[calls[s][i + 1]];
                }
                nb[s] = ids.computeIfAbsent(new Sig(sig), k -> ids.size());
            }
            block = nb;
            if (ids.size() == blocks) break;
            blocks = ids.size();
        }
        int[][] mNext = new int[blocks][];
        int[][] mCalls = new int[blocks][];
        boolean[] mAcc = new boolean[blocks];
        for (int s = 0; s < n; s++) {
            int b = block[s];
            if (mNext[b] != null) continue;
            mNext[b] = new int[classes];
            for (int c = 0; c < classes; c++) mNext[b][c] = next[s][c] < 0 ? -1 : block[next[s][c]];
            mCalls[b] = calls[s].clone();
            for (int i = 1; i < mCalls[b].length; i += 2) mCalls[b][i] = block[mCalls[b][i]];
            mAcc[b] = acc[s];
        }
        return new Dfa(classOf, classes, mNext, mCalls, mAcc, block[0]);
    }

    /** Epsilon closure with a reusable visited stamp; results are sorted. */
    private static final class Closure {
        private final int[] seen;
        private int stamp;
        private int[] stack = new int[64];

        Closure(int n) {
            seen = new int[n];
        }

        int[] of(int[] starts, int count, Nfa nfa) {
            stamp++;
            int sp = 0;
            int[] out = new int[16];
            int size = 0;
            for (int i = 0; i < count; i++) {
                int s = starts[i];
                if (seen[s] == stamp) continue;
                seen[s] = stamp;
                if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                stack[sp++] = s;
            }
            while (sp > 0) {
                int s = stack[--sp];
                if (size == out.length) out = Arrays.copyOf(out, size * 2);
                out[size++] = s;
                int[] e = nfa.edges.get(s);
                for (int i = 0; i < e.length; i += 3) {
                    if (e[i] != Nfa.EPS || seen[e[i + 2]] == stamp) continue;
                    seen[e[i + 2]] = stamp;
                    if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                    stack[sp++] = e[i + 2];
                }
            }
            int[] r = Arrays.copyOf(out, size);
            Arrays.sort(r);
            return r;
        }
    }

    private record Key(int[] set) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(set, k.set);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(set);
        }
    }

    private record Sig(int[] v) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Sig k && Arrays.equals(v, k.v);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(v);
        }
    }
}
