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
        // One sub-block of 32 per iteration (a small loop body: C2 stops inlining Vector API calls in
        // large methods, and a non-inlined vector operation is boxed and about a thousand times slower)
        for (int j = 0; j < cols / 32; j++) {
            long b = p + (long) (j >> 3) * BYTES;
            int sub = j & 7;
            long q0 = b + 16 + 32L * (sub >> 1);
            int shift = 4 * (sub & 1), x0 = xOff + 32 * j;
            FloatVector s = FloatVector.zero(F), xs = s;
            for (int k = 0; k < 32; k += L) {
                FloatVector a = FloatVector.fromArray(F, x, x0 + k);
                s = Widen.toFloat(Widen.u8(data, q0 + k).lanewise(VectorOperators.LSHR, shift).and(15)).fma(a, s);
                xs = xs.add(a);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(b) * KScales.scale(data, b + 4, sub)), acc);
            mins = xs.fma(FloatVector.broadcast(F, f16(b + 2) * KScales.min(data, b + 4, sub)), mins); // Σ min·x, subtracted at the end
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
            long q0 = b + 16 + 32L * (sub >> 1);
            int shift = 4 * (sub & 1), o = outOff + 32 * j;
            float d = f16(b) * KScales.scale(data, b + 4, sub), m = f16(b + 2) * KScales.min(data, b + 4, sub);
            for (int k = 0; k < 32; k += L) {
                Widen.toFloat(Widen.u8(data, q0 + k).lanewise(VectorOperators.LSHR, shift).and(15)).mul(d).sub(m).intoArray(out, o + k);
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
