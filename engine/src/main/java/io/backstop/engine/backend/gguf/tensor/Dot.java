package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;

/**
 * Float dot products of the batched path: a decoded weight row against the activations of the tokens
 * of a prompt chunk, four tokens per pass so each load of the row serves four multiply-adds.
 */
final class Dot {
    private Dot() {}

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float s = 0;
        if (Lanes.VECTOR && n >= L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (; i + 2 * L <= n; i += 2 * L) {
                a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
                a1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), a1);
            }
            for (; i + L <= n; i += L) a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
            s = Lanes.sum(a0.add(a1));
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
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (; i + L <= n; i += L) {
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
}
