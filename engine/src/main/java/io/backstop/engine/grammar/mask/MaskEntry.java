package io.backstop.engine.grammar.mask;

/**
 * What a frame allows on its own, computed once per automaton state (and chain count bucket) and
 * shared: the tokens valid whatever lies below the frame ({@code accepted}), and the tokens that end
 * the frame's rule part-way and so depend on the stack below. Those are kept as their remaining
 * bytes ("suffixes", sorted so checks share prefixes) with the tokens that need each suffix.
 */
final class MaskEntry {
    final long[] bits;        // accepted tokens as a bitset, or null when sparse
    final int[] list;         // accepted tokens as ids, when sparse
    final int accepted;
    final byte[] suffixBytes; // suffixes concatenated, sorted
    final int[] suffixStart;  // suffix i: suffixBytes[suffixStart[i] .. suffixStart[i+1])
    final int[] suffixLcp;    // common prefix length with suffix i - 1
    final int[] tokenStart;   // tokens needing suffix i: tokens[tokenStart[i] .. tokenStart[i+1])
    final int[] tokens;

    MaskEntry(long[] bits, int[] list, int accepted, byte[] suffixBytes, int[] suffixStart, int[] suffixLcp, int[] tokenStart, int[] tokens) {
        this.bits = bits;
        this.list = list;
        this.accepted = accepted;
        this.suffixBytes = suffixBytes;
        this.suffixStart = suffixStart;
        this.suffixLcp = suffixLcp;
        this.tokenStart = tokenStart;
        this.tokens = tokens;
    }

    int suffixes() {
        return suffixLcp.length;
    }

    /** Adds the accepted tokens to a mask. */
    void orInto(long[] mask) {
        if (bits != null) {
            for (int i = 0; i < bits.length; i++) mask[i] |= bits[i];
        } else {
            for (int t : list) mask[t >>> 6] |= 1L << t;
        }
    }

    /** Memory held, for cache accounting. */
    long bytes() {
        return 64L + (bits != null ? bits.length * 8L : list.length * 4L) + suffixBytes.length + 4L * (suffixStart.length
                + suffixLcp.length + tokenStart.length + tokens.length);
    }
}
