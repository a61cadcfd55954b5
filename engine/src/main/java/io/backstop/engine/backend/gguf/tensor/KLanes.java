package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;

/**
 * A K-quant matrix repacked at load time with its rows in vector lanes: groups of L rows (a zero row pads the
 * last), and for each group the quantized values as ints, lane i holding row i. One int of a row holds several
 * values of one span of the row (value c + 16·i of the span in byte or nibble i of the span's int c), so a decode
 * kernel unpacks one vector per value position, broadcasts the token's activation there and runs one FMA for L
 * rows: no lane sums, one sequential stream per group, and the F32 scales of L rows come as one vector. A row
 * is decoded ({@code decodeRow}) by gathering its int of each of the span's 16 vectors ({@link #gather}): the
 * span's 16 values of one position are then contiguous.
 *
 * <p>Memory: native ({@link RowGroups#allocate}), freed when the tensor is collected.
 */
final class KLanes {
    /** Ints per span and row: values c + 16·i of a span sit in its int c. */
    static final int SPAN_INTS = 16;
    private static final ThreadLocal<int[]> GATHER = ThreadLocal.withInitial(() -> new int[SPAN_INTS]);

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

    /** The int of lane {@code lane} of each of the {@link #SPAN_INTS} vectors at {@code span}, in a thread's array (element c: int c). */
    int[] gather(long span, int lane) {
        int[] g = GATHER.get();
        MemorySegment m = packed;
        for (int c = 0; c < SPAN_INTS; c++) g[c] = m.get(WeightTensor.INT_LE, span + 4L * (c * L + lane));
        return g;
    }
}
