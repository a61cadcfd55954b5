package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values, {@code d} (F16) then 16 bytes; value j &lt; 16 is the low nibble of byte j,
 * value 16 + j its high nibble; value = d·(q − 8).
 *
 * <p>Repacked at load time ({@link RowGroups}): four rows' blocks side by side, scales as F32, so one
 * load of the activations serves four rows and no F16 is converted per block. The −8 is folded into the
 * start of each block's sum ({@code −8·Σx}, computed once per block and token, shared by the rows), so
 * nibbles are only masked and converted.
 */
public final class Q4_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 18;
    private static final int QUANTS = 16;

    private final RowGroups g;

    Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        g = RowGroups.repack(data, rows, cols / BLOCK, BYTES, QUANTS);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), d = g.scale(row, 0);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < g.blocks; b++) { // one induction variable: C2 hoists the bounds checks
            long p = q + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector s = minus8Sum(x, xo);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                s = lo(w).fma(FloatVector.fromArray(F, x, xo + k), s);
                s = hi(w).fma(FloatVector.fromArray(F, x, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, d + b * st)), acc);
        }
        return Lanes.sum(acc);
    }

    /**
     * One token, four rows per pass where a whole group of four is asked for; every row gets the
     * operations of {@link #dot} in its order, so the bits do not depend on the grouping. Two or more
     * tokens: each row's blocks are unpacked once and multiplied with up to four tokens.
     */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add) {
        if (!Lanes.VECTOR) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        if (n == 1) {
            int r = from;
            for (; r < to && (r & 3) != 0; r++) put(out, outOff + r, dot(r, x, 0), add);
            for (; r + 4 <= to; r += 4) fourRows(r, x, out, outOff + r, add);
            for (; r < to; r++) put(out, outOff + r, dot(r, x, 0), add);
            return;
        }
        for (int r = from; r < to; r++) {
            int t = 0;
            for (; t + 4 <= n; t += 4) fourTokens(r, x, t, out, outOff + r, outStride, add);
            for (; t + 2 <= n; t += 2) twoTokens(r, x, t, out, outOff + r, outStride, add);
            for (; t < n; t++) put(out, outOff + t * outStride + r, dot(r, x, t * cols), add);
        }
    }

    private void fourRows(int r, float[] x, float[] out, int o, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = b * BLOCK;
            FloatVector m8 = minus8Sum(x, xo);
            FloatVector s0 = m8, s1 = m8, s2 = m8, s3 = m8;
            for (int k = 0; k < QUANTS; k += L) {
                FloatVector xl = FloatVector.fromArray(F, x, xo + k), xh = FloatVector.fromArray(F, x, xo + 16 + k);
                IntVector w0 = Widen.u8(m, p + k), w1 = Widen.u8(m, p + QUANTS + k);
                IntVector w2 = Widen.u8(m, p + 2 * QUANTS + k), w3 = Widen.u8(m, p + 3 * QUANTS + k);
                s0 = hi(w0).fma(xh, lo(w0).fma(xl, s0));
                s1 = hi(w1).fma(xh, lo(w1).fma(xl, s1));
                s2 = hi(w2).fma(xh, lo(w2).fma(xl, s2));
                s3 = hi(w3).fma(xh, lo(w3).fma(xl, s3));
            }
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), a1);
            a2 = s2.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 8)), a2);
            a3 = s3.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 12)), a3);
        }
        put(out, o, Lanes.sum(a0), add);
        put(out, o + 1, Lanes.sum(a1), add);
        put(out, o + 2, Lanes.sum(a2), add);
        put(out, o + 3, Lanes.sum(a3), add);
    }

    private void fourTokens(int r, float[] x, int t, float[] out, int o, int outStride, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        int c = cols, x0 = t * c;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            int xo = x0 + b * BLOCK;
            FloatVector s0 = minus8Sum(x, xo), s1 = minus8Sum(x, xo + c), s2 = minus8Sum(x, xo + 2 * c), s3 = minus8Sum(x, xo + 3 * c);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                FloatVector lo = lo(w), hi = hi(w);
                int i = xo + k;
                s0 = hi.fma(FloatVector.fromArray(F, x, i + 16), lo.fma(FloatVector.fromArray(F, x, i), s0));
                s1 = hi.fma(FloatVector.fromArray(F, x, i + c + 16), lo.fma(FloatVector.fromArray(F, x, i + c), s1));
                s2 = hi.fma(FloatVector.fromArray(F, x, i + 2 * c + 16), lo.fma(FloatVector.fromArray(F, x, i + 2 * c), s2));
                s3 = hi.fma(FloatVector.fromArray(F, x, i + 3 * c + 16), lo.fma(FloatVector.fromArray(F, x, i + 3 * c), s3));
            }
            FloatVector s = FloatVector.broadcast(F, m.get(FLOAT_LE, d + b * st));
            a0 = s0.fma(s, a0);
            a1 = s1.fma(s, a1);
            a2 = s2.fma(s, a2);
            a3 = s3.fma(s, a3);
        }
        put(out, o + t * outStride, Lanes.sum(a0), add);
        put(out, o + (t + 1) * outStride, Lanes.sum(a1), add);
        put(out, o + (t + 2) * outStride, Lanes.sum(a2), add);
        put(out, o + (t + 3) * outStride, Lanes.sum(a3), add);
    }

    private void twoTokens(int r, float[] x, int t, float[] out, int o, int outStride, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        int c = cols, x0 = t * c;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            int xo = x0 + b * BLOCK;
            FloatVector s0 = minus8Sum(x, xo), s1 = minus8Sum(x, xo + c);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                FloatVector lo = lo(w), hi = hi(w);
                int i = xo + k;
                s0 = hi.fma(FloatVector.fromArray(F, x, i + 16), lo.fma(FloatVector.fromArray(F, x, i), s0));
                s1 = hi.fma(FloatVector.fromArray(F, x, i + c + 16), lo.fma(FloatVector.fromArray(F, x, i + c), s1));
            }
            FloatVector s = FloatVector.broadcast(F, m.get(FLOAT_LE, d + b * st));
            a0 = s0.fma(s, a0);
            a1 = s1.fma(s, a1);
        }
        put(out, o + t * outStride, Lanes.sum(a0), add);
        put(out, o + (t + 1) * outStride, Lanes.sum(a1), add);
    }

    /** −8·Σx of the block's 32 activations, lane-wise: the start of its sum, which folds the −8 of every weight. */
    private static FloatVector minus8Sum(float[] x, int xo) {
        FloatVector s = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 16));
        for (int k = L; k < QUANTS; k += L) s = s.add(FloatVector.fromArray(F, x, xo + k)).add(FloatVector.fromArray(F, x, xo + 16 + k));
        return s.mul(-8f);
    }

    private static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    private static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }

    static void put(float[] out, int o, float v, boolean add) {
        out[o] = add ? out[o] + v : v;
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), ds = g.scale(row, 0);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            int o = outOff + b * BLOCK;
            float d = m.get(FLOAT_LE, ds + b * st);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                Widen.toFloat(w.and(15).sub(8)).mul(d).intoArray(out, o + k);
                Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4).sub(8)).mul(d).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        for (int b = 0; b < g.blocks; b++) {
            long p = g.quants(row, b);
            float d = g.packed.get(FLOAT_LE, g.scale(row, b));
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(g.packed.get(ValueLayout.JAVA_BYTE, p + j));
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }
}
