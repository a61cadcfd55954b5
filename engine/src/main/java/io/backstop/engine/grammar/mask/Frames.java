package io.backstop.engine.grammar.mask;

import io.backstop.engine.grammar.automaton.Automaton;
import java.util.Arrays;

/**
 * One request's parse stacks, hash-consed: a frame (state, count, parent) is a node id, equal stacks
 * are the same id, and stacks share their common bottom. Node ids are plain ints, so advancing a
 * parse allocates nothing once the arrays have grown to the grammar's working set.
 */
final class Frames {
    /** Parent of the outermost frame: popping it completes the document. */
    static final int ROOT = -1;
    /** Parent standing for an unknown rest of the stack (while computing context-independent masks). */
    static final int BOTTOM = -2;

    final Automaton automaton;
    int[] state = new int[256], count = new int[256], parent = new int[256], dist = new int[256];
    int[] mark = new int[256];
    int size;
    private int[] table = new int[512]; // node + 1, 0 = empty
    private int stamp;

    Frames(Automaton automaton) {
        this.automaton = automaton;
    }

    int intern(int s, int c, int p) {
        int h = hash(s, c, p) & (table.length - 1);
        while (true) {
            int n = table[h] - 1;
            if (n < 0) break;
            if (state[n] == s && count[n] == c && parent[n] == p) return n;
            h = (h + 1) & (table.length - 1);
        }
        if (size == state.length) grow();
        int n = size++;
        state[n] = s;
        count[n] = c;
        parent[n] = p;
        int d = automaton.minDist(s, c);
        dist[n] = p >= 0 ? (int) Math.min(Integer.MAX_VALUE / 4, (long) d + dist[p]) : d;
        mark[n] = 0;
        if (size * 2 > table.length) rehash(table.length * 2);
        else table[h] = n + 1;
        return n;
    }

    private static int hash(int s, int c, int p) {
        int h = s * 0x9E3779B1 + c * 0x85EBCA6B + p * 0xC2B2AE35;
        return h ^ (h >>> 15);
    }

    private void grow() {
        int n = state.length * 2;
        state = Arrays.copyOf(state, n);
        count = Arrays.copyOf(count, n);
        parent = Arrays.copyOf(parent, n);
        dist = Arrays.copyOf(dist, n);
        mark = Arrays.copyOf(mark, n);
    }

    private void rehash(int capacity) {
        table = new int[capacity];
        for (int n = 0; n < size; n++) {
            int h = hash(state[n], count[n], parent[n]) & (capacity - 1);
            while (table[h] != 0) h = (h + 1) & (capacity - 1);
            table[h] = n + 1;
        }
    }

    /** A fresh stamp for {@link #mark}: nodes marked with it are "seen" in the current pass. */
    int newStamp() {
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(mark, 0);
            stamp = 1;
        }
        return stamp;
    }

    /**
     * Keeps only the given nodes and their ancestors, renumbering them; {@code keep} is rewritten with
     * the new ids. Called between tokens when the arena has grown, so memory stays bounded.
     */
    void compact(int[] keep, int n) {
        int[] old = new int[size];
        Arrays.fill(old, -1);
        int[] os = state, oc = count, op = parent;
        int oldSize = size;
        state = new int[Math.max(256, oldSize / 4)];
        count = new int[state.length];
        parent = new int[state.length];
        dist = new int[state.length];
        mark = new int[state.length];
        size = 0;
        table = new int[Math.max(512, Integer.highestOneBit(state.length) * 2)];
        stamp = 0;
        for (int i = 0; i < n; i++) keep[i] = copy(keep[i], os, oc, op, old);
    }

    private int copy(int node, int[] os, int[] oc, int[] op, int[] old) {
        if (node < 0) return node;
        if (old[node] >= 0) return old[node];
        int p = copy(op[node], os, oc, op, old);
        int n = intern(os[node], oc[node], p);
        old[node] = n;
        return n;
    }
}
