package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * Q8_0: blocks of 32 values, {@code d} (F16) then 32 signed bytes; value = d·q.
 *
 * <p>Repacked at load time ({@link RowGroups}): two rows' blocks side by side, scales as F32, so one
 * load of the activations serves two rows and no F16 is converted per block.
 */
public final class Q8_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 34;

    private final RowGroups g;

    Q8_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        g = RowGroups.repack(data, rows, cols / BLOCK, BYTES, BLOCK);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
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
            FloatVector s = Widen.s8(m, p).mul(FloatVector.fromArray(F, x, xo));
            for (int k = L; k < BLOCK; k += L) s = Widen.s8(m, p + k).fma(FloatVector.fromArray(F, x, xo + k), s);
            acc = s.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, d + b * st)), acc);
        }
        return Lanes.sum(acc);
    }

    /** Two rows per pass, each with the operations of {@link #dot} in its order (see {@link Q4_0Tensor#fusedRows}). */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add) {
        if (!Lanes.VECTOR) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        for (int t = 0; t < n; t++) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            if ((r & 1) != 0 && r < to) put(out, o + r++, dot(r - 1, x, xOff), add);
            for (; r + 2 <= to; r += 2) twoRows(r, x, xOff, out, o + r, add);
            if (r < to) put(out, o + r, dot(r, x, xOff), add);
        }
    }

    private void twoRows(int r, float[] x, int xOff, float[] out, int o, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector x0 = FloatVector.fromArray(F, x, xo);
            FloatVector s0 = Widen.s8(m, p).mul(x0), s1 = Widen.s8(m, p + BLOCK).mul(x0);
            for (int k = L; k < BLOCK; k += L) {
                FloatVector xk = FloatVector.fromArray(F, x, xo + k);
                s0 = Widen.s8(m, p + k).fma(xk, s0);
                s1 = Widen.s8(m, p + BLOCK + k).fma(xk, s1);
            }
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), a1);
        }
        put(out, o, Lanes.sum(a0), add);
        put(out, o + 1, Lanes.sum(a1), add);
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
            for (int k = 0; k < BLOCK; k += L) Widen.s8(m, p + k).mul(d).intoArray(out, o + k);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        for (int b = 0; b < g.blocks; b++) {
            long p = g.quants(row, b);
            float d = g.packed.get(FLOAT_LE, g.scale(row, b));
            for (int j = 0; j < BLOCK; j++) out[outOff + b * BLOCK + j] = g.packed.get(ValueLayout.JAVA_BYTE, p + j) * d;
        }
    }
}
