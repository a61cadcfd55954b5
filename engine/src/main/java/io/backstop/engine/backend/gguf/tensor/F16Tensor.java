package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** IEEE half-precision weights. */
public final class F16Tensor extends WeightTensor {
    /** 2^112: what {@link Widen#f16} multiplies each weight by, applied to the activations instead ({@link #dotScaled}). */
    private static final float SCALE = 0x1p112f;

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

    /**
     * {@link #dot} with the 2^112 of {@link Widen#f16} moved from every weight to the token: its activations
     * times 2^112 go to the scratch once, and the kernel takes the weights' bits without the multiply (one
     * operation of five per vector). Scaling by a power of two is exact while nothing overflows, so each
     * product, each sum and the result are {@link #dot}'s bits. A token with an activation of 2^15 or more
     * (whose scaled value could overflow), or a scratch shorter than a row, goes through {@link #dot}.
     */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (!Lanes.VECTOR || scratch.length < cols) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        for (int t = 0; t < n; t++) {
            int o = outOff + t * outStride;
            if (scaled(x, t * cols, scratch)) {
                for (int r = from; r < to; r++) put(out, o + r, dotScaled(r, scratch), add);
            } else {
                for (int r = from; r < to; r++) put(out, o + r, dot(r, x, t * cols), add);
            }
        }
    }

    /** {@code xs[j] = x[xOff + j]·2^112} for the row's length; false (xs unusable) if some |x| ≥ 2^15 or is NaN. */
    private boolean scaled(float[] x, int xOff, float[] xs) {
        FloatVector big = FloatVector.zero(F);
        int j = 0;
        for (; j + L <= cols; j += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + j);
            big = big.max(v.abs());
            v.mul(SCALE).intoArray(xs, j);
        }
        float m = big.reduceLanes(VectorOperators.MAX);
        for (; j < cols; j++) {
            m = Math.max(m, Math.abs(x[xOff + j]));
            xs[j] = x[xOff + j] * SCALE;
        }
        return m < 0x1p15f; // false for NaN too
    }

    /** {@link #dot}'s operations on scaled activations ({@link #scaled}) and unscaled weights ({@link Widen#f16Bits}). */
    private float dotScaled(int row, float[] xs) {
        long base = row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int j = 0;
        for (; j + 2 * L <= cols; j += 2 * L) {
            a0 = Widen.f16Bits(data, base + 2L * j).fma(FloatVector.fromArray(F, xs, j), a0);
            a1 = Widen.f16Bits(data, base + 2L * (j + L)).fma(FloatVector.fromArray(F, xs, j + L), a1);
        }
        for (; j + L <= cols; j += L) a0 = Widen.f16Bits(data, base + 2L * j).fma(FloatVector.fromArray(F, xs, j), a0);
        float s = Lanes.sum(a0.add(a1));
        for (; j < cols; j++) s += f16(base + 2L * j) * (xs[j] / SCALE);
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
