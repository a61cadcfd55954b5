package io.backstop.engine.backend.gguf.model;

import java.util.Arrays;

/**
 * One sequence's keys and values, F32 on the heap: per layer a [position][kvDim] array of keys and one
 * of values. It starts small and doubles as the sequence grows (never past the context length), so a
 * short chat costs little memory; it goes with the session (no temp files, nothing to clean up).
 */
final class KvCache {
    private static final int INITIAL_POSITIONS = 64;

    private final int kvDim;
    private final int vDim;
    private final int maxPositions;
    final float[][] keys;
    final float[][] values;
    private int capacity;

    KvCache(int layers, int kvDim, int vDim, int maxPositions) {
        this.kvDim = kvDim;
        this.vDim = vDim;
        this.maxPositions = maxPositions;
        this.keys = new float[layers][];
        this.values = new float[layers][];
        this.capacity = 0;
        ensure(Math.min(INITIAL_POSITIONS, maxPositions));
    }

    /** Room for {@code positions} positions, growing geometrically so growth is rare. */
    void ensure(int positions) {
        if (positions <= capacity) return;
        if (positions > maxPositions) throw new IllegalStateException("position " + positions + " is past the context length " + maxPositions);
        int n = (int) Math.min(maxPositions, Math.max(positions, 2L * capacity));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = keys[l] == null ? new float[n * kvDim] : Arrays.copyOf(keys[l], n * kvDim);
            values[l] = values[l] == null ? new float[n * vDim] : Arrays.copyOf(values[l], n * vDim);
        }
        capacity = n;
    }

    int capacity() {
        return capacity;
    }

    /** Bytes held now. */
    long bytes() {
        return (long) capacity * (kvDim + vDim) * Float.BYTES * keys.length;
    }
}
