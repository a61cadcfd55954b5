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

    /**
     * The scales repacked at load: for sub-block s of the matrix (row-major, 32 values each), {@code d·scale}
     * at [2s] and {@code dmin·min} at [2s + 1], the very floats {@link #dequantizeRow} multiplies with.
     * Decoding the packed 6-bit scales per sub-block took two thirds of the kernel's time; this costs
     * 8 bytes per 32 values (0.25 B per weight, +44 % over Q4_K's 0.5625).
     */
    private final float[] scales;

    Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        if ((long) rows * (cols / 32) * 2 > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(name + ": too many blocks to repack");
        scales = new float[rows * (cols / 32) * 2];
        int i = 0;
        for (long b = 0; b < data.byteSize(); b += BYTES) {
            float d = f16(b), dmin = f16(b + 2);
            for (int j = 0; j < 8; j++) {
                scales[i++] = d * KScales.scale(data, b + 4, j);
                scales[i++] = dmin * KScales.min(data, b + 4, j);
            }
        }
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long p = row * rowBytes;
        int s0 = row * (cols / 32) * 2;
        FloatVector acc = FloatVector.zero(F);
        FloatVector mins = FloatVector.zero(F);
        // One pair of sub-blocks per iteration: 32 bytes read once, low nibbles = sub-block 2c, high = 2c + 1
        // (a small loop body with one induction variable: C2 keeps every vector call inlined and hoists the checks)
        for (int c = 0; c < cols / 64; c++) {
            long b = p + (long) (c >> 2) * BYTES;
            int x0 = xOff + 64 * c, s = s0 + 4 * c;
            long q0 = b + 16 + 32L * (c & 3);
            FloatVector lo = FloatVector.zero(F), hi = lo, xl = lo, xh = lo;
            for (int k = 0; k < 32; k += L) {
                IntVector q = Widen.u8(data, q0 + k);
                FloatVector a = FloatVector.fromArray(F, x, x0 + k), h = FloatVector.fromArray(F, x, x0 + 32 + k);
                lo = Widen.toFloat(q.and(15)).fma(a, lo);
                hi = Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(h, hi);
                xl = xl.add(a);
                xh = xh.add(h);
            }
            acc = lo.fma(FloatVector.broadcast(F, scales[s]), acc);
            acc = hi.fma(FloatVector.broadcast(F, scales[s + 2]), acc);
            mins = xl.fma(FloatVector.broadcast(F, scales[s + 1]), mins); // Σ min·x, subtracted at the end
            mins = xh.fma(FloatVector.broadcast(F, scales[s + 3]), mins);
        }
        return Lanes.sum(acc.sub(mins));
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long p = row * rowBytes;
        int s0 = row * (cols / 32) * 2;
        for (int c = 0; c < cols / 64; c++) {
            long q0 = p + (long) (c >> 2) * BYTES + 16 + 32L * (c & 3);
            int o = outOff + 64 * c, s = s0 + 4 * c;
            float d1 = scales[s], m1 = scales[s + 1], d2 = scales[s + 2], m2 = scales[s + 3];
            for (int k = 0; k < 32; k += L) {
                IntVector q = Widen.u8(data, q0 + k);
                Widen.toFloat(q.and(15)).mul(d1).sub(m1).intoArray(out, o + k);
                Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4)).mul(d2).sub(m2).intoArray(out, o + 32 + k);
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
