package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Q6_K's decode copy, in both layouts ({@link DecodeLayout}): rows in vector lanes, one signed byte {@code q − 32} per
 * weight, groups of L rows in quads of four, one kernel call per quad, token and whole row ({@link #four}). The row
 * pairs the batch copy held until session 25 ({@link KPairs}: an F32 {@code d·scale} per row and 16 values, 1.25 bytes
 * per weight) read a row's whole length per pass: at 5632 columns (TinyLlama's {@code ffn_down}) its activations and two rows no longer stay in
 * L1 and a weight costs 1.5× what it does at 2048. Here the scales stay bytes (1.08 bytes per weight).
 *
 * <p>Layout: quad after quad, super-block after super-block ({@link #SUPER_BYTES}), one sequential stream in the order
 * the kernel reads it: a head of the four groups' L F32 {@code d} (group g's at {@code 4·L·g}), then per sub-block of
 * 16 columns its scales (L ints, row j's four groups' signed scales a byte each, group g's in bits 8g to 8g + 7) and its
 * 16 columns (per column the four groups' L bytes side by side). With the scales after all quads' runs and formed into
 * a scratch a super-block ahead, a 5632×2048 product ran from cache in 0.63× the time it took streamed from memory;
 * Q4_K's quads gained 1.25–1.45× streamed from the same change ({@link Q4_KQuadKernels}).
 *
 * <p>Per row and token the operations are, per sub-block j of 16 columns: {@code c = 0}, {@code e = 0}; for i = 0, 2,
 * .., 14 {@code c = fma(q_i − 32, x_i, c)}, {@code e = fma(q_{i+1} − 32, x_{i+1}, e)}; then
 * {@code acc = fma(d·scale_j, c + e, acc)}. {@link #dot} and the kernel do exactly that, so a token gets the same bits
 * in any batch (which this copy runs token by token) and any row range ({@code LanesDecodeTest}).
 */
final class Q6_KLanes {
    static final int BLOCK = 256;
    /** Columns per sub-block (one scale). */
    static final int SUB = 16;
    static final int SUBS = BLOCK / SUB;
    /** Groups of L rows per quad. */
    static final int QUAD = 4;
    /** Bytes of one column of a quad. */
    static final long COLUMN = QUAD * (long) L;
    /** Bytes of a quad's super-block head: per group L F32 {@code d}. */
    static final long HEAD = QUAD * 4L * L;
    /** Bytes of a quad's sub-block: L ints of scales, then its columns. */
    static final long SUB_BYTES = 4L * L + SUB * COLUMN;
    /** Bytes of one quad's super-block. */
    static final long SUPER_BYTES = HEAD + SUBS * SUB_BYTES;

    final MemorySegment packed;
    final int quads;
    final int supers;

    private Q6_KLanes(MemorySegment packed, int quads, int supers) {
        this.packed = packed;
        this.quads = quads;
        this.supers = supers;
    }

    /** Offset of quad {@code quad}'s super-block {@code s}. */
    long superOf(int quad, int s) {
        return ((long) quad * supers + s) * SUPER_BYTES;
    }

    /** Offset of the byte of row {@code lane} (of its quad's 4·L) for column c of the super-block at {@code sup}. */
    private static long at(long sup, int lane, int c) {
        return sup + HEAD + (c / SUB) * SUB_BYTES + 4L * L + (c % SUB) * COLUMN + lane;
    }

    /** Offset of the signed scale of sub-block j, row {@code lane} (of its quad's 4·L), in the super-block at {@code sup}. */
    private static long scaleAt(long sup, int lane, int j) {
        return sup + HEAD + j * SUB_BYTES + 4L * (lane % L) + lane / L;
    }

    /** Offset of the F32 {@code d} of row {@code lane} (of its quad's 4·L) in the super-block at {@code sup}. */
    private static long dAt(long sup, int lane) {
        return sup + (lane / L) * 4L * L + 4L * (lane % L);
    }

    /** Repacks {@code rows} rows of {@code supers} GGUF Q6_K super-blocks from {@code src}; the caller drops the file's pages. */
    static Q6_KLanes repack(MemorySegment src, int rows, int supers) {
        int rowsPerQuad = QUAD * L, quads = (rows + rowsPerQuad - 1) / rowsPerQuad;
        Q6_KLanes t = new Q6_KLanes(RowGroups.allocate((long) quads * supers * SUPER_BYTES), quads, supers);
        MemorySegment m = t.packed;
        m.fill((byte) 0); // the padding rows
        for (int r = 0; r < rows; r++) {
            int quad = r / rowsPerQuad, lane = r % rowsPerQuad;
            for (int s = 0; s < supers; s++) {
                long p = ((long) r * supers + s) * Q6_KTensor.BYTES, sup = t.superOf(quad, s);
                m.set(WeightTensor.FLOAT_LE, dAt(sup, lane), Float.float16ToFloat(src.get(WeightTensor.SHORT_LE, p + 208)));
                for (int j = 0; j < SUBS; j++) m.set(ValueLayout.JAVA_BYTE, scaleAt(sup, lane, j), src.get(ValueLayout.JAVA_BYTE, p + 192 + j));
                for (int c = 0; c < BLOCK; c++) m.set(ValueLayout.JAVA_BYTE, at(sup, lane, c), (byte) (Q6_KTensor.value(src, p, c) - 32));
            }
        }
        return t;
    }

    /** Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernel's operations in its order (so its bits). */
    float dot(int row, float[] x, int xOff) {
        int rowsPerQuad = QUAD * L, quad = row / rowsPerQuad, lane = row % rowsPerQuad;
        MemorySegment m = packed;
        float acc = 0;
        for (int s = 0; s < supers; s++) {
            long sup = superOf(quad, s);
            float d = m.get(WeightTensor.FLOAT_LE, dAt(sup, lane));
            for (int j = 0; j < SUBS; j++) {
                int xo = xOff + s * BLOCK + SUB * j;
                float c = 0, e = 0;
                for (int i = 0; i < SUB; i += 2) {
                    c = Math.fma((float) m.get(ValueLayout.JAVA_BYTE, at(sup, lane, SUB * j + i)), x[xo + i], c);
                    e = Math.fma((float) m.get(ValueLayout.JAVA_BYTE, at(sup, lane, SUB * j + i + 1)), x[xo + i + 1], e);
                }
                float ds = (float) m.get(ValueLayout.JAVA_BYTE, scaleAt(sup, lane, j)) * d;
                acc = Math.fma(ds, c + e, acc);
            }
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
        for (int t = 0; t < n; t++) {
            for (int quad = from / rowsPerQuad; quad * rowsPerQuad < to; quad++) {
                four(packed, superOf(quad, 0), supers, x, t * cols, scratch);
                WeightTensor.putRows(scratch, quad * rowsPerQuad, rowsPerQuad, from, to, out, outOff + t * outStride, add);
            }
        }
    }

    /**
     * A quad (from {@code q0}) times one token (activations from {@code x[xOff]}), its whole rows: the four groups'
     * sums into {@code s[0 .. 4·L)}. A sub-block's scales are one load of L ints, group g's byte sign-extended by a
     * shift left and an arithmetic shift right (same-shape operations: C2 left conversions across shapes in long
     * kernels a call, and the vectors boxed). The Vector API's own methods only, no helpers of ours (likewise).
     */
    static void four(MemorySegment m, long q0, int supers, float[] x, int xOff, float[] s) {
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        FloatVector c0 = zero, e0 = zero, c1 = zero, e1 = zero, c2 = zero, e2 = zero, c3 = zero, e3 = zero;
        int pairs = supers * BLOCK / 2;
        long h = q0, f = q0 + HEAD, q = f + 4L * L;
        for (int i = 0; i < pairs; i++) { // column pairs, a sub-block's sums folded in every eighth
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
            if ((i & 7) == 7) {
                IntVector sc = IntVector.fromMemorySegment(I, m, f, LE);
                FloatVector d = ((FloatVector) sc.lanewise(LSHL, 24).lanewise(ASHR, 24).convert(I2F, 0)).mul(FloatVector.fromMemorySegment(F, m, h, LE));
                a0 = d.fma(c0.add(e0), a0);
                d = ((FloatVector) sc.lanewise(LSHL, 16).lanewise(ASHR, 24).convert(I2F, 0)).mul(FloatVector.fromMemorySegment(F, m, h + 4L * L, LE));
                a1 = d.fma(c1.add(e1), a1);
                d = ((FloatVector) sc.lanewise(LSHL, 8).lanewise(ASHR, 24).convert(I2F, 0)).mul(FloatVector.fromMemorySegment(F, m, h + 8L * L, LE));
                a2 = d.fma(c2.add(e2), a2);
                d = ((FloatVector) sc.lanewise(ASHR, 24).convert(I2F, 0)).mul(FloatVector.fromMemorySegment(F, m, h + 12L * L, LE));
                a3 = d.fma(c3.add(e3), a3);
                c0 = zero;
                e0 = zero;
                c1 = zero;
                e1 = zero;
                c2 = zero;
                e2 = zero;
                c3 = zero;
                e3 = zero;
                if ((i & (BLOCK / 2 - 1)) == BLOCK / 2 - 1) { // past the super-block: the next one's head
                    h = q;
                    q += HEAD;
                }
                f = q;
                q += 4L * L;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }
}
