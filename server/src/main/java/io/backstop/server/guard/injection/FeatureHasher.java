package io.backstop.server.guard.injection;

import java.util.Arrays;

/**
 * Turns a normalised text into hashed features: lower-cased word unigrams and bigrams plus char
 * 3-, 4- and 5-grams (white space collapsed), each hashed into {@code 2^bits} buckets (the hashing
 * trick: no vocabulary to ship). On top, features that plain n-grams miss:
 * <ul>
 *   <li>obfuscated words read back: leetspeak ("1gn0r3" also counts as "ignore") and spaced letters
 *       ("i g n o r e" also counts as "ignore");</li>
 *   <li>where words stand: the opening words of the text and the words of its last sentence, each in
 *       their own buckets, since an attack is often a role ("You are …") up front or an instruction
 *       stacked after a harmless question;</li>
 *   <li>a length bucket (a short question and a long role-play prompt differ in their base rate).</li>
 * </ul>
 * Values are 1 + log(count), then the vector is L2-normalised so a 12k-char jailbreak and a one-line
 * question score on the same scale. Only the first {@link #MAX_CHARS} chars are read, which bounds the
 * cost per text.
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

    /**
     * Per-thread work arrays, reused across calls: a 4 KB prompt needs ~60 KB of ids and a ~0.5 MB
     * counting table, which allocated (and zeroed) per call cost more than the hashing itself and made
     * the latency tail the garbage collector's.
     */
    private static final class Scratch {
        char[] chars = new char[4096];
        int[] ids = new int[16384];
        int[] keys = new int[1 << 15];
        int[] counts = new int[1 << 15];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    public SparseVector features(String normalized) {
        Scratch scratch = Thread.currentThread().isVirtual() ? new Scratch() : SCRATCH.get(); // no per-virtual-thread caches
        int n = Math.min(normalized.length(), MAX_CHARS);
        if (scratch.chars.length < n) scratch.chars = new char[n];
        char[] c = scratch.chars;
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
        if (scratch.ids.length < Math.max(16, len * 4)) scratch.ids = new int[Math.max(16, len * 4)];
        int[] ids = scratch.ids;
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
        int i = 0, spacedStart = -1, spacedRun = 0;
        while (i < len) {
            if (!Character.isLetterOrDigit(c[i])) {
                i++;
                continue;
            }
            int start = i;
            int h = 0x811c9dc5;
            while (i < len && Character.isLetterOrDigit(c[i])) h = (h ^ c[i++]) * FNV;
            if (count + 4 > ids.length) ids = scratch.ids = Arrays.copyOf(ids, ids.length * 2);
            ids[count++] = bucket(h, WORD);
            if (hasPrev) ids[count++] = bucket(prev * 31 + h, WORD_PAIR);
            prev = h;
            hasPrev = true;
            int leet = leetWord(c, start, i);
            if (leet != 0) ids[count++] = bucket(leet, WORD);
            // single letters separated by single spaces: "i g n o r e"
            boolean single = i - start == 1 && Character.isLetter(c[start]) && (start == 0 || c[start - 1] == ' ');
            if (single && spacedRun > 0 && start == spacedStart + 2 * spacedRun) spacedRun++;
            else if (single) {
                spacedStart = start;
                spacedRun = 1;
            }
            if (!single || i >= len || c[i] != ' ') {
                if (spacedRun >= 3) ids[count++] = bucket(spacedWord(c, spacedStart, spacedRun), WORD);
                spacedRun = 0;
            }
        }
        if (count + 40 > ids.length) ids = scratch.ids = Arrays.copyOf(ids, count + 40);
        ids[count++] = bucket(len < 40 ? 0 : len < 100 ? 1 : len < 250 ? 2 : len < 1000 ? 3 : 4, LENGTH);
        count = words(c, 0, Math.min(len, 60), ids, count, OPENING, 4);
        int lastSentence = 0;
        for (int k = 0; k + 2 < len; k++) if ((c[k] == '.' || c[k] == '?' || c[k] == '!' || c[k] == ':') && c[k + 1] == ' ') lastSentence = k + 2;
        if (lastSentence > 0) count = words(c, lastSentence, len, ids, count, LAST_SENTENCE, 12);
        return toVector(ids, count, scratch);
    }

    private static final int WORD = 10, WORD_PAIR = 11, LENGTH = 20, OPENING = 21, LAST_SENTENCE = 22, POSITIONED_PAIR = 10;

    /** Unigrams and bigrams (salt + {@link #POSITIONED_PAIR}) of at most {@code max} words in {@code c[from, to)}. */
    private int words(char[] c, int from, int to, int[] ids, int count, int salt, int max) {
        int i = from, k = 0, prev = 0;
        while (i < to && k < max) {
            if (!Character.isLetterOrDigit(c[i])) {
                i++;
                continue;
            }
            int h = 0x811c9dc5;
            while (i < to && Character.isLetterOrDigit(c[i])) h = (h ^ c[i++]) * FNV;
            ids[count++] = bucket(h, salt);
            if (k > 0) ids[count++] = bucket(prev * 31 + h, salt + POSITIONED_PAIR);
            prev = h;
            k++;
        }
        return count;
    }

    /** Hash of the word with leetspeak digits read as letters, or 0 when it has none (or fewer than two letters). */
    private static int leetWord(char[] c, int from, int to) {
        int letters = 0, digits = 0;
        for (int i = from; i < to; i++) {
            if (LEET.indexOf(c[i]) >= 0) digits++;
            else if (Character.isLetter(c[i])) letters++;
        }
        if (digits == 0 || letters < 2) return 0;
        int h = 0x811c9dc5;
        for (int i = from; i < to; i++) {
            int d = LEET.indexOf(c[i]);
            h = (h ^ (d >= 0 ? LEET_AS.charAt(d) : c[i])) * FNV;
        }
        return h;
    }

    private static final String LEET = "013457";
    private static final String LEET_AS = "oieast";

    /** Hash of {@code run} single letters at every other char from {@code start}, as one word. */
    private static int spacedWord(char[] c, int start, int run) {
        int h = 0x811c9dc5;
        for (int k = 0; k < run; k++) h = (h ^ c[start + 2 * k]) * FNV;
        return h;
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

    /** 1 + log(count) for the common counts, computed once (StrictMath's log is exact everywhere but slower than Math's). */
    private static final float[] COUNT_VALUE = new float[4096];

    static {
        for (int n = 1; n < COUNT_VALUE.length; n++) COUNT_VALUE[n] = n == 1 ? 1f : (float) (1 + StrictMath.log(n));
    }

    /** Distinct ids with 1 + log(count), L2-normalised; counted in an open-addressing table (no sort). */
    private static SparseVector toVector(int[] ids, int count, Scratch scratch) {
        int cap = Integer.highestOneBit(Math.max(16, count * 2)) << 1;
        if (scratch.keys.length < cap) {
            scratch.keys = new int[cap];
            scratch.counts = new int[cap];
        }
        int[] keys = scratch.keys;
        int[] counts = scratch.counts;
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
            float v = counts[h] < COUNT_VALUE.length ? COUNT_VALUE[counts[h]] : (float) (1 + StrictMath.log(counts[h]));
            index[k] = keys[h] - 1;
            keys[h] = 0; // leave the table empty for the next call
            counts[h] = 0;
            value[k++] = v;
            norm += v * v;
        }
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < size; i++) value[i] *= inv;
        return new SparseVector(index, value, size);
    }
}
