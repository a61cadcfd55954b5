package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** IEEE half-precision weights. */
public final class F16Tensor extends WeightTensor {
    F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int j = 0;
        for (; j + 2 * L <= cols; j += 2 * L) {
            a0 = Widen.f16(data, base + 2L * j).fma(FloatVector.fromArray(F, x, xOff + j), a0);
            a1 = Widen.f16(data, base + 2L * (j + L)).fma(FloatVector.fromArray(F, x, xOff + j + L), a1);
        }
        for (; j + L <= cols; j += L) a0 = Widen.f16(data, base + 2L * j).fma(FloatVector.fromArray(F, x, xOff + j), a0);
        float s = Lanes.sum(a0.add(a1));
        for (; j < cols; j++) s += f16(base + 2L * j) * x[xOff + j];
        return s;
    }

    /** One token: two rows per pass, sharing each load of the activations; each row with {@link #dot}'s operations in its order. */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add) {
        if (!Lanes.VECTOR || n != 1) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        int r = from;
        for (; r + 2 <= to; r += 2) twoRows(r, x, out, outOff + r, add);
        for (; r < to; r++) put(out, outOff + r, dot(r, x, 0), add);
    }

    /** Rows r and r + 1 against one token, sharing each load of the activations (four rows overflow C2's inlining budget: it boxes vectors). */
    private void twoRows(int r, float[] x, float[] out, int o, boolean add) {
        MemorySegment m = data;
        long p0 = r * rowBytes, p1 = p0 + rowBytes;
        FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, b0 = z, b1 = z;
        int j = 0;
        for (; j + 2 * L <= cols; j += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, j), x1 = FloatVector.fromArray(F, x, j + L);
            long e = 2L * j, f = 2L * (j + L);
            a0 = Widen.f16(m, p0 + e).fma(x0, a0);
            a1 = Widen.f16(m, p0 + f).fma(x1, a1);
            b0 = Widen.f16(m, p1 + e).fma(x0, b0);
            b1 = Widen.f16(m, p1 + f).fma(x1, b1);
        }
        if (j + L <= cols) {
            FloatVector x0 = FloatVector.fromArray(F, x, j);
            a0 = Widen.f16(m, p0 + 2L * j).fma(x0, a0);
            b0 = Widen.f16(m, p1 + 2L * j).fma(x0, b0);
            j += L;
        }
        put(out, o, tail(p0, j, Lanes.sum(a0.add(a1)), x), add);
        put(out, o + 1, tail(p1, j, Lanes.sum(b0.add(b1)), x), add);
    }

    /** {@code s} plus the products of the values from {@code j} on that fill no vector, as {@link #dot} adds them. */
    private float tail(long base, int j, float s, float[] x) {
        for (; j < cols; j++) s += f16(base + 2L * j) * x[j];
        return s;
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long base = row * rowBytes;
        int j = 0;
        for (; j + L <= cols; j += L) Widen.f16(data, base + 2L * j).intoArray(out, outOff + j);
        for (; j < cols; j++) out[outOff + j] = f16(base + 2L * j);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long base = row * rowBytes;
        for (int j = 0; j < cols; j++) out[outOff + j] = f16(base + 2L * j);
    }
}
