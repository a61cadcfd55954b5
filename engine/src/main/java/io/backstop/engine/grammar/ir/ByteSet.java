package io.backstop.engine.grammar.ir;

import java.util.Arrays;

/** An immutable set of byte values (0–255) as four 64-bit words. */
public final class ByteSet {
    public static final ByteSet NONE = new ByteSet(new long[4]);
    public static final ByteSet ALL = new ByteSet(new long[] {-1L, -1L, -1L, -1L});

    private final long[] words;

    private ByteSet(long[] words) {
        this.words = words;
    }

    public static ByteSet of(int b) {
        return range(b, b);
    }

    /** Bytes lo..hi inclusive (0–255). */
    public static ByteSet range(int lo, int hi) {
        long[] w = new long[4];
        for (int b = lo; b <= hi; b++) w[b >>> 6] |= 1L << b;
        return new ByteSet(w);
    }

    public static ByteSet ofChars(String ascii) {
        long[] w = new long[4];
        for (int i = 0; i < ascii.length(); i++) {
            int b = ascii.charAt(i);
            w[b >>> 6] |= 1L << b;
        }
        return new ByteSet(w);
    }

    public boolean contains(int b) {
        return (words[(b & 0xFF) >>> 6] & (1L << b)) != 0;
    }

    public boolean isEmpty() {
        return (words[0] | words[1] | words[2] | words[3]) == 0;
    }


    public ByteSet union(ByteSet o) {
        long[] w = new long[4];
        for (int i = 0; i < 4; i++) w[i] = words[i] | o.words[i];
        return new ByteSet(w);
    }


    @Override
    public boolean equals(Object o) {
        return o instanceof ByteSet b && Arrays.equals(words, b.words);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int b = 0; b < 256; b++) {
            if (!contains(b)) continue;
            int e = b;
            while (e + 1 < 256 && contains(e + 1)) e++;
            sb.append(hex(b));
            if (e > b) sb.append('-').append(hex(e));
            b = e;
        }
        return sb.append(']').toString();
    }

    private static String hex(int b) {
        return b >= 0x21 && b < 0x7F && b != '-' && b != ']' && b != '\\' ? String.valueOf((char) b) : String.format("\\x%02X", b);
    }
}
