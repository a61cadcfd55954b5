package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * Q6_K: super-blocks of 256 values: 128 bytes {@code ql} (low 4 bits), 64 bytes {@code qh} (high 2
 * bits), 16 signed 8-bit scales (one per 16 values), then {@code d} (F16) last. Each half n (128
 * values) uses ql[64n ..], qh[32n ..]: for l &lt; 32, value 128n + l + 32i takes its low bits from the
 * low (i = 0, 1) or high (i = 2, 3) nibble of ql[64n + l + 32·(i mod 2)] and its high bits from bits
 * 2i, 2i + 1 of qh[32n + l]; value = d·scale·(q − 32).
 *
 * <p>Unpacked at load time ({@link #packed}): assembling six bits from two bytes took ten vector
 * operations per 16 values, more than the multiply-adds, so the kernels get each value as a signed
 * byte (q − 32) and each run of 16 its {@code d·scale} as F32, in groups of four rows. The kernels take one
 * row per pass: two rows sharing each activation load measured no faster, four exceed C2's inlining budget.
 * The file's pages are dropped after the copy; the weights are held once, at 1.25 bytes per value instead
 * of 0.82 in the file (+0.25 of F32 scales on the heap before).
 */
public final class Q6_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 210;
    /** Bytes per group of four rows and 32 values: 4 × 32 signed values, then 4 × 2 F32 scales. */
    private static final int UNIT = 160;

    /**
     * Rows in groups of four (zero rows pad the last); for group g and each run u of 32 values, at
     * {@code (g·cols/32 + u)·160}: the four rows' 32 values q − 32 as signed bytes, then each row's two
     * {@code d·scale} (values 0–15, 16–31 of the run), the very floats {@link #dequantizeRow} multiplies with.
     */
    private final MemorySegment packed;
    private final int units;

    Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        units = cols / 32;
        packed = RowGroups.allocateLines((rows + 3L) / 4 * units * UNIT);
        byte[] block = new byte[BYTES];
        byte[] values = new byte[256];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < cols / BLOCK; b++) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes + (long) b * BYTES, block, 0, BYTES);
                float d = Float.float16ToFloat((short) ((block[208] & 0xFF) | block[209] << 8));
                for (int n = 0; n < 2; n++) {
                    for (int l = 0; l < 32; l++) {
                        int a = block[64 * n + l] & 0xFF, c = block[64 * n + 32 + l] & 0xFF, h = block[128 + 32 * n + l] & 0xFF;
                        values[128 * n + l] = (byte) (((a & 0xF) | ((h & 3) << 4)) - 32);
                        values[128 * n + l + 32] = (byte) (((c & 0xF) | (((h >> 2) & 3) << 4)) - 32);
                        values[128 * n + l + 64] = (byte) (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
                        values[128 * n + l + 96] = (byte) (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
                    }
                }
                for (int i = 0; i < 8; i++) { // run u = 8b + i: half i / 4, quarter i % 4
                    long at = unit(r, 8 * b + i);
                    MemorySegment.copy(values, 32 * i, packed, ValueLayout.JAVA_BYTE, at + 32L * (r & 3), 32);
                    int sc = 192 + 8 * (i >> 2) + 2 * (i & 3);
                    packed.set(FLOAT_LE, at + 128 + 8L * (r & 3), d * block[sc]);
                    packed.set(FLOAT_LE, at + 132 + 8L * (r & 3), d * block[sc + 1]);
                }
            }
        }
        if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
    }

    /** Offset of run {@code u} of the group holding row {@code r}. */
    private long unit(int r, int u) {
        return ((long) (r >> 2) * units + u) * UNIT;
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        MemorySegment m = packed;
        long q = unit(row, 0) + 32L * (row & 3), s = unit(row, 0) + 128 + 8L * (row & 3);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        // Values 0–15 of each run into a0, 16–31 into a1: each run of 16 is scaled once, two chains of FMAs.
        for (int u = 0; u < units; u++) { // one induction variable: C2 hoists the bounds checks
            long p = q + (long) u * UNIT, ps = s + (long) u * UNIT;
            int x0 = xOff + 32 * u;
            FloatVector s0 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), s1 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4));
            for (int k = 0; k < 16; k += L) {
                a0 = Widen.s8(m, p + k).mul(FloatVector.fromArray(F, x, x0 + k)).fma(s0, a0);
                a1 = Widen.s8(m, p + 16 + k).mul(FloatVector.fromArray(F, x, x0 + 16 + k)).fma(s1, a1);
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
        MemorySegment m = packed;
        long q = unit(row, 0) + 32L * (row & 3), s = unit(row, 0) + 128 + 8L * (row & 3);
        for (int u = 0; u < units; u++) {
            long p = q + (long) u * UNIT, ps = s + (long) u * UNIT;
            int o = outOff + 32 * u;
            float s0 = m.get(FLOAT_LE, ps), s1 = m.get(FLOAT_LE, ps + 4);
            for (int k = 0; k < 16; k += L) {
                Widen.s8(m, p + k).mul(s0).intoArray(out, o + k);
                Widen.s8(m, p + 16 + k).mul(s1).intoArray(out, o + 16 + k);
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
