package io.backstop.engine.grammar.mask;

/**
 * A map from long keys to values, read without locks by many request threads and written rarely
 * (once per new automaton state). Writers synchronise; a reader that races a writer may miss a fresh
 * entry and compute it again, which is harmless. Keys must not be negative.
 */
final class LongMap<V> {
    private record Table(long[] keys, Object[] values) {}

    private volatile Table table = new Table(new long[64], new Object[64]);
    private int size;

    @SuppressWarnings("unchecked")
    V get(long key) {
        Table t = table;
        int mask = t.keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            Object v = t.values[i];
            if (v == null) return null;
            if (t.keys[i] == key + 1) return (V) v;
        }
    }

    /** Stores the value unless the key is present; returns the value now in the map. */
    @SuppressWarnings("unchecked")
    synchronized V putIfAbsent(long key, V value) {
        V old = get(key);
        if (old != null) return old;
        Table t = table;
        if ((size + 1) * 2 > t.keys.length) {
            Table bigger = new Table(new long[t.keys.length * 2], new Object[t.keys.length * 2]);
            for (int i = 0; i < t.keys.length; i++) if (t.values[i] != null) insert(bigger, t.keys[i] - 1, t.values[i]);
            insert(bigger, key, value);
            table = bigger;
        } else {
            insert(t, key, value);
        }
        size++;
        return value;
    }

    synchronized int size() {
        return size;
    }

    private static void insert(Table t, long key, Object value) {
        int mask = t.keys.length - 1;
        int i = mix(key) & mask;
        while (t.values[i] != null) i = (i + 1) & mask;
        t.keys[i] = key + 1; // never 0, the value of a slot not written yet; keys are ≥ 0
        t.values[i] = value;
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
