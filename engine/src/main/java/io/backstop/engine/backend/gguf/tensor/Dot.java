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

    /**
     * A 4×4 register tile: four decoded rows ({@code w[0 .. n)}, {@code w[n ..)}, {@code w[2n ..)}, {@code w[3n ..)})
     * against tokens t0 .. t0+3; writes (or adds) {@code out[o + r + (t0 + t)·stride]}. Each load of a row or of
     * a token serves four multiply-adds (8 loads per 16 FMAs, against 5 per 4 in {@link #dot4}), and each
     * (row, token) sum is accumulated in the order {@link #dot4} uses, so the results are the same bits.
     */
    static void dot4x4(float[] w, float[] x, int t0, int n, float[] out, int o, int stride, boolean add) {
        int x0 = t0 * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int i = 0;
        float s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        if (Lanes.VECTOR && n >= L) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (; i + L <= n; i += L) {
                FloatVector r0 = FloatVector.fromArray(F, w, i);
                FloatVector r1 = FloatVector.fromArray(F, w, n + i);
                FloatVector r2 = FloatVector.fromArray(F, w, 2 * n + i);
                FloatVector r3 = FloatVector.fromArray(F, w, 3 * n + i);
                FloatVector y0 = FloatVector.fromArray(F, x, x0 + i);
                a00 = r0.fma(y0, a00);
                a10 = r1.fma(y0, a10);
                a20 = r2.fma(y0, a20);
                a30 = r3.fma(y0, a30);
                FloatVector y1 = FloatVector.fromArray(F, x, x1 + i);
                a01 = r0.fma(y1, a01);
                a11 = r1.fma(y1, a11);
                a21 = r2.fma(y1, a21);
                a31 = r3.fma(y1, a31);
                FloatVector y2 = FloatVector.fromArray(F, x, x2 + i);
                a02 = r0.fma(y2, a02);
                a12 = r1.fma(y2, a12);
                a22 = r2.fma(y2, a22);
                a32 = r3.fma(y2, a32);
                FloatVector y3 = FloatVector.fromArray(F, x, x3 + i);
                a03 = r0.fma(y3, a03);
                a13 = r1.fma(y3, a13);
                a23 = r2.fma(y3, a23);
                a33 = r3.fma(y3, a33);
            }
            s00 = Lanes.sum(a00);
            s01 = Lanes.sum(a01);
            s02 = Lanes.sum(a02);
            s03 = Lanes.sum(a03);
            s10 = Lanes.sum(a10);
            s11 = Lanes.sum(a11);
            s12 = Lanes.sum(a12);
            s13 = Lanes.sum(a13);
            s20 = Lanes.sum(a20);
            s21 = Lanes.sum(a21);
            s22 = Lanes.sum(a22);
            s23 = Lanes.sum(a23);
            s30 = Lanes.sum(a30);
            s31 = Lanes.sum(a31);
            s32 = Lanes.sum(a32);
            s33 = Lanes.sum(a33);
        }
        for (; i < n; i++) {
            float v0 = w[i];
            float v1 = w[n + i];
            float v2 = w[2 * n + i];
            float v3 = w[3 * n + i];
            s00 += v0 * x[x0 + i]; s01 += v0 * x[x1 + i]; s02 += v0 * x[x2 + i]; s03 += v0 * x[x3 + i];
            s10 += v1 * x[x0 + i]; s11 += v1 * x[x1 + i]; s12 += v1 * x[x2 + i]; s13 += v1 * x[x3 + i];
            s20 += v2 * x[x0 + i]; s21 += v2 * x[x1 + i]; s22 += v2 * x[x2 + i]; s23 += v2 * x[x3 + i];
            s30 += v3 * x[x0 + i]; s31 += v3 * x[x1 + i]; s32 += v3 * x[x2 + i]; s33 += v3 * x[x3 + i];
        }
        int p0 = o + (t0 + 0) * stride;
        int p1 = o + (t0 + 1) * stride;
        int p2 = o + (t0 + 2) * stride;
        int p3 = o + (t0 + 3) * stride;
        if (add) {
            out[p0 + 0] += s00; out[p0 + 1] += s10; out[p0 + 2] += s20; out[p0 + 3] += s30;
            out[p1 + 0] += s01; out[p1 + 1] += s11; out[p1 + 2] += s21; out[p1 + 3] += s31;
            out[p2 + 0] += s02; out[p2 + 1] += s12; out[p2 + 2] += s22; out[p2 + 3] += s32;
            out[p3 + 0] += s03; out[p3 + 1] += s13; out[p3 + 2] += s23; out[p3 + 3] += s33;
        } else {
            out[p0 + 0] = s00; out[p0 + 1] = s10; out[p0 + 2] = s20; out[p0 + 3] = s30;
            out[p1 + 0] = s01; out[p1 + 1] = s11; out[p1 + 2] = s21; out[p1 + 3] = s31;
            out[p2 + 0] = s02; out[p2 + 1] = s12; out[p2 + 2] = s22; out[p2 + 3] = s32;
            out[p3 + 0] = s03; out[p3 + 1] = s13; out[p3 + 2] = s23; out[p3 + 3] = s33;
        }
    }
}
