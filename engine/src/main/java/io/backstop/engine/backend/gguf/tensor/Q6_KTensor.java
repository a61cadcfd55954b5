package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K: super-blocks of 256 values: 128 bytes {@code ql} (low 4 bits), 64 bytes {@code qh} (high 2
 * bits), 16 signed 8-bit scales (one per 16 values), then {@code d} (F16) last. Each half n (128
 * values) uses ql[64n ..], qh[32n ..]: for l &lt; 32, value 128n + l + 32i takes its low bits from the
 * low (i = 0, 1) or high (i = 2, 3) nibble of ql[64n + l + 32·(i mod 2)] and its high bits from bits
 * 2i, 2i + 1 of qh[32n + l]; value = d·scale·(q − 32).
 *
 * <p>With vectors, repacked at load into {@link Q6_KLanes} for both decode copies ({@link DecodeLayout}): rows in
 * vector lanes, a signed byte {@code q − 32} per weight (1.08 bytes per weight, the file's 0.82: gathering 6 bits from
 * two planes cost more than the extra bytes), token by token in any batch, so long rows cost no more per weight than
 * short ones; prefill decodes rows from the file ({@link #decodeFileRow}). The batch copy held row pairs in Q8_0's
 * shape (F32 {@code d·scale} per 16 values, 1.25 bytes per weight) with kernels for two and four tokens: the lanes
 * computed the output matrix of a TinyLlama-shaped Q4_0 step in 0.64× its time at one row, 0.6× at two, 0.94× at
 * four and the same at eight ({@code bench step --layout BATCH}). {@link #dequantizeRow} reads the file's blocks: the
 * reference the repacked kernels are tested against.
 */
public final class Q6_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 210;
    private static final int SUB = 32;

    /** The repacked weights ({@link Q6_KLanes}: rows in lanes, a byte per weight), or null without vectors. */
    private final Q6_KLanes lanes;

    Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        this(name, data, rows, cols, DecodeLayout.BATCH);
    }

    /** Both decode copies take {@link Q6_KLanes} (with vectors): {@code layout} is the model's, the same for every Q6_K tensor. */
    Q6_KTensor(String name, MemorySegment data, int rows, int cols, DecodeLayout layout) {
        super(name, data, rows, cols);
        lanes = Lanes.VECTOR ? Q6_KLanes.repack(data, rows, cols / BLOCK) : null;
        if (lanes != null && data.isMapped()) data.unload(); // read once; prefill decodes rows from the file again (decodeFileRow)
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return lanes != null ? lanes.dot(row, x, xOff) : scalarDot(row, x, xOff);
    }

    /** Token by token through {@link Q6_KLanes}' quads: each token the bits of {@link #dot} whatever the batch. */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (lanes == null) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        int need = lanes.scratchFloats();
        lanes.matmul(x, n, cols, out, outOff, outStride, from, to, add, scratch.length >= need ? scratch : new float[need]);
    }

    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add) {
        fusedRows(x, n, out, outOff, outStride, from, to, add, new float[0]);
    }

    /** Below the tile, batches stay on {@link #fusedRows}: the lanes take them token by token. */
    @Override
    int fusedBelow() {
        return lanes != null ? PAIRED_FUSED_BELOW : FUSED_BELOW;
    }

    @Override
    String fusedPath(int n, int scratchFloats) {
        return lanes != null ? L + " rows in lanes (quads, token by token) × " + n + (n == 1 ? " token" : " tokens") : super.fusedPath(n, scratchFloats);
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (lanes == null) dequantizeRow(row, out, outOff);
        else decodeFileRow(row, out, outOff);
    }

    /**
     * {@link #dequantizeRow}'s operations on the file's blocks, L values of l at a time (so its bits): the row decoder of
     * the lanes, whose rows lie across vectors (prefill pages the file's blocks back in; they are clean
     * pages). The Vector API's own methods only, as Q4_K's {@code decodeFileRow}.
     */
    private void decodeFileRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64L * n, qh = p + 128 + 32L * n, sc = p + 192 + 8L * n;
                int o = outOff + b * BLOCK + 128 * n;
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(Lanes.B, data, ql + l, Lanes.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(Lanes.B, data, ql + 32 + l, Lanes.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(Lanes.B, data, qh + l, Lanes.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
                    float d0 = d * s8(sc + is), d1 = d * s8(sc + is + 2), d2 = d * s8(sc + is + 4), d3 = d * s8(sc + is + 6);
                    ((FloatVector) a.and(15).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0)).mul(d0).intoArray(out, o + l);
                    ((FloatVector) c.and(15).or(h.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0)).mul(d1).intoArray(out, o + l + 32);
                    ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).or(h.and(48)).sub(32).convert(VectorOperators.I2F, 0)).mul(d2).intoArray(out, o + l + 64);
                    ((FloatVector) c.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and(48)).sub(32).convert(VectorOperators.I2F, 0)).mul(d3).intoArray(out, o + l + 96);
                }
            }
        }
    }

    /** Value c's unsigned six-bit q (0..63) of the file's super-block at {@code p}: the repacked copies' source. */
    static int value(MemorySegment file, long p, int c) {
        int n = c / 128, l = c % 32, i = c % 128 / 32;
        int lo = (Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p + 64L * n + l + 32L * (i & 1))) >> 4 * (i >> 1)) & 15;
        int hi = (Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p + 128 + 32L * n + l)) >> 2 * i) & 3;
        return lo | hi << 4;
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
