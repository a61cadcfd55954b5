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
 * Q5_K: super-blocks of 256 values: {@code d}, {@code dmin} (F16), 12 bytes of scales and mins as in
 * Q4_K, 32 bytes {@code qh}, 128 bytes of nibbles laid out as in Q4_K. Byte l of {@code qh} holds the
 * fifth bit of value 64c + l in bit 2c and of value 64c + 32 + l in bit 2c + 1.
 */
public final class Q5_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 176;

    /** The file's blocks copied into native memory, as Q4_K's and Q4_0's repacked copies are ({@link KPairs#copy}). */
    private final MemorySegment copy;

    Q5_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        copy = KPairs.copy(data);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long p = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        FloatVector mins = FloatVector.zero(F);
        for (int j = 0; j < cols / 32; j++) { // one sub-block of 32 per iteration, as in Q4_K
            long b = p + (long) (j >> 3) * BYTES;
            int sub = j & 7;
            long q0 = b + 48 + 32L * (sub >> 1);
            int shift = 4 * (sub & 1), x0 = xOff + 32 * j;
            FloatVector s = FloatVector.zero(F), xs = s;
            for (int k = 0; k < 32; k += L) {
                FloatVector a = FloatVector.fromArray(F, x, x0 + k);
                IntVector q = Widen.u8(copy, q0 + k).lanewise(VectorOperators.LSHR, shift).and(15)
                        .or(Widen.u8(copy, b + 16 + k).lanewise(VectorOperators.LSHR, sub).and(1).lanewise(VectorOperators.LSHL, 4));
                s = Widen.toFloat(q).fma(a, s);
                xs = xs.add(a);
            }
            acc = s.fma(FloatVector.broadcast(F, f16q(b) * KScales.scale(copy, b + 4, sub)), acc);
            mins = xs.fma(FloatVector.broadcast(F, f16q(b + 2) * KScales.min(copy, b + 4, sub)), mins);
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
        for (int j = 0; j < cols / 32; j++) {
            long b = p + (long) (j >> 3) * BYTES;
            int sub = j & 7;
            long q0 = b + 48 + 32L * (sub >> 1);
            int shift = 4 * (sub & 1), o = outOff + 32 * j;
            float d = f16q(b) * KScales.scale(copy, b + 4, sub), m = f16q(b + 2) * KScales.min(copy, b + 4, sub);
            for (int k = 0; k < 32; k += L) {
                IntVector q = Widen.u8(copy, q0 + k).lanewise(VectorOperators.LSHR, shift).and(15)
                        .or(Widen.u8(copy, b + 16 + k).lanewise(VectorOperators.LSHR, sub).and(1).lanewise(VectorOperators.LSHL, 4));
                Widen.toFloat(q).mul(d).sub(m).intoArray(out, o + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16q(p);
            float dmin = f16q(p + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(copy, p + 4, 2 * c), m1 = dmin * KScales.min(copy, p + 4, 2 * c);
                float d2 = d * KScales.scale(copy, p + 4, 2 * c + 1), m2 = dmin * KScales.min(copy, p + 4, 2 * c + 1);
                int o = outOff + b * BLOCK + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int q = u8q(p + 48 + 32L * c + l);
                    int h = u8q(p + 16 + l);
                    out[o + l] = d1 * ((q & 0xF) + ((h >> (2 * c)) & 1) * 16) - m1;
                    out[o + 32 + l] = d2 * ((q >> 4) + ((h >> (2 * c + 1)) & 1) * 16) - m2;
                }
            }
        }
    }

    private float f16q(long offset) {
        return Float.float16ToFloat(copy.get(SHORT_LE, offset));
    }

    private int u8q(long offset) {
        return Byte.toUnsignedInt(copy.get(ValueLayout.JAVA_BYTE, offset));
    }
}
