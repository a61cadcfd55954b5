package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q5_1: blocks of 32 values, {@code d} and {@code m} (F16), {@code qh} and nibbles as in Q5_0; value = d·q + m. */
public final class Q5_1Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 24;

    Q5_1Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) { // one induction variable: C2 hoists the bounds checks
            long p = base + (long) b * BYTES;
            int xo = xOff + b * BLOCK;
            int qh = data.get(INT_LE, p + 4);
            FloatVector s = FloatVector.zero(F);
            FloatVector xs = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 8 + k);
                FloatVector x0 = FloatVector.fromArray(F, x, xo + k);
                FloatVector x1 = FloatVector.fromArray(F, x, xo + 16 + k);
                s = Widen.toFloat(q.and(15).or(Q5_0Tensor.highBits(qh >>> k))).fma(x0, s);
                s = Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4).or(Q5_0Tensor.highBits(qh >>> (16 + k)))).fma(x1, s);
                xs = xs.add(x0).add(x1);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(p)), acc);
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
            int qh = data.get(INT_LE, p + 4);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 8 + k);
                Widen.toFloat(q.and(15).or(Q5_0Tensor.highBits(qh >>> k))).mul(d).add(m).intoArray(out, o + k);
                Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4).or(Q5_0Tensor.highBits(qh >>> (16 + k)))).mul(d).add(m).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            float m = f16(p + 2);
            int qh = data.get(INT_LE, p + 4);
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = u8(p + 8 + j);
                out[o + j] = ((q & 0xF) | ((qh >>> j) & 1) << 4) * d + m;
                out[o + j + 16] = ((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) * d + m;
            }
        }
    }
}
