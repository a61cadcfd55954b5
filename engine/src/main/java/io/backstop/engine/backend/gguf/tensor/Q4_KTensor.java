package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K: super-blocks of 256 values: {@code d}, {@code dmin} (F16), 12 bytes of 6-bit scales and mins
 * ({@link KScales}), 128 bytes of nibbles. Each 32-byte run c holds sub-block 2c in its low nibbles and
 * 2c + 1 in its high nibbles; value = d·scale·q − dmin·min.
 */
public final class Q4_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 144;

    /** Bytes per group of four rows and 64 values: 4 × 32 bytes of nibbles, then 4 × 4 F32 scales. */
    private static final int UNIT = 192;

    /**
     * Rows in groups of four (zero rows pad the last); for group g and each pair c of sub-blocks (64 values),
     * at {@code (g·cols/64 + c)·192}: the four rows' 32 bytes of nibbles (sub-block 2c low, 2c + 1 high), then
     * per row {@code d·scale} and {@code dmin·min} of sub-blocks 2c and 2c + 1, the very floats
     * {@link #dequantizeRow} multiplies with. Decoding the packed 6-bit scales per sub-block took two thirds
     * of the kernel's time. The kernels read one stream at offsets linear in their loop variable (a group's
     * 6 KB per 2048 columns stays in L1 for its next rows). They take one row per pass: two or four rows sharing
     * each activation load exceed C2's NodeCountInliningCutoff, which then boxes vectors (3–100× slower).
     * The file's pages are dropped after the copy: 0.75 bytes per value held (the file has 0.5625).
     */
    private final MemorySegment packed;
    private final int pairs;

    Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        pairs = cols / 64;
        packed = RowGroups.allocateLines((rows + 3L) / 4 * pairs * UNIT);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < pairs; c++) {
                long b = r * rowBytes + (long) (c >> 2) * BYTES, at = pair(r, c);
                MemorySegment.copy(data, b + 16 + 32L * (c & 3), packed, at + 32L * (r & 3), 32);
                float d = f16(b), dmin = f16(b + 2);
                long s = at + 128 + 16L * (r & 3);
                int j = 2 * (c & 3);
                packed.set(FLOAT_LE, s, d * KScales.scale(data, b + 4, j));
                packed.set(FLOAT_LE, s + 4, d * KScales.scale(data, b + 4, j + 1));
                packed.set(FLOAT_LE, s + 8, dmin * KScales.min(data, b + 4, j));
                packed.set(FLOAT_LE, s + 12, dmin * KScales.min(data, b + 4, j + 1));
            }
        }
        if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
    }

    /** Offset of pair {@code c} of the group holding row {@code r}. */
    private long pair(int r, int c) {
        return ((long) (r >> 2) * pairs + c) * UNIT;
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        MemorySegment m = packed;
        long q = pair(row, 0) + 32L * (row & 3), s = pair(row, 0) + 128 + 16L * (row & 3);
        FloatVector acc = FloatVector.zero(F), mins = acc;
        // One pair of sub-blocks per iteration: 32 bytes read once, low nibbles = sub-block 2c, high = 2c + 1
        // (a small loop body with one induction variable: C2 keeps every vector call inlined and hoists the checks)
        for (int c = 0; c < pairs; c++) {
            long p = q + (long) c * UNIT, ps = s + (long) c * UNIT;
            int x0 = xOff + 64 * c;
            FloatVector lo = FloatVector.zero(F), hi = lo, xl = lo, xh = lo;
            for (int k = 0; k < 32; k += L) {
                FloatVector a = FloatVector.fromArray(F, x, x0 + k), h = FloatVector.fromArray(F, x, x0 + 32 + k);
                xl = xl.add(a);
                xh = xh.add(h);
                IntVector w = Widen.u8(m, p + k);
                lo = Widen.toFloat(w.and(15)).fma(a, lo);
                hi = Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4)).fma(h, hi);
            }
            acc = lo.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), acc);
            acc = hi.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), acc);
            mins = xl.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 8)), mins); // Σ min·x, subtracted at the end
            mins = xh.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 12)), mins);
        }
        return Lanes.sum(acc.sub(mins));
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        MemorySegment m = packed;
        long q = pair(row, 0) + 32L * (row & 3), s = pair(row, 0) + 128 + 16L * (row & 3);
        for (int c = 0; c < pairs; c++) {
            long p = q + (long) c * UNIT, ps = s + (long) c * UNIT;
            int o = outOff + 64 * c;
            float d1 = m.get(FLOAT_LE, ps), d2 = m.get(FLOAT_LE, ps + 4), m1 = m.get(FLOAT_LE, ps + 8), m2 = m.get(FLOAT_LE, ps + 12);
            for (int k = 0; k < 32; k += L) {
                IntVector w = Widen.u8(m, p + k);
                Widen.toFloat(w.and(15)).mul(d1).sub(m1).intoArray(out, o + k);
                Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4)).mul(d2).sub(m2).intoArray(out, o + 32 + k);
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
