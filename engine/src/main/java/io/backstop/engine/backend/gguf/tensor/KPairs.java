package io.backstop.engine.backend.gguf.tensor;

import java.lang.foreign.MemorySegment;

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
}
