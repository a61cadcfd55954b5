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
                int half = cols % (2 * L) == 0 && scratch.length >= cols + 2 ? (to - from) / 2 : 0; // whole passes of 2·L, room for two sums
                for (int r = from; r < from + half; r++) dotScaledApart(data, rowBytes, cols, r, half, scratch, out, o, add);
                for (int r = from + 2 * half; r < to; r++) put(out, o + r, dotScaled(r, scratch), add);
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

    /**
     * {@link #dotScaled} of rows {@code row} and {@code row + apart} (rows of a whole number of 2·L values) in one
     * pass, each with its own two accumulators and the same operations in the same order, so each row keeps its
     * bits; the activation loads serve both. Two sequential streams in flight per core read faster than one
     * (decode is bound by how many misses a core keeps in flight); two adjacent rows, which hop over each
     * other's pages, read half as fast, hence rows from the two halves of the range (README, F16 decode). Static, with
     * the tensor's fields as arguments, as {@link Q4_0QuadKernels}' kernels are.
     */
    private static void dotScaledApart(MemorySegment data, long rowBytes, int cols, int row, int apart, float[] xs, float[] out, int o, boolean add) {
        long b0 = row * rowBytes, b1 = b0 + apart * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int j = 0; j + 2 * L <= cols; j += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, xs, j), x1 = FloatVector.fromArray(F, xs, j + L);
            a0 = Widen.f16Bits(data, b0 + 2L * j).fma(x0, a0);
            c0 = Widen.f16Bits(data, b1 + 2L * j).fma(x0, c0);
            a1 = Widen.f16Bits(data, b0 + 2L * (j + L)).fma(x1, a1);
            c1 = Widen.f16Bits(data, b1 + 2L * (j + L)).fma(x1, c1);
        }
        KPairs.sums(a0.add(a1), c0.add(c1), xs, cols, false); // two Lanes.sums inlined here exceed C2's node budget (boxed vectors)
        put(out, o + row, xs[cols], add);
        put(out, o + row + apart, xs[cols + 1], add);
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
