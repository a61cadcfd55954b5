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

    private static SparseVector toVector(int[] ids, int count) {
        Arrays.sort(ids, 0, count);
        int[] index = new int[count];
        float[] value = new float[count];
        int size = 0;
        double norm = 0;
        for (int i = 0; i < count; ) {
            int j = i;
            while (j < count && ids[j] == ids[i]) j++;
            float v = (float) (1 + Math.log(j - i));
            index[size] = ids[i];
            value[size++] = v;
            norm += v * v;
            i = j;
        }
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int k = 0; k < size; k++) value[k] *= inv;
        return new SparseVector(index, value, size);
    }
}
