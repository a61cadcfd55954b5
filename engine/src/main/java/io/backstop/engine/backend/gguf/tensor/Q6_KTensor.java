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
 */
public final class Q6_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 210;

    Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long p = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        // One group of 32 values per iteration (a small loop body keeps C2 inlining every vector call):
        // group g of a super-block is quarter i = g mod 4 of half n = g / 4
        for (int g = 0; g < cols / 32; g++) {
            long b = p + (long) (g >> 3) * BYTES;
            int n = (g >> 2) & 1, i = g & 3;
            long ql = b + 64L * n + 32L * (i & 1), qh = b + 128 + 32L * n, sc = b + 192 + 8L * n + 2L * i;
            int nibble = 4 * (i >> 1), high = 2 * i, x0 = xOff + 32 * g;
            float d = f16(b + 208);
            for (int l = 0; l < 32; l += L) {
                IntVector q = Widen.u8(data, ql + l).lanewise(VectorOperators.LSHR, nibble).and(15)
                        .or(Widen.u8(data, qh + l).lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                acc = Widen.toFloat(q).mul(FloatVector.fromArray(F, x, x0 + l)).fma(FloatVector.broadcast(F, d * s8(sc + l / 16)), acc);
            }
        }
        return Lanes.sum(acc);
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long p = row * rowBytes;
        for (int g = 0; g < cols / 32; g++) {
            long b = p + (long) (g >> 3) * BYTES;
            int n = (g >> 2) & 1, i = g & 3;
            long ql = b + 64L * n + 32L * (i & 1), qh = b + 128 + 32L * n, sc = b + 192 + 8L * n + 2L * i;
            int nibble = 4 * (i >> 1), high = 2 * i, o = outOff + 32 * g;
            float d = f16(b + 208);
            for (int l = 0; l < 32; l += L) {
                IntVector q = Widen.u8(data, ql + l).lanewise(VectorOperators.LSHR, nibble).and(15)
                        .or(Widen.u8(data, qh + l).lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                Widen.toFloat(q).mul(d * s8(sc + l / 16)).intoArray(out, o + l);
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
