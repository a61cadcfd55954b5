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

    /** The file's blocks copied into native memory, as Q4_K's and Q4_0's repacked copies are ({@link KPairs#copy}). */
    private final MemorySegment copy;

    /**
     * The scales repacked at load: {@code d·scale} of each run of 16 values of the matrix (row-major), the
     * very floats {@link #dequantizeRow} multiplies with: reading the F16 {@code d} and the 8-bit scale per
     * group in the kernel cost more than the group's arithmetic. 4 bytes per 16 values (0.25 B per weight,
     * +30 % over Q6_K's 0.82).
     */
    private final float[] scales;

    Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        if ((long) rows * (cols / 16) > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(name + ": too many blocks to repack");
        copy = KPairs.copy(data);
        scales = new float[rows * (cols / 16)];
        int i = 0;
        for (long b = 0; b < data.byteSize(); b += BYTES) {
            float d = f16q(b + 208);
            for (int n = 0; n < 2; n++) {
                // value order: run r of 16 (0..15 in the super-block) = half n, quarter i, l / 16
                for (int q = 0; q < 4; q++) {
                    for (int h = 0; h < 2; h++) scales[i++] = d * s8(b + 192 + 8L * n + 2L * q + h);
                }
            }
        }
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long p = row * rowBytes;
        int s0 = row * (cols / 16);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        // Quarters i and i + 2 of a half per iteration: they share their ql bytes (low and high nibbles) and
        // qh bytes, which are loaded once. Two accumulators keep the FMAs off one dependency chain. (A whole
        // half per iteration has too many Vector API calls: C2 stops inlining them and boxes every vector.)
        for (int g = 0; g < cols / 64; g++) {
            int n = (g >> 1) & 1, i = g & 1;
            long b = p + (long) (g >> 2) * BYTES, ql = b + 64L * n + 32L * i, qh = b + 128 + 32L * n;
            int x0 = xOff + 128 * (g >> 1) + 32 * i, s = s0 + 8 * (g >> 1) + 2 * i, high = 2 * i;
            for (int l = 0; l < 32; l += L) {
                IntVector q = Widen.u8(copy, ql + l), top = Widen.u8(copy, qh + l).lanewise(VectorOperators.LSHR, high);
                IntVector lo = q.and(15).or(top.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(top.and(48)).sub(32);
                int r = s + l / 16;
                a0 = Widen.toFloat(lo).mul(FloatVector.fromArray(F, x, x0 + l)).fma(FloatVector.broadcast(F, scales[r]), a0);
                a1 = Widen.toFloat(hi).mul(FloatVector.fromArray(F, x, x0 + 64 + l)).fma(FloatVector.broadcast(F, scales[r + 4]), a1);
            }
        }
        return Lanes.sum(a0.add(a1));
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long p = row * rowBytes;
        int s0 = row * (cols / 16);
        for (int g = 0; g < cols / 32; g++) {
            long b = p + (long) (g >> 3) * BYTES;
            int n = (g >> 2) & 1, i = g & 3;
            long ql = b + 64L * n + 32L * (i & 1), qh = b + 128 + 32L * n;
            int nibble = 4 * (i >> 1), high = 2 * i, o = outOff + 32 * g, s = s0 + 2 * g;
            for (int l = 0; l < 32; l += L) {
                IntVector q = Widen.u8(copy, ql + l).lanewise(VectorOperators.LSHR, nibble).and(15)
                        .or(Widen.u8(copy, qh + l).lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                Widen.toFloat(q).mul(scales[s + l / 16]).intoArray(out, o + l);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16q(p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64L * n, qh = p + 128 + 32L * n, sc = p + 192 + 8L * n;
                int o = outOff + b * BLOCK + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = u8q(ql + l), c = u8q(ql + 32 + l), h = u8q(qh + l);
                    out[o + l] = d * s8(sc + is) * (((a & 0xF) | ((h & 3) << 4)) - 32);
                    out[o + l + 32] = d * s8(sc + is + 2) * (((c & 0xF) | (((h >> 2) & 3) << 4)) - 32);
                    out[o + l + 64] = d * s8(sc + is + 4) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
                    out[o + l + 96] = d * s8(sc + is + 6) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }

    private int s8(long offset) {
        return copy.get(ValueLayout.JAVA_BYTE, offset);
    }

    private float f16q(long offset) {
        return Float.float16ToFloat(copy.get(SHORT_LE, offset));
    }

    private int u8q(long offset) {
        return Byte.toUnsignedInt(copy.get(ValueLayout.JAVA_BYTE, offset));
    }
}
