package io.backstop.engine.backend.gguf.kernel;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.tensor.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

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
     * Attention scores of {@code heads} query heads that share one key head (grouped-query attention) against the
     * m ≤ {@code block} keys of a block laid out transposed (dimension d of key i at {@code kOff + d·block + i}):
     * {@code s[sOff + g·sStride + i] = (Σ_d q[qOff + g·n + d]·key_i[d])·scale}, the sum fused in order of d, one
     * {@link Math#fma} after another. A vector of keys per dimension serves four heads with a broadcast each and no
     * sum across lanes: with the keys stored by position (a dot product per key and head, a horizontal sum per 16
     * keys) attention at a context of 640 took 1.3–1.6× as long (README, "Streams for the K-quants, keys in lanes").
     * The vector and scalar paths give the same bits.
     */
    public static void scores(float[] q, int qOff, int heads, float[] keys, int kOff, int block, int m, int n, float scale, float[] s, int sOff, int sStride) {
        int g = 0;
        if (V && block % L == 0) {
            for (; g + 4 <= heads; g += 4) {
                for (int i0 = 0; i0 < m; i0 += L) scores4(q, qOff + g * n, n, keys, kOff + i0, block, Math.min(L, m - i0), scale, s, sOff + g * sStride + i0, sStride);
            }
            for (; g < heads; g++) {
                for (int i0 = 0; i0 < m; i0 += L) scores1(q, qOff + g * n, n, keys, kOff + i0, block, Math.min(L, m - i0), scale, s, sOff + g * sStride + i0);
            }
            return;
        }
        for (; g < heads; g++) {
            for (int i = 0; i < m; i++) {
                float acc = 0;
                for (int d = 0; d < n; d++) acc = Math.fma(q[qOff + g * n + d], keys[kOff + d * block + i], acc);
                s[sOff + g * sStride + i] = acc * scale;
            }
        }
    }

    /** Four heads (queries n apart from {@code qo}) against L keys (or the first m) from {@code ko}, a dimension every {@code block}. */
    private static void scores4(float[] q, int qo, int n, float[] keys, int ko, int block, int m, float scale, float[] s, int so, int sStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < n; d++) {
            FloatVector k = FloatVector.fromArray(F, keys, ko + d * block);
            a0 = FloatVector.broadcast(F, q[qo + d]).fma(k, a0);
            a1 = FloatVector.broadcast(F, q[qo + n + d]).fma(k, a1);
            a2 = FloatVector.broadcast(F, q[qo + 2 * n + d]).fma(k, a2);
            a3 = FloatVector.broadcast(F, q[qo + 3 * n + d]).fma(k, a3);
        }
        if (m == L) {
            a0.mul(scale).intoArray(s, so);
            a1.mul(scale).intoArray(s, so + sStride);
            a2.mul(scale).intoArray(s, so + 2 * sStride);
            a3.mul(scale).intoArray(s, so + 3 * sStride);
        } else {
            VectorMask<Float> in = F.indexInRange(0, m);
            a0.mul(scale).intoArray(s, so, in);
            a1.mul(scale).intoArray(s, so + sStride, in);
            a2.mul(scale).intoArray(s, so + 2 * sStride, in);
            a3.mul(scale).intoArray(s, so + 3 * sStride, in);
        }
    }

    /** One head against L keys (or the first m) from {@code ko}, a dimension every {@code block}. */
    private static void scores1(float[] q, int qo, int n, float[] keys, int ko, int block, int m, float scale, float[] s, int so) {
        FloatVector a = FloatVector.zero(F);
        for (int d = 0; d < n; d++) a = FloatVector.broadcast(F, q[qo + d]).fma(FloatVector.fromArray(F, keys, ko + d * block), a);
        if (m == L) a.mul(scale).intoArray(s, so);
        else a.mul(scale).intoArray(s, so, F.indexInRange(0, m));
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
        int i = 0;
        if (V && n >= L) { // max is exact: the same value whatever the order
            FloatVector vmax = FloatVector.fromArray(F, x, off);
            for (i = L; i + L <= n; i += L) vmax = vmax.max(FloatVector.fromArray(F, x, off + i));
            max = vmax.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        i = 0;
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
