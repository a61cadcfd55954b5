package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;

/**
 * Float dot products of the small-batch path ({@link WeightTensor#matmul} between a type's fused kernel and the
 * {@link OuterProduct} tile): a decoded weight row against the activations of 4–15 tokens, four tokens per pass so
 * each load of the row serves four multiply-adds. Rows stay row-major here: at so few tokens the tile's
 * transposition and its half-empty token lanes cost more than they save (0.5–0.6× this path at 4–8 tokens).
 */
final class Dot {
    private Dot() {}

    /**
     * Σ a[aOff + i]·b[bOff + i] with one accumulator: the order of each (row, token) sum of {@link #dot4}
     * and {@link #dot4x4}, so a token left over from the groups of four gets the bits it would get in one,
     * and the same bits in every small batch.
     */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float s = 0;
        if (Lanes.VECTOR && n >= L) {
            int end = n & -L;
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += L) acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
            s = Lanes.sum(acc);
        }
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /**
     * Row {@code w[0 .. n)} against tokens t0 .. t0+3 of {@code x} (token t at {@code t·n}); writes
     * (or adds) the four results at {@code out[o + t·stride]}.
     */
    static void dot4(float[] w, float[] x, int t0, int n, float[] out, int o, int stride, boolean add) {
        int x0 = t0 * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Lanes.VECTOR && n >= L) {
            int end = n & -L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (; i < end; i += L) {
                FloatVector r = FloatVector.fromArray(F, w, i);
                a0 = r.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                a1 = r.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = r.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = r.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            }
            s0 = Lanes.sum(a0);
            s1 = Lanes.sum(a1);
            s2 = Lanes.sum(a2);
            s3 = Lanes.sum(a3);
        }
        for (; i < n; i++) {
            s0 += w[i] * x[x0 + i];
            s1 += w[i] * x[x1 + i];
            s2 += w[i] * x[x2 + i];
            s3 += w[i] * x[x3 + i];
        }
        int p = o + t0 * stride;
        if (add) {
            out[p] += s0;
            out[p + stride] += s1;
            out[p + 2 * stride] += s2;
            out[p + 3 * stride] += s3;
        } else {
            out[p] = s0;
            out[p + stride] = s1;
            out[p + 2 * stride] = s2;
            out[p + 3 * stride] = s3;
        }
    }

    /** Floats of {@code sums} that {@link #dot4x4} needs: one vector per accumulator. */
    static final int TILE_SUMS = 16 * L;

    /**
     * A 4×4 register tile: four decoded rows ({@code w[wOff + r·n ..]}, r = 0..3) against tokens t0 .. t0+3; writes
     * (or adds) {@code out[o + r + (t0 + t)·stride]}. Each load of a row or a token serves four multiply-adds
     * (8 loads per 16 FMAs, against 5 per 4 in {@link #dot4}). The sixteen accumulators are stored to
     * {@code sums[sumsOff ..]} ({@link #TILE_SUMS} floats) and summed from there in a loop: sixteen inlined lane sums made C2 give up inlining the
     * vector operations and box them (100 MB allocated per product). Each (row, token) sum is accumulated
     * and reduced in the order {@link #dot4} uses, so the results are the same bits.
     */
    static void dot4x4(float[] w, int wOff, float[] x, int t0, int n, float[] out, int o, int stride, boolean add, float[] sums, int sumsOff) {
        int x0 = t0 * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int w0 = wOff, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        int i = 0;
        if (Lanes.VECTOR && n >= L) {
            int end = n & -L; // a loop to a plain bound: C2 hoists the range checks of the eight loads out of it
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (; i < end; i += L) {
                FloatVector r0 = FloatVector.fromArray(F, w, w0 + i);
                FloatVector r1 = FloatVector.fromArray(F, w, w1 + i);
                FloatVector r2 = FloatVector.fromArray(F, w, w2 + i);
                FloatVector r3 = FloatVector.fromArray(F, w, w3 + i);
                FloatVector y0 = FloatVector.fromArray(F, x, x0 + i);
                a00 = r0.fma(y0, a00); a10 = r1.fma(y0, a10); a20 = r2.fma(y0, a20); a30 = r3.fma(y0, a30);
                FloatVector y1 = FloatVector.fromArray(F, x, x1 + i);
                a01 = r0.fma(y1, a01); a11 = r1.fma(y1, a11); a21 = r2.fma(y1, a21); a31 = r3.fma(y1, a31);
                FloatVector y2 = FloatVector.fromArray(F, x, x2 + i);
                a02 = r0.fma(y2, a02); a12 = r1.fma(y2, a12); a22 = r2.fma(y2, a22); a32 = r3.fma(y2, a32);
                FloatVector y3 = FloatVector.fromArray(F, x, x3 + i);
                a03 = r0.fma(y3, a03); a13 = r1.fma(y3, a13); a23 = r2.fma(y3, a23); a33 = r3.fma(y3, a33);
            }
            a00.intoArray(sums, sumsOff + 0 * L); a01.intoArray(sums, sumsOff + 1 * L); a02.intoArray(sums, sumsOff + 2 * L); a03.intoArray(sums, sumsOff + 3 * L);
            a10.intoArray(sums, sumsOff + 4 * L); a11.intoArray(sums, sumsOff + 5 * L); a12.intoArray(sums, sumsOff + 6 * L); a13.intoArray(sums, sumsOff + 7 * L);
            a20.intoArray(sums, sumsOff + 8 * L); a21.intoArray(sums, sumsOff + 9 * L); a22.intoArray(sums, sumsOff + 10 * L); a23.intoArray(sums, sumsOff + 11 * L);
            a30.intoArray(sums, sumsOff + 12 * L); a31.intoArray(sums, sumsOff + 13 * L); a32.intoArray(sums, sumsOff + 14 * L); a33.intoArray(sums, sumsOff + 15 * L);
        }
        for (int k = 0; k < 16; k++) {
            int r = k >> 2, xt = x0 + (k & 3) * n;
            float s = Lanes.VECTOR && n >= L ? Lanes.sum(FloatVector.fromArray(F, sums, sumsOff + k * L)) : 0;
            for (int j = i; j < n; j++) s += w[wOff + r * n + j] * x[xt + j];
            int p = o + r + (t0 + (k & 3)) * stride;
            out[p] = add ? out[p] + s : s;
        }
    }
}
