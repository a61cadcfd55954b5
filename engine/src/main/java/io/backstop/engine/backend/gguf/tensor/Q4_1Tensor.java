package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q4_1: blocks of 32 values, {@code d} and {@code m} (F16) then 16 bytes of nibbles as in Q4_0; value = d·q + m. */
public final class Q4_1Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 20;

    Q4_1Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) { // one induction variable: C2 hoists the bounds checks
            long p = base + (long) b * BYTES;
            int xo = xOff + b * BLOCK;
            FloatVector s = FloatVector.zero(F);
            FloatVector xs = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 4 + k);
                FloatVector x0 = FloatVector.fromArray(F, x, xo + k);
                FloatVector x1 = FloatVector.fromArray(F, x, xo + 16 + k);
                s = Widen.toFloat(q.and(15)).fma(x0, s);
                s = Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(x1, s);
                xs = xs.add(x0).add(x1);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(p)), acc); // Σ (d·q + m)·x = d·Σ q·x + m·Σ x
            acc = xs.fma(FloatVector.broadcast(F, f16(p + 2)), acc);
        }
        return Lanes.sum(acc);
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long base = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = base + (long) b * BYTES;
            int o = outOff + b * BLOCK;
            float d = f16(p), m = f16(p + 2);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 4 + k);
                Widen.toFloat(q.and(15)).mul(d).add(m).intoArray(out, o + k);
                Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4)).mul(d).add(m).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            float m = f16(p + 2);
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = u8(p + 4 + j);
                out[o + j] = (q & 0xF) * d + m;
                out[o + j + 16] = (q >> 4) * d + m;
            }
        }
    }
}
