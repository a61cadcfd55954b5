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
 * Q6_K: super-blocks of 256 values: 128 bytes {@code ql} (low 4 bits), 64 bytes {@code qh} (high 2
 * bits), 16 signed 8-bit scales (one per 16 values), then {@code d} (F16) last. Each half n (128
 * values) uses ql[64n ..], qh[32n ..]: for l &lt; 32, value 128n + l + 32i takes its low bits from the
 * low (i = 0, 1) or high (i = 2, 3) nibble of ql[64n + l + 32·(i mod 2)] and its high bits from bits
 * 2i, 2i + 1 of qh[32n + l]; value = d·scale·(q − 32).
 *
 * <p>Repacked at load ({@link KPairs}): two rows side by side, per group of 64 values and row 16 + 16 bytes
 * of low nibbles (byte j of half h holds value 32h + j in its low and 32h + 16 + j in its high nibble),
 * 16 bytes of high bits (byte j: value 16i + j in bits 2i, 2i + 1), then {@code d·scale} of each run of 16
 * as F32: one load of the activations serves both rows, and the −32 is folded in as {@code −32·x}, shared
 * by the rows. 1 byte per weight (48 + 16 per 64 values) instead of the file's 0.82, whose pages are
 * dropped. {@link #dequantizeRow} still reads the file's blocks: the reference the kernels are tested against.
 */
public final class Q6_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 210;
    private static final int GROUP = 64;
    private static final int QUANTS = 48;

    private final KPairs g;

    Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        g = new KPairs(rows, cols / GROUP, QUANTS, 4);
        MemorySegment m = g.packed;
        int[] q = new int[GROUP];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols / GROUP; j++) {
                long p = r * rowBytes + (long) (j >> 2) * BYTES;
                int v0 = GROUP * (j & 3);
                for (int v = 0; v < GROUP; v++) q[v] = q6(p, v0 + v);
                long pq = g.quants(r, j), pf = g.factors(r, j);
                for (int k = 0; k < 16; k++) {
                    m.set(ValueLayout.JAVA_BYTE, pq + k, (byte) ((q[k] & 15) | (q[16 + k] & 15) << 4));
                    m.set(ValueLayout.JAVA_BYTE, pq + 16 + k, (byte) ((q[32 + k] & 15) | (q[48 + k] & 15) << 4));
                    m.set(ValueLayout.JAVA_BYTE, pq + 32 + k, (byte) (q[k] >> 4 | (q[16 + k] >> 4) << 2 | (q[32 + k] >> 4) << 4 | (q[48 + k] >> 4) << 6));
                }
                float d = f16(p + 208);
                for (int i = 0; i < 4; i++) m.set(FLOAT_LE, pf + 4L * i, d * s8(p + 192 + (v0 >> 4) + i));
            }
        }
        if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
    }

    /** The 6-bit quant (0–63) of value v (0–255) of the super-block at p. */
    private int q6(long p, int v) {
        int n = v >> 7, i = (v >> 5) & 3, l = v & 31;
        int b = u8(p + 64L * n + l + 32L * (i & 1));
        return ((i < 2 ? b : b >> 4) & 15) | ((u8(p + 128 + 32L * n + l) >> (2 * i)) & 3) << 4;
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
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
            int xo = xOff + b * GROUP;
            for (int k = 0; k < 16; k += L) acc = step(m, p + k, pf, x, xo + k, acc);
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
            int xo = xOff + b * GROUP;
            for (int k = 0; k < 16; k += L) {
                a0 = step(m, p + k, pf, x, xo + k, a0);
                a1 = step(m, p + QUANTS + k, pf + 16, x, xo + k, a1);
            }
        }
        put(out, o, Lanes.sum(a0), add);
        put(out, o + 1, Lanes.sum(a1), add);
    }

    /**
     * L lanes of each of the group's four runs of 16 for one row, into {@code acc}: (q·x − 32·x)·(d·scale).
     * Two rows inline it with the same activations, whose loads and {@code −32·x} C2 computes once.
     */
    private static FloatVector step(MemorySegment m, long p, long pf, float[] x, int xo, FloatVector acc) {
        IntVector a = Widen.u8(m, p), c = Widen.u8(m, p + 16), h = Widen.u8(m, p + 32);
        FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + 16);
        FloatVector x2 = FloatVector.fromArray(F, x, xo + 32), x3 = FloatVector.fromArray(F, x, xo + 48);
        acc = v0(a, h).fma(x0, x0.mul(-32f)).fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf)), acc);
        acc = v1(a, h).fma(x1, x1.mul(-32f)).fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 4)), acc);
        acc = v2(c, h).fma(x2, x2.mul(-32f)).fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 8)), acc);
        return v3(c, h).fma(x3, x3.mul(-32f)).fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 12)), acc);
    }

    private static FloatVector v0(IntVector a, IntVector h) {
        return Widen.toFloat(a.and(15).or(h.and(3).lanewise(VectorOperators.LSHL, 4)));
    }

    private static FloatVector v1(IntVector a, IntVector h) {
        return Widen.toFloat(a.lanewise(VectorOperators.LSHR, 4).or(h.and(12).lanewise(VectorOperators.LSHL, 2)));
    }

    private static FloatVector v2(IntVector c, IntVector h) {
        return Widen.toFloat(c.and(15).or(h.and(48)));
    }

    private static FloatVector v3(IntVector c, IntVector h) {
        return Widen.toFloat(c.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and(48)));
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
            int o = outOff + b * GROUP;
            for (int k = 0; k < 16; k += L) { // (d·scale)·(q − 32): the reference's operations
                IntVector a = Widen.u8(m, p + k), c = Widen.u8(m, p + 16 + k), h = Widen.u8(m, p + 32 + k);
                v0(a, h).sub(32f).mul(m.get(FLOAT_LE, pf)).intoArray(out, o + k);
                v1(a, h).sub(32f).mul(m.get(FLOAT_LE, pf + 4)).intoArray(out, o + 16 + k);
                v2(c, h).sub(32f).mul(m.get(FLOAT_LE, pf + 8)).intoArray(out, o + 32 + k);
                v3(c, h).sub(32f).mul(m.get(FLOAT_LE, pf + 12)).intoArray(out, o + 48 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64L * n, qh = p + 128 + 32L * n, sc = p + 192 + 8L * n;
                int o = outOff + b * BLOCK + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = u8(ql + l), c = u8(ql + 32 + l), h = u8(qh + l);
                    out[o + l] = d * s8(sc + is) * (((a & 0xF) | ((h & 3) << 4)) - 32);
                    out[o + l + 32] = d * s8(sc + is + 2) * (((c & 0xF) | (((h >> 2) & 3) << 4)) - 32);
                    out[o + l + 64] = d * s8(sc + is + 4) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
                    out[o + l + 96] = d * s8(sc + is + 6) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }

    private int s8(long offset) {
        return data.get(ValueLayout.JAVA_BYTE, offset);
    }
}
