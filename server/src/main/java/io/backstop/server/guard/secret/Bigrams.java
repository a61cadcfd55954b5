package io.backstop.server.guard.secret;

/**
 * Which pairs of adjacent chars a text holds (lower-cased, hashed into 4096 bits): a rule's anchor can
 * occur only if all of its pairs do, so most anchors are ruled out by a few bit tests instead of a
 * substring search through the whole text (with ~180 rules, those searches were most of the cost).
 * A set bit may be a hash collision; then the substring search decides.
 */
final class Bigrams {
    private static final int MASK = 4095;

    private Bigrams() {}

    /** The pairs of {@code lower} (a lower-cased text). */
    static long[] of(String lower) {
        long[] bits = new long[(MASK + 1) / 64];
        for (int i = 1; i < lower.length(); i++) {
            int h = hash(lower.charAt(i - 1), lower.charAt(i));
            bits[h >>> 6] |= 1L << h;
        }
        return bits;
    }

    /** The pair hashes of an anchor (lower-cased), for {@link #mayContain}. */
    static int[] hashes(String anchor) {
        String a = anchor.toLowerCase(java.util.Locale.ROOT);
        int[] out = new int[Math.max(0, a.length() - 1)];
        for (int i = 1; i < a.length(); i++) out[i - 1] = hash(a.charAt(i - 1), a.charAt(i));
        return out;
    }

    static boolean mayContain(long[] bits, int[] hashes) {
        for (int h : hashes) if ((bits[h >>> 6] & (1L << h)) == 0) return false;
        return true;
    }

    private static int hash(char a, char b) {
        return (a * 31 + b) & MASK;
    }
}
