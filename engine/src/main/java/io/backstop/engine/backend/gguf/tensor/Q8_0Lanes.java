package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static jdk.incubator.vector.VectorOperators.B2F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q8_0's one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): rows in vector lanes, groups of L rows in quads of four,
 * each quad one sequential stream, as {@link Q6_KLanes}: per block of 32 columns the four groups' L signed bytes per
 * column side by side, then the four groups' L F32 {@code d} (1.125 bytes per weight, as the row pairs). One kernel
 * call per quad, token and whole row ({@link #four}), so a lone token reads one stream and sums no lanes; the row pairs
 * ({@link RowGroups}) read a row's blocks and sum its lanes at its end, 0.80× llama.cpp's decode on an AMD Zen 4 host
 * (README, "Q8_0 in lanes for one sequence").
 *
 * <p>Per row and token the operations are, per block: {@code c = 0}, {@code e = 0}; for i = 0, 2, .., 30
 * {@code c = fma(q_i, x_i, c)}, {@code e = fma(q_{i+1}, x_{i+1}, e)}; then {@code acc = fma(d, c + e, acc)}.
 * {@link #dot} and the kernel do exactly that, so a token gets the same bits in any batch (which this copy runs token
 * by token) and any row range; not the row pairs' bits (they differ by float rounding).
 */
final class Q8_0Lanes {
    static final int BLOCK = Q8_0Tensor.BLOCK;
    /** Groups of L rows per quad. */
    static final int QUAD = 4;
    /** Bytes of one column of a quad. */
    static final long COLUMN = QUAD * (long) L;
    /** Bytes of a quad's block: its 32 columns, then per group L F32 {@code d}. */
    static final long BLOCK_BYTES = BLOCK * COLUMN + QUAD * 4L * L;

    final MemorySegment packed;
    final int blocks;

    private Q8_0Lanes(MemorySegment packed, int blocks) {
        this.packed = packed;
        this.blocks = blocks;
    }

    /** Offset of quad {@code quad}'s block {@code b}. */
    long blockOf(int quad, int b) {
        return ((long) quad * blocks + b) * BLOCK_BYTES;
    }

    /** Offset of the byte of row {@code lane} (of its quad's 4·L) for column c of the block at {@code at}. */
    private static long at(long at, int lane, int c) {
        return at + c * COLUMN + lane;
    }

    /** Offset of the F32 {@code d} of row {@code lane} (of its quad's 4·L) in the block at {@code at}. */
    private static long dAt(long at, int lane) {
        return at + BLOCK * COLUMN + (lane / L) * 4L * L + 4L * (lane % L);
    }

    /** Repacks {@code rows} rows of {@code blocks} GGUF Q8_0 blocks from {@code src}; the caller drops the file's pages. */
    static Q8_0Lanes repack(MemorySegment src, int rows, int blocks) {
        int rowsPerQuad = QUAD * L, quads = (rows + rowsPerQuad - 1) / rowsPerQuad;
        Q8_0Lanes t = new Q8_0Lanes(RowGroups.allocate((long) quads * blocks * BLOCK_BYTES), blocks);
        MemorySegment m = t.packed;
        m.fill((byte) 0); // the padding rows
        for (int r = 0; r < rows; r++) {
            int quad = r / rowsPerQuad, lane = r % rowsPerQuad;
            for (int b = 0; b < blocks; b++) {
                long p = ((long) r * blocks + b) * Q8_0Tensor.BYTES, at = t.blockOf(quad, b);
                m.set(WeightTensor.FLOAT_LE, dAt(at, lane), Float.float16ToFloat(src.get(WeightTensor.SHORT_LE, p)));
                for (int c = 0; c < BLOCK; c++) m.set(ValueLayout.JAVA_BYTE, at(at, lane, c), src.get(ValueLayout.JAVA_BYTE, p + 2 + c));
            }
        }
        return t;
    }

    /** Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernel's operations in its order (so its bits). */
    float dot(int row, float[] x, int xOff) {
        int rowsPerQuad = QUAD * L, quad = row / rowsPerQuad, lane = row % rowsPerQuad;
        MemorySegment m = packed;
        float acc = 0;
        for (int b = 0; b < blocks; b++) {
            long at = blockOf(quad, b);
            int xo = xOff + b * BLOCK;
            float c = 0, e = 0;
            for (int i = 0; i < BLOCK; i += 2) {
                c = Math.fma((float) m.get(ValueLayout.JAVA_BYTE, at(at, lane, i)), x[xo + i], c);
                e = Math.fma((float) m.get(ValueLayout.JAVA_BYTE, at(at, lane, i + 1)), x[xo + i + 1], e);
            }
            acc = Math.fma(m.get(WeightTensor.FLOAT_LE, dAt(at, lane)), c + e, acc);
        }
        return acc;
    }

    /** Floats of scratch {@link #matmul} needs: a quad's sums. */
    int scratchFloats() {
        return QUAD * L;
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), token by token, with {@link #scratchFloats}
     * of scratch: per quad the rows cover, one {@link #four} call per token. A quad the range covers in part is
     * computed whole and only its rows in the range written.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int rowsPerQuad = QUAD * L;
        for (int quad = from / rowsPerQuad; quad * rowsPerQuad < to; quad++) {
            for (int t = 0; t < n; t++) { // a quad at a time: later tokens find it in cache
                four(packed, blockOf(quad, 0), blocks, x, t * cols, scratch);
                WeightTensor.putRows(scratch, quad * rowsPerQuad, rowsPerQuad, from, to, out, outOff + t * outStride, add);
            }
        }
    }

    /**
     * A quad (from {@code q0}) times one token (activations from {@code x[xOff]}), its whole rows: the four groups' sums
     * into {@code s[0 .. 4·L)}. The Vector API's own methods only, no helpers of ours (C2 left them calls in long
     * kernels, and boxed the vectors).
     */
    static void four(MemorySegment m, long q0, int blocks, float[] x, int xOff, float[] s) {
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        FloatVector c0 = zero, e0 = zero, c1 = zero, e1 = zero, c2 = zero, e2 = zero, c3 = zero, e3 = zero;
        int pairs = blocks * BLOCK / 2;
        long q = q0;
        for (int i = 0; i < pairs; i++) { // column pairs, a block's sums folded in every sixteenth
            int k = xOff + 2 * i;
            FloatVector xv = FloatVector.broadcast(F, x[k]);
            c0 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q, LE).convertShape(B2F, F, 0)).fma(xv, c0);
            c1 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + L, LE).convertShape(B2F, F, 0)).fma(xv, c1);
            c2 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + 2 * L, LE).convertShape(B2F, F, 0)).fma(xv, c2);
            c3 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + 3 * L, LE).convertShape(B2F, F, 0)).fma(xv, c3);
            xv = FloatVector.broadcast(F, x[k + 1]);
            e0 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + COLUMN, LE).convertShape(B2F, F, 0)).fma(xv, e0);
            e1 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + COLUMN + L, LE).convertShape(B2F, F, 0)).fma(xv, e1);
            e2 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + COLUMN + 2 * L, LE).convertShape(B2F, F, 0)).fma(xv, e2);
            e3 = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + COLUMN + 3 * L, LE).convertShape(B2F, F, 0)).fma(xv, e3);
            q += 2 * COLUMN;
            if ((i & (BLOCK / 2 - 1)) == BLOCK / 2 - 1) { // the block's d follow its columns
                a0 = FloatVector.fromMemorySegment(F, m, q, LE).fma(c0.add(e0), a0);
                a1 = FloatVector.fromMemorySegment(F, m, q + 4L * L, LE).fma(c1.add(e1), a1);
                a2 = FloatVector.fromMemorySegment(F, m, q + 8L * L, LE).fma(c2.add(e2), a2);
                a3 = FloatVector.fromMemorySegment(F, m, q + 12L * L, LE).fma(c3.add(e3), a3);
                c0 = zero;
                e0 = zero;
                c1 = zero;
                e1 = zero;
                c2 = zero;
                e2 = zero;
                c3 = zero;
                e3 = zero;
                q += QUAD * 4L * L;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }
}
