package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * A K-quant matrix repacked at load time for the kernels, as {@link RowGroups} does for Q4_0: rows in pairs,
 * and for each pair and block the two rows' quantized bytes side by side, then each row's F32 factors
 * (scales, mins) of that block. A kernel doing two rows reads one stream, shares each load of the
 * activations between them, and decodes no packed 6-bit scale or F16 per block. The owning tensor fills
 * {@link #packed} through {@link #quants} and {@link #factors}, then drops the file's pages.
 *
 * <p>Memory: native ({@link RowGroups#allocate}), freed when the tensor is collected, plus a zero row padding
 * an odd count.
 */
final class KPairs {
    /** Shuffles bringing lane i + w to lane i, as {@link Lanes#sum}'s; separate constants so C2 sees each one. */
    private static final VectorShuffle<Float> HALF = fold(L / 2), QUARTER = fold(L / 4), EIGHTH = fold(Math.max(1, L / 8)), SIXTEENTH = fold(Math.max(1, L / 16));
    /** The upper half of the lanes. */
    static final VectorMask<Float> UPPER = VectorMask.fromLong(F, ((1L << L) - 1) & (-1L << (L / 2)));

    final MemorySegment packed;
    /** Blocks per row. */
    final int blocks;
    /** Quantized bytes per block and row. */
    final int quantBytes;
    /** F32 factors per block and row. */
    final int factors;
    /** Bytes per pair and block: the next block of a row is this far on. */
    final long stride;

    KPairs(int rows, int blocks, int quantBytes, int factors) {
        this.blocks = blocks;
        this.quantBytes = quantBytes;
        this.factors = factors;
        this.stride = 2L * quantBytes + 8L * factors;
        this.packed = RowGroups.allocate((rows + 1L) / 2 * blocks * stride);
        if ((rows & 1) != 0) packed.asSlice((rows - 1L) / 2 * blocks * stride).fill((byte) 0); // the padding row
    }

    /** Offset of row {@code r}'s quantized bytes of block {@code b}. */
    long quants(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + (long) (r & 1) * quantBytes;
    }

    /** Offset of row {@code r}'s first F32 factor of block {@code b}. */
    long factors(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + 2L * quantBytes + 4L * factors * (r & 1);
    }

    /**
     * A copy of a tensor's file bytes in native memory ({@link RowGroups#allocate}), the file's pages dropped.
     * For the K-quant kernels that read the file's layout as it is: with every kernel of a model reading the
     * same kind of segment, the Vector API loads' call sites stay monomorphic. Mapped and native segments mixed
     * (Q4_K repacked, Q6_K mapped) made C2 compile them polymorphically and halved Q4_K_M decode end to end,
     * though each kernel alone was faster.
     */
    static MemorySegment copy(MemorySegment src) {
        MemorySegment m = RowGroups.allocate(src.byteSize());
        m.copyFrom(src);
        if (src.isMapped()) src.unload();
        return m;
    }

    /**
     * {@link Lanes#sum} of two rows' accumulators at once, with the same adds per row in the same order (so
     * the same bits): after the first fold, row 0's partial sums sit in the lower half of the lanes and row 1's
     * in the upper half of one vector, folded on together. Half the shuffles and adds of two {@link Lanes#sum}s:
     * small enough for C2 to inline at the end of a two-row kernel, where two sums exceeded its node budget
     * and boxed the vectors.
     */
    static void sums(FloatVector a0, FloatVector a1, float[] out, int o, boolean add) {
        FloatVector v = a0.add(a0.rearrange(HALF)).blend(a1.add(a1.rearrange(HALF)).rearrange(HALF), UPPER);
        v = v.add(v.rearrange(QUARTER)); // then as Lanes.sum: by L/4, L/8, …, 1 (L is 8 or 16)
        v = v.add(v.rearrange(EIGHTH));
        if (L >= 16) v = v.add(v.rearrange(SIXTEENTH));
        WeightTensor.put(out, o, v.lane(0), add);
        WeightTensor.put(out, o + 1, v.lane(L / 2), add);
    }

    private static VectorShuffle<Float> fold(int w) {
        return VectorShuffle.fromOp(F, i -> (i + w) & (L - 1));
    }
}
