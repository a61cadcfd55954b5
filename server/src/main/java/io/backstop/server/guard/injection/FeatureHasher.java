package io.backstop.server.guard.injection;

import java.util.Arrays;

/**
 * Turns a normalised text into hashed features: lower-cased word unigrams and bigrams plus char
 * 3-, 4- and 5-grams (white space collapsed), each hashed into {@code 2^bits} buckets (the hashing
 * trick: no vocabulary to ship). Values are 1 + log(count), then the vector is L2-normalised so a
 * 12k-char jailbreak and a one-line question score on the same scale. Only the first
 * {@link #MAX_CHARS} chars are read, which bounds the cost per text.
 */
public final class FeatureHasher {
    public static final int MAX_CHARS = 16 * 1024;
    private static final int FNV = 0x01000193;
    private final int bits;
    private final int mask;

    public FeatureHasher(int bits) {
        if (bits < 10 || bits > 24) throw new IllegalArgumentException("feature bits must be 10..24, got " + bits);
        this.bits = bits;
        this.mask = (1 << bits) - 1;
    }

    public int bits() {
        return bits;
    }

    public int dimension() {
        return 1 << bits;
    }

    public SparseVector features(String normalized) {
        int n = Math.min(normalized.length(), MAX_CHARS);
        char[] c = new char[n];
        int len = 0;
        boolean space = true; // collapse runs of white space, drop leading ones
        for (int i = 0; i < n; i++) {
            char ch = normalized.charAt(i);
            if (Character.isWhitespace(ch)) {
                if (!space) c[len++] = ' ';
                space = true;
            } else {
                c[len++] = Character.toLowerCase(ch);
                space = false;
            }
        }
        int[] ids = new int[Math.max(16, len * 4)];
        int count = 0;
        // char n-grams
        for (int i = 0; i + 3 <= len; i++) {
            int h = 0x811c9dc5;
            for (int k = 0; k < 5 && i + k < len; k++) {
                h = (h ^ c[i + k]) * FNV;
                if (k >= 2) ids[count++] = bucket(h, k);
            }
        }
        // words: runs of letters or digits
        int prev = 0;
        boolean hasPrev = false;
        int i = 0;
        while (i < len) {
            if (!Character.isLetterOrDigit(c[i])) {
                i++;
                continue;
            }
            int h = 0x811c9dc5;
            while (i < len && Character.isLetterOrDigit(c[i])) h = (h ^ c[i++]) * FNV;
            if (count + 2 > ids.length) ids = Arrays.copyOf(ids, ids.length * 2);
            ids[count++] = bucket(h, 10);
            if (hasPrev) ids[count++] = bucket(prev * 31 + h, 11);
            prev = h;
            hasPrev = true;
        }
        return toVector(ids, count);
    }

    private int bucket(int h, int salt) {
        h ^= salt * 0x9E3779B9;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h & mask;
    }

    /** Distinct ids with 1 + log(count), L2-normalised; counted in an open-addressing table (no sort). */
    private static SparseVector toVector(int[] ids, int count) {
        int cap = Integer.highestOneBit(Math.max(16, count * 2)) << 1;
        int[] keys = new int[cap];
        int[] counts = new int[cap];
        int mask = cap - 1, size = 0;
        for (int i = 0; i < count; i++) {
            int id = ids[i] + 1; // 0 marks an empty slot
            int h = (id * 0x9E3779B9) >>> 7 & mask;
            while (keys[h] != 0 && keys[h] != id) h = (h + 1) & mask;
            if (keys[h] == 0) {
                keys[h] = id;
                size++;
            }
            counts[h]++;
        }
        int[] index = new int[size];
        float[] value = new float[size];
        double norm = 0;
        int k = 0;
        for (int h = 0; h < cap; h++) {
            if (keys[h] == 0) continue;
            float v = counts[h] == 1 ? 1f : (float) (1 + Math.log(counts[h]));
            index[k] = keys[h] - 1;
            value[k++] = v;
            norm += v * v;
        }
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < size; i++) value[i] *= inv;
        return new SparseVector(index, value, size);
    }
}
