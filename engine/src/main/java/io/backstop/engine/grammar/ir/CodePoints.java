package io.backstop.engine.grammar.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable set of Unicode code points as sorted, disjoint, non-adjacent ranges; compiles to the
 * UTF-8 byte sequences that encode exactly its members (surrogates are never members).
 */
public final class CodePoints {
    public static final int MAX = 0x10FFFF;
    public static final CodePoints NONE = new CodePoints(new int[0]);
    /** Every scalar value (all code points but surrogates). */
    public static final CodePoints ANY = NONE.with(0, MAX);

    private final int[] ranges; // lo0, hi0, lo1, hi1, ...

    private CodePoints(int[] ranges) {
        this.ranges = ranges;
    }

    public static CodePoints of(int cp) {
        return NONE.with(cp, cp);
    }

    public static CodePoints range(int lo, int hi) {
        return NONE.with(lo, hi);
    }

    /** This set plus lo..hi (surrogates removed). */
    public CodePoints with(int lo, int hi) {
        if (lo > hi) return this;
        if (lo <= 0xDFFF && hi >= 0xD800) {
            return with(lo, Math.min(hi, 0xD7FF)).with(Math.max(lo, 0xE000), hi);
        }
        List<int[]> out = new ArrayList<>();
        boolean placed = false;
        for (int i = 0; i < ranges.length; i += 2) {
            int a = ranges[i], b = ranges[i + 1];
            if (b + 1 < lo) out.add(new int[] {a, b});
            else if (hi + 1 < a) {
                if (!placed) out.add(new int[] {lo, hi});
                placed = true;
                out.add(new int[] {a, b});
            } else {
                lo = Math.min(lo, a);
                hi = Math.max(hi, b);
            }
        }
        if (!placed) out.add(new int[] {lo, hi});
        out.sort((x, y) -> Integer.compare(x[0], y[0]));
        return new CodePoints(flatten(out));
    }

    public CodePoints union(CodePoints o) {
        CodePoints r = this;
        for (int i = 0; i < o.ranges.length; i += 2) r = r.with(o.ranges[i], o.ranges[i + 1]);
        return r;
    }

    /** All scalar values not in this set. */
    public CodePoints complement() {
        CodePoints r = NONE;
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            r = r.with(next, ranges[i] - 1);
            next = ranges[i + 1] + 1;
        }
        return r.with(next, MAX);
    }

    public CodePoints minus(CodePoints o) {
        return complement().union(o).complement();
    }

    public boolean contains(int cp) {
        for (int i = 0; i < ranges.length; i += 2) if (cp >= ranges[i] && cp <= ranges[i + 1]) return true;
        return false;
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    /** Ranges as lo, hi pairs. */
    public int[] ranges() {
        return ranges.clone();
    }

    /** An expression matching the UTF-8 encoding of exactly one member. */
    public Expr toUtf8() {
        List<Expr> alts = new ArrayList<>();
        ByteSet ascii = ByteSet.NONE;
        for (int i = 0; i < ranges.length; i += 2) {
            int lo = ranges[i], hi = ranges[i + 1];
            if (lo <= 0x7F) {
                ascii = ascii.union(ByteSet.range(lo, Math.min(hi, 0x7F)));
                lo = 0x80;
            }
            int[] bounds = {0x7FF, 0xFFFF, MAX};
            for (int bound : bounds) {
                if (lo > hi) break;
                if (lo <= bound) {
                    split(lo, Math.min(hi, bound), alts);
                    lo = bound + 1;
                }
            }
        }
        if (!ascii.isEmpty()) alts.addFirst(Expr.bytes(ascii));
        if (alts.isEmpty()) throw new IllegalStateException("empty character class");
        return Expr.alt(alts);
    }

    /** Splits lo..hi (same encoded length) until every byte position spans a plain range. */
    private static void split(int lo, int hi, List<Expr> out) {
        int n = length(lo);
        for (int i = 1; i < n; i++) {
            int m = (1 << (6 * i)) - 1;
            if ((lo & ~m) != (hi & ~m)) {
                if ((lo & m) != 0) {
                    split(lo, lo | m, out);
                    split((lo | m) + 1, hi, out);
                    return;
                }
                if ((hi & m) != m) {
                    split(lo, (hi & ~m) - 1, out);
                    split(hi & ~m, hi, out);
                    return;
                }
            }
        }
        byte[] a = encode(lo), b = encode(hi);
        List<Expr> seq = new ArrayList<>(n);
        for (int k = 0; k < n; k++) seq.add(Expr.bytes(ByteSet.range(a[k] & 0xFF, b[k] & 0xFF)));
        out.add(Expr.seq(seq));
    }

    private static int length(int cp) {
        return cp <= 0x7F ? 1 : cp <= 0x7FF ? 2 : cp <= 0xFFFF ? 3 : 4;
    }

    private static byte[] encode(int cp) {
        return new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static int[] flatten(List<int[]> rs) {
        int[] out = new int[rs.size() * 2];
        for (int i = 0; i < rs.size(); i++) {
            out[2 * i] = rs.get(i)[0];
            out[2 * i + 1] = rs.get(i)[1];
        }
        return out;
    }
}
