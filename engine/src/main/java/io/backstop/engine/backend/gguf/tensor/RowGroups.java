package io.backstop.engine.backend.gguf.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A Q8_0/Q4_0 matrix repacked at load time for the kernels: rows in pairs, and for each pair and block the two
 * rows' quantized bytes side by side followed by their two scales as F32. A kernel doing two rows reads
 * one stream and shares each load of the activations between them, and no kernel converts
 * an F16 per block. Off-heap (freed with the tensor); the file's pages are dropped from memory after the
 * copy, so the weights are held once: {@code 2·quants + 8} bytes per two blocks instead of
 * {@code 2·(quants + 2)} (Q4_0 +11 %, Q8_0 +6 %), plus a zero row padding an odd count. (Pairs, not
 * fours: a kernel of four rows exceeds C2's inlining budget.)
 */
final class RowGroups {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    final MemorySegment packed;
    /** Blocks per row. */
    final int blocks;
    /** Quantized bytes per block and row. */
    final int quantBytes;
    /** Bytes per pair and block: the next block of a row is this far on. */
    final long stride;

    private RowGroups(MemorySegment packed, int blocks, int quantBytes) {
        this.packed = packed;
        this.blocks = blocks;
        this.quantBytes = quantBytes;
        this.stride = 2L * quantBytes + 8;
    }

    /**
     * Repacks {@code rows} rows of {@code blocks} GGUF blocks of {@code blockBytes} each: an F16 scale, then
     * {@code quantBytes} quantized bytes (the layout of Q8_0 and Q4_0).
     */
    static RowGroups repack(MemorySegment src, int rows, int blocks, int blockBytes, int quantBytes) {
        RowGroups g = new RowGroups(Arena.ofAuto().allocate((rows + 1L) / 2 * blocks * (2L * quantBytes + 8), 64), blocks, quantBytes);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                long s = ((long) r * blocks + b) * blockBytes, q = g.quants(r, b);
                for (int i = 0; i < quantBytes; i += 8) g.packed.set(LONG, q + i, src.get(LONG, s + 2 + i));
                g.packed.set(FLOAT_LE, g.scale(r, b), Float.float16ToFloat(src.get(SHORT_LE, s)));
            }
        }
        if (src.isMapped()) src.unload(); // read once; the copy is what the kernels use
        return g;
    }

    /** Offset of row {@code r}'s quantized bytes of block {@code b}. */
    long quants(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + (long) (r & 1) * quantBytes;
    }

    /** Offset of row {@code r}'s F32 scale of block {@code b}. */
    long scale(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + 2L * quantBytes + 4L * (r & 1);
    }
}
