package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;

/**
 * A K-quant matrix repacked at load time with its rows in vector lanes: groups of L rows (a zero row pads the
 * last), and for each group the quantized values as ints, lane i holding row i. One int of a row holds several
 * values of one span of the row (value c + 16·i of the span in byte or nibble i of the span's int c), so a decode
 * kernel unpacks one vector per value position, broadcasts the token's activation there and runs one FMA for L
 * rows: no lane sums, one sequential stream per group, and the F32 scales of L rows come as one vector. A single
 * row lies across the group's vectors, so rows are decoded from the file's blocks instead.
 *
 * <p>Memory: native ({@link RowGroups#allocate}), freed when the tensor is collected.
 */
final class KLanes {
    /** Ints per span and row: values c + 16·i of a span sit in its int c. */
    static final int SPAN_INTS = 16;

    final MemorySegment packed;
    /** Bytes per group. */
    final long groupBytes;

    KLanes(int rows, long groupBytes) {
        this.groupBytes = groupBytes;
        long groups = (rows + L - 1L) / L;
        packed = RowGroups.allocate(groups * groupBytes);
        if (rows % L != 0) packed.asSlice((groups - 1) * groupBytes).fill((byte) 0); // the padding rows
    }

    /** Offset of row r's group. */
    long group(int r) {
        return (long) (r / L) * groupBytes;
    }
}
