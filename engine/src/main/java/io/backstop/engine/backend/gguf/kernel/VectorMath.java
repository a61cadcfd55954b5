package io.backstop.engine.backend.gguf.kernel;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.tensor.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/** The forward pass's elementwise and small-vector operations on float arrays, vectorized. */
public final class VectorMath {
    private static final boolean V = Lanes.VECTOR;

    private VectorMath() {}

    /** Σ a[aOff + i]·b[bOff + i] for i &lt; n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float s = 0;
        if (V && n >= L) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
            s = Lanes.sum(acc);
        }
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** y[yOff + i] += a·x[xOff + i]. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (V) {
            FloatVector va = FloatVector.broadcast(F, a);
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /**
     * y[yOff .. yOff + 4L) += Σ_i a[aOff + i]·x[xOff + i·xStride ..] over i &lt; m: {@link #axpy} of 4L values for
     * m rows at once, its four accumulators kept in registers instead of loaded and stored per row (the
     * same fused multiply-adds in the same order, so the same bits). Attention's weighted sum of values.
     */
    public static void axpy4(float[] a, int aOff, float[] x, int xOff, int xStride, int m, float[] y, int yOff) {
        FloatVector y0 = FloatVector.fromArray(F, y, yOff), y1 = FloatVector.fromArray(F, y, yOff + L);
        FloatVector y2 = FloatVector.fromArray(F, y, yOff + 2 * L), y3 = FloatVector.fromArray(F, y, yOff + 3 * L);
        for (int i = 0; i < m; i++) {
            FloatVector va = FloatVector.broadcast(F, a[aOff + i]);
            int o = xOff + i * xStride;
            y0 = FloatVector.fromArray(F, x, o).fma(va, y0);
            y1 = FloatVector.fromArray(F, x, o + L).fma(va, y1);
            y2 = FloatVector.fromArray(F, x, o + 2 * L).fma(va, y2);
            y3 = FloatVector.fromArray(F, x, o + 3 * L).fma(va, y3);
        }
        y0.intoArray(y, yOff);
        y1.intoArray(y, yOff + L);
        y2.intoArray(y, yOff + 2 * L);
        y3.intoArray(y, yOff + 3 * L);
    }

    /**
     * Attention scores of {@code heads} query heads that share one key head (grouped-query attention) against m keys:
     * {@code s[sOff + g·sStride + i] = dot(q, qOff + g·n, keys, kOff + i·kStride, n)·scale}. Each key is read from
     * memory once for all the heads (a unit per query head reads it once per head), and each score is {@link #dot}'s
     * operations in its order, so the same bits. With 16 lanes and whole vectors per head ({@link #scores16}) the
     * horizontal sums of 16 keys are taken together.
     */
    public static void scores(float[] q, int qOff, int heads, float[] keys, int kOff, int kStride, int m, int n, float scale, float[] s, int sOff, int sStride) {
        if (V && L == 16 && n % L == 0) {
            for (int g = 0; g < heads; g++) {
                for (int i0 = 0; i0 < m; i0 += L) scores16(q, qOff + g * n, keys, kOff + i0 * kStride, kStride, Math.min(L, m - i0), n, scale, s, sOff + g * sStride + i0);
            }
            return;
        }
        for (int i = 0; i < m; i++) {
            int ko = kOff + i * kStride;
            for (int g = 0; g < heads; g++) s[sOff + g * sStride + i] = dot(q, qOff + g * n, keys, ko, n) * scale;
        }
    }

    /** Lanes whose index has bit w set, and the shuffle swapping lane i with lane i ^ w: {@link #scores16}'s constants, one each so C2 sees each. */
    private static final VectorMask<Float> HIGH_8 = high(8), HIGH_4 = high(4), HIGH_2 = high(2), HIGH_1 = high(1);
    private static final VectorShuffle<Float> SWAP_8 = swap(8), SWAP_4 = swap(4), SWAP_2 = swap(2), SWAP_1 = swap(1);

    private static VectorMask<Float> high(int w) {
        boolean[] bits = new boolean[L];
        for (int i = 0; i < L; i++) bits[i] = (i & w) != 0;
        return VectorMask.fromArray(F, bits, 0);
    }

    private static VectorShuffle<Float> swap(int w) {
        return VectorShuffle.fromOp(F, i -> (i ^ w) & (L - 1));
    }

    /**
     * One head against m ≤ 16 keys (16 lanes): key i's {@link #dot} accumulator summed into lane i of one vector, with
     * {@link Lanes#sum}'s additions in its tree. Level w (8, 4, 2, 1) adds each lane to the lane w above it, as
     * {@code sum} does, for two keys' vectors at once: the first's sums go where bit w of the lane is clear, the
     * second's where it is set; pairing key k with key k + w at level w leaves key i in lane i. Four
     * levels of 15 blends-and-adds for 16 keys replace 16 sums of four shuffles and adds each. Float addition being
     * commutative, every score gets {@code dot}'s bits.
     */
    private static void scores16(float[] q, int qo, float[] keys, int ko, int kStride, int m, int n, float scale, float[] s, int so) {
        // keys past the m read key m − 1 again (in bounds); their lanes are not stored
        int o0 = ko, o1 = ko + Math.min(1, m - 1) * kStride, o2 = ko + Math.min(2, m - 1) * kStride, o3 = ko + Math.min(3, m - 1) * kStride;
        int o4 = ko + Math.min(4, m - 1) * kStride, o5 = ko + Math.min(5, m - 1) * kStride, o6 = ko + Math.min(6, m - 1) * kStride, o7 = ko + Math.min(7, m - 1) * kStride;
        int o8 = ko + Math.min(8, m - 1) * kStride, o9 = ko + Math.min(9, m - 1) * kStride, o10 = ko + Math.min(10, m - 1) * kStride, o11 = ko + Math.min(11, m - 1) * kStride;
        int o12 = ko + Math.min(12, m - 1) * kStride, o13 = ko + Math.min(13, m - 1) * kStride, o14 = ko + Math.min(14, m - 1) * kStride, o15 = ko + Math.min(15, m - 1) * kStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (int i = 0; i < n; i += L) { // dot's chain for 16 keys at once
            FloatVector x = FloatVector.fromArray(F, q, qo + i);
            a0 = x.fma(FloatVector.fromArray(F, keys, o0 + i), a0);
            a1 = x.fma(FloatVector.fromArray(F, keys, o1 + i), a1);
            a2 = x.fma(FloatVector.fromArray(F, keys, o2 + i), a2);
            a3 = x.fma(FloatVector.fromArray(F, keys, o3 + i), a3);
            a4 = x.fma(FloatVector.fromArray(F, keys, o4 + i), a4);
            a5 = x.fma(FloatVector.fromArray(F, keys, o5 + i), a5);
            a6 = x.fma(FloatVector.fromArray(F, keys, o6 + i), a6);
            a7 = x.fma(FloatVector.fromArray(F, keys, o7 + i), a7);
            a8 = x.fma(FloatVector.fromArray(F, keys, o8 + i), a8);
            a9 = x.fma(FloatVector.fromArray(F, keys, o9 + i), a9);
            a10 = x.fma(FloatVector.fromArray(F, keys, o10 + i), a10);
            a11 = x.fma(FloatVector.fromArray(F, keys, o11 + i), a11);
            a12 = x.fma(FloatVector.fromArray(F, keys, o12 + i), a12);
            a13 = x.fma(FloatVector.fromArray(F, keys, o13 + i), a13);
            a14 = x.fma(FloatVector.fromArray(F, keys, o14 + i), a14);
            a15 = x.fma(FloatVector.fromArray(F, keys, o15 + i), a15);
        }
        // level w: a.blend(b, HIGH_w) + b.blend(a, HIGH_w).rearrange(SWAP_w), written out (helpers here were left calls, and boxed)
        FloatVector w0 = a0.blend(a8, HIGH_8).add(a8.blend(a0, HIGH_8).rearrange(SWAP_8));
        FloatVector w1 = a1.blend(a9, HIGH_8).add(a9.blend(a1, HIGH_8).rearrange(SWAP_8));
        FloatVector w2 = a2.blend(a10, HIGH_8).add(a10.blend(a2, HIGH_8).rearrange(SWAP_8));
        FloatVector w3 = a3.blend(a11, HIGH_8).add(a11.blend(a3, HIGH_8).rearrange(SWAP_8));
        FloatVector w4 = a4.blend(a12, HIGH_8).add(a12.blend(a4, HIGH_8).rearrange(SWAP_8));
        FloatVector w5 = a5.blend(a13, HIGH_8).add(a13.blend(a5, HIGH_8).rearrange(SWAP_8));
        FloatVector w6 = a6.blend(a14, HIGH_8).add(a14.blend(a6, HIGH_8).rearrange(SWAP_8));
        FloatVector w7 = a7.blend(a15, HIGH_8).add(a15.blend(a7, HIGH_8).rearrange(SWAP_8));
        FloatVector x0 = w0.blend(w4, HIGH_4).add(w4.blend(w0, HIGH_4).rearrange(SWAP_4));
        FloatVector x1 = w1.blend(w5, HIGH_4).add(w5.blend(w1, HIGH_4).rearrange(SWAP_4));
        FloatVector x2 = w2.blend(w6, HIGH_4).add(w6.blend(w2, HIGH_4).rearrange(SWAP_4));
        FloatVector x3 = w3.blend(w7, HIGH_4).add(w7.blend(w3, HIGH_4).rearrange(SWAP_4));
        FloatVector y0 = x0.blend(x2, HIGH_2).add(x2.blend(x0, HIGH_2).rearrange(SWAP_2));
        FloatVector y1 = x1.blend(x3, HIGH_2).add(x3.blend(x1, HIGH_2).rearrange(SWAP_2));
        FloatVector z = y0.blend(y1, HIGH_1).add(y1.blend(y0, HIGH_1).rearrange(SWAP_1)).mul(scale);
        if (m == L) z.intoArray(s, so);
        else z.intoArray(s, so, F.indexInRange(0, m));
    }


    /**
     * {@link #axpy4} for four heads that share one value head: {@code y[yOff + g·yStride ..] += Σ_i a[aOff + g·aStride + i]·x[xOff + i·xStride ..]}
     * over i &lt; m, g &lt; 4, 4L values each. Each value row is loaded once for the four heads; per head and lane the same
     * fused multiply-adds in the same order as {@link #axpy4}, so the same bits.
     */
    public static void axpy4x4(float[] a, int aOff, int aStride, float[] x, int xOff, int xStride, int m, float[] y, int yOff, int yStride) {
        int o0 = yOff, o1 = o0 + yStride, o2 = o1 + yStride, o3 = o2 + yStride;
        FloatVector y00 = FloatVector.fromArray(F, y, o0), y01 = FloatVector.fromArray(F, y, o0 + L), y02 = FloatVector.fromArray(F, y, o0 + 2 * L), y03 = FloatVector.fromArray(F, y, o0 + 3 * L);
        FloatVector y10 = FloatVector.fromArray(F, y, o1), y11 = FloatVector.fromArray(F, y, o1 + L), y12 = FloatVector.fromArray(F, y, o1 + 2 * L), y13 = FloatVector.fromArray(F, y, o1 + 3 * L);
        FloatVector y20 = FloatVector.fromArray(F, y, o2), y21 = FloatVector.fromArray(F, y, o2 + L), y22 = FloatVector.fromArray(F, y, o2 + 2 * L), y23 = FloatVector.fromArray(F, y, o2 + 3 * L);
        FloatVector y30 = FloatVector.fromArray(F, y, o3), y31 = FloatVector.fromArray(F, y, o3 + L), y32 = FloatVector.fromArray(F, y, o3 + 2 * L), y33 = FloatVector.fromArray(F, y, o3 + 3 * L);
        int a0 = aOff, a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
        for (int i = 0; i < m; i++) {
            int o = xOff + i * xStride;
            FloatVector x0 = FloatVector.fromArray(F, x, o), x1 = FloatVector.fromArray(F, x, o + L);
            FloatVector x2 = FloatVector.fromArray(F, x, o + 2 * L), x3 = FloatVector.fromArray(F, x, o + 3 * L);
            FloatVector va = FloatVector.broadcast(F, a[a0 + i]);
            y00 = x0.fma(va, y00); y01 = x1.fma(va, y01); y02 = x2.fma(va, y02); y03 = x3.fma(va, y03);
            va = FloatVector.broadcast(F, a[a1 + i]);
            y10 = x0.fma(va, y10); y11 = x1.fma(va, y11); y12 = x2.fma(va, y12); y13 = x3.fma(va, y13);
            va = FloatVector.broadcast(F, a[a2 + i]);
            y20 = x0.fma(va, y20); y21 = x1.fma(va, y21); y22 = x2.fma(va, y22); y23 = x3.fma(va, y23);
            va = FloatVector.broadcast(F, a[a3 + i]);
            y30 = x0.fma(va, y30); y31 = x1.fma(va, y31); y32 = x2.fma(va, y32); y33 = x3.fma(va, y33);
        }
        y00.intoArray(y, o0); y01.intoArray(y, o0 + L); y02.intoArray(y, o0 + 2 * L); y03.intoArray(y, o0 + 3 * L);
        y10.intoArray(y, o1); y11.intoArray(y, o1 + L); y12.intoArray(y, o1 + 2 * L); y13.intoArray(y, o1 + 3 * L);
        y20.intoArray(y, o2); y21.intoArray(y, o2 + L); y22.intoArray(y, o2 + 2 * L); y23.intoArray(y, o2 + 3 * L);
        y30.intoArray(y, o3); y31.intoArray(y, o3 + L); y32.intoArray(y, o3 + 2 * L); y33.intoArray(y, o3 + 3 * L);
    }

    /** out = x / √(mean(x²) + eps) ⊙ w, over n values. */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        float ss = dot(x, xOff, x, xOff, n);
        float scale = (float) (1.0 / Math.sqrt(ss / n + (double) eps));
        int i = 0;
        if (V) {
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, x, xOff + i).mul(scale).mul(FloatVector.fromArray(F, w, i)).intoArray(out, outOff + i);
            }
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * scale * w[i];
    }

    /** In place: x ← exp(x − max) / Σ exp(x − max) over n values. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        int i = 0;
        if (V) {
            FloatVector vmax = FloatVector.broadcast(F, max);
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) {
                FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(vmax));
                e.intoArray(x, off + i);
                acc = acc.add(e);
            }
            sum = Lanes.sum(acc);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        scale(x, off, n, inv);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912f; // 1.5·2^23: adding it rounds to an integer
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;

    /**
     * e^x per lane (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial in r, 2^n from the exponent bits),
     * within 2 ulp. Built from lane-wise add, multiply and FMA only, so it gives the same bits before and
     * after C2 compiles it; the Vector API's own EXP does not (its intrinsic and its Java fallback differ
     * in about 1 % of results), which would make a request's logits depend on JIT timing.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector n = x.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        FloatVector e = p.fma(r.mul(r), r.add(1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return e.mul(bits.reinterpretAsFloats());
    }

    /** x ← a·x over n values. */
    public static void scale(float[] x, int off, int n, float a) {
        int i = 0;
        if (V) {
            for (; i + L <= n; i += L) FloatVector.fromArray(F, x, off + i).mul(a).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] *= a;
    }

    /** SwiGLU in place: gate ← silu(gate) ⊙ up, silu(g) = g / (1 + e^−g). */
    public static void swiglu(float[] gate, float[] up, int off, int n) {
        int i = 0;
        if (V) {
            for (; i + L <= n; i += L) {
                FloatVector g = FloatVector.fromArray(F, gate, off + i);
                FloatVector silu = g.div(exp(g.neg()).add(1f));
                silu.mul(FloatVector.fromArray(F, up, off + i)).intoArray(gate, off + i);
            }
        }
        for (; i < n; i++) {
            float g = gate[off + i];
            gate[off + i] = (float) (g / (1 + Math.exp(-g))) * up[off + i];
        }
    }

    /** y[yOff + i] += x[xOff + i]. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int n) {
        int i = 0;
        if (V) {
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += x[xOff + i];
    }
}
