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

    Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long p = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        FloatVector mins = FloatVector.zero(F);
        for (int b = 0, xo = xOff; b < cols / BLOCK; b++, p += BYTES, xo += BLOCK) {
            float d = f16(p);
            float dmin = f16(p + 2);
            for (int c = 0; c < 4; c++) {
                long q0 = p + 16 + 32L * c;
                int x0 = xo + 64 * c;
                FloatVector lo = FloatVector.zero(F), hi = lo, xLo = lo, xHi = lo;
                for (int k = 0; k < 32; k += L) {
                    IntVector q = Widen.u8(data, q0 + k);
                    FloatVector a = FloatVector.fromArray(F, x, x0 + k);
                    FloatVector h = FloatVector.fromArray(F, x, x0 + 32 + k);
                    lo = Widen.toFloat(q.and(15)).fma(a, lo);
                    hi = Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(h, hi);
                    xLo = xLo.add(a);
                    xHi = xHi.add(h);
                }
                acc = lo.fma(FloatVector.broadcast(F, d * KScales.scale(data, p + 4, 2 * c)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * KScales.scale(data, p + 4, 2 * c + 1)), acc);
                mins = xLo.fma(FloatVector.broadcast(F, dmin * KScales.min(data, p + 4, 2 * c)), mins); // Σ min·x, subtracted once at the end
                mins = xHi.fma(FloatVector.broadcast(F, dmin * KScales.min(data, p + 4, 2 * c + 1)), mins);
            }
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
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p), dmin = f16(p + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(data, p + 4, 2 * c), m1 = dmin * KScales.min(data, p + 4, 2 * c);
                float d2 = d * KScales.scale(data, p + 4, 2 * c + 1), m2 = dmin * KScales.min(data, p + 4, 2 * c + 1);
                int o = outOff + b * BLOCK + 64 * c;
                for (int k = 0; k < 32; k += L) {
                    IntVector q = Widen.u8(data, p + 16 + 32L * c + k);
                    Widen.toFloat(q.and(15)).mul(d1).sub(m1).intoArray(out, o + k);
                    Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4)).mul(d2).sub(m2).intoArray(out, o + 32 + k);
                }
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
