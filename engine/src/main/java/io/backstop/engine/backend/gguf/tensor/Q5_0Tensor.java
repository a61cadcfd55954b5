package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0: blocks of 32 values, {@code d} (F16), a 32-bit little-endian {@code qh} whose bit j is the fifth
 * bit of value j, then 16 bytes of low nibbles as in Q4_0; value = d·(q − 16).
 */
public final class Q5_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 22;

    Q5_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) { // one induction variable: C2 hoists the bounds checks
            long p = base + (long) b * BYTES;
            int xo = xOff + b * BLOCK;
            int qh = data.get(INT_LE, p + 2);
            FloatVector s = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 6 + k);
                IntVector lo = q.and(15).or(highBits(qh >>> k)).sub(16);
                IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(highBits(qh >>> (16 + k))).sub(16);
                s = Widen.toFloat(lo).fma(FloatVector.fromArray(F, x, xo + k), s);
                s = Widen.toFloat(hi).fma(FloatVector.fromArray(F, x, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(p)), acc);
        }
        return Lanes.sum(acc);
    }

    /** Bit i of {@code bits} moved to bit 4 of lane i. */
    static IntVector highBits(int bits) {
        return IntVector.broadcast(Lanes.I, bits).lanewise(VectorOperators.LSHR, Widen.IOTA).lanewise(VectorOperators.LSHL, 4).and(16);
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
            int qh = data.get(INT_LE, p + 2);
            for (int k = 0; k < 16; k += L) {
                IntVector q = Widen.u8(data, p + 6 + k);
                Widen.toFloat(q.and(15).or(highBits(qh >>> k)).sub(16)).mul(d).intoArray(out, o + k);
                Widen.toFloat(q.lanewise(VectorOperators.LSHR, 4).or(highBits(qh >>> (16 + k))).sub(16)).mul(d).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            int qh = data.get(INT_LE, p + 2);
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = u8(p + 6 + j);
                out[o + j] = (((q & 0xF) | ((qh >>> j) & 1) << 4) - 16) * d;
                out[o + j + 16] = (((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16) * d;
            }
        }
    }
}
