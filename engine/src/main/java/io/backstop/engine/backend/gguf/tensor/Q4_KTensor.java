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
 * Q4_K: super-blocks of 256 values: {@code d}, {@code dmin} (F16), 12 bytes of 6-bit scales and mins
 * ({@link KScales}), 128 bytes of nibbles. Each 32-byte run c holds sub-block 2c in its low nibbles and
 * 2c + 1 in its high nibbles; value = d·scale·q − dmin·min.
 *
 * <p>Each sub-block of 32 is thus Q4_1-shaped, (d·scale)·q − (dmin·min), and is repacked at load
 * ({@link KPairs}) into Q4_0's layout: two rows side by side, per sub-block 16 bytes of nibbles (value j
 * &lt; 16 in the low nibble of byte j, 16 + j in its high nibble) and the F32 factors {@code d·scale} and
 * {@code −dmin·min}, so the kernel is Q4_0's two-row kernel with {@code −min·Σx} folded per sub-block.
 * 0.75 bytes per weight (16 + 8 per 32 values) instead of the file's 0.5625, whose pages are dropped.
 * {@link #dequantizeRow} still reads the file's blocks: the reference the repacked kernels are tested against.
 */
public final class Q4_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 144;
    private static final int SUB = 32;
    private static final int QUANTS = 16;

    private final KPairs g;

    Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        g = new KPairs(rows, cols / SUB, QUANTS, 2);
        MemorySegment m = g.packed;
        for (int r = 0; r < rows; r++) {
            for (long p = r * rowBytes, end = p + rowBytes, j = 0; p < end; p += BYTES) {
                float d = f16(p), dmin = f16(p + 2);
                for (int sub = 0; sub < 8; sub++, j++) {
                    long q = g.quants(r, (int) j), f = g.factors(r, (int) j), run = p + 16 + 32L * (sub >> 1);
                    int shift = 4 * (sub & 1);
                    for (int k = 0; k < QUANTS; k++) {
                        int lo = (u8(run + k) >> shift) & 15, hi = (u8(run + 16 + k) >> shift) & 15;
                        m.set(ValueLayout.JAVA_BYTE, q + k, (byte) (lo | hi << 4));
                    }
                    m.set(FLOAT_LE, f, d * KScales.scale(data, p + 4, sub));
                    m.set(FLOAT_LE, f + 4, -(dmin * KScales.min(data, p + 4, sub)));
                }
            }
        }
        if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), f = g.factors(row, 0);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < g.blocks; b++) { // one induction variable: C2 hoists the bounds checks
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * SUB;
            FloatVector s = FloatVector.zero(F), xs = s;
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                FloatVector xl = FloatVector.fromArray(F, x, xo + k), xh = FloatVector.fromArray(F, x, xo + 16 + k);
                s = hi(w).fma(xh, lo(w).fma(xl, s));
                xs = xs.add(xl).add(xh);
            }
            acc = s.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf)), acc);
            acc = xs.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 4)), acc); // + (−dmin·min)·Σx
        }
        return Lanes.sum(acc);
    }

    /**
     * Two rows per pass (one load of the activations serves both); each row gets the operations of
     * {@link #dot} in its order, so its bits do not depend on the pairing or the batch.
     */
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
        long q = g.quants(r, 0), f = g.factors(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * SUB;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, xs = s0;
            for (int k = 0; k < QUANTS; k += L) {
                FloatVector xl = FloatVector.fromArray(F, x, xo + k), xh = FloatVector.fromArray(F, x, xo + 16 + k);
                IntVector w0 = Widen.u8(m, p + k), w1 = Widen.u8(m, p + QUANTS + k);
                s0 = hi(w0).fma(xh, lo(w0).fma(xl, s0));
                s1 = hi(w1).fma(xh, lo(w1).fma(xl, s1));
                xs = xs.add(xl).add(xh);
            }
            a0 = xs.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 4)), s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf)), a0));
            a1 = xs.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 12)), s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 8)), a1));
        }
        KPairs.sums(a0, a1, out, o, add);
    }

    private static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    private static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), f = g.factors(row, 0);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int o = outOff + b * SUB;
            float d = m.get(FLOAT_LE, pf), negMin = m.get(FLOAT_LE, pf + 4);
            for (int k = 0; k < QUANTS; k += L) { // d·q − m: the reference's operations (x − m and x + (−m) are the same float)
                IntVector w = Widen.u8(m, p + k);
                lo(w).mul(d).add(negMin).intoArray(out, o + k);
                hi(w).mul(d).add(negMin).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            float dmin = f16(p + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(data, p + 4, 2 * c), m1 = dmin * KScales.min(data, p + 4, 2 * c);
                float d2 = d * KScales.scale(data, p + 4, 2 * c + 1), m2 = dmin * KScales.min(data, p + 4, 2 * c + 1);
                int o = outOff + b * BLOCK + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int q = u8(p + 16 + 32L * c + l);
                    out[o + l] = d1 * (q & 0xF) - m1;
                    out[o + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }
}
