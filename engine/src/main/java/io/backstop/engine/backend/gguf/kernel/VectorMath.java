package io.backstop.engine.backend.gguf.kernel;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.tensor.Lanes;
import jdk.incubator.vector.FloatVector;
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
            s = acc.reduceLanes(VectorOperators.ADD);
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
                FloatVector e = FloatVector.fromArray(F, x, off + i).sub(vmax).lanewise(VectorOperators.EXP);
                e.intoArray(x, off + i);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        scale(x, off, n, inv);
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
                FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
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
