package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values, {@code d} (F16) then 16 bytes; value j &lt; 16 is the low nibble of byte j,
 * value 16 + j its high nibble; value = d·(q − 8).
 */
public final class Q4_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 18;

    Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
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
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 2 + k);
                s = Widen.toFloat(q.and(15).sub(8)).fma(FloatVector.fromArray(F, x, xo + k), s);
                s = Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4).sub(8)).fma(FloatVector.fromArray(F, x, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(p)), acc);
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
            float d = f16(p);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 2 + k);
                Widen.toFloat(q.and(15).sub(8)).mul(d).intoArray(out, o + k);
                Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4).sub(8)).mul(d).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = u8(p + 2 + j);
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }
}
