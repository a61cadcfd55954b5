package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static jdk.incubator.vector.VectorOperators.B2F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * Q6_K's one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): rows in vector lanes, one signed byte {@code q − 32} per
 * weight, groups of L rows in quads of four as Q4_K's ({@link Q4_KQuadKernels}), a kernel call per super-block. The row
 * pairs ({@link KPairs}) keep an F32 {@code d·scale} per row and 16 values (1.25 bytes per weight) and read a row's
 * whole length per pass: at 5632 columns (TinyLlama's {@code ffn_down}) its activations and two rows no longer stay in
 * L1 and a weight costs 1.5× what it does at 2048. Here a call covers 256 columns of 2·L rows (1 KB of activations);
 * the scales stay bytes (1.08 bytes per weight) and a pass forms them into F32 a super-block ahead, as Q4_K's
 * ({@link Q4_KLanes#form}).
 *
 * <p>Layout: first the runs, per quad and super-block ({@link #SUPER_BYTES}), per pair of groups (the quad's first two,
 * then its last two: a call each, {@link #twoGroups}), per column the two groups' L bytes side by side: each call reads
 * one sequential stream. Then the factors, per quad and super-block ({@link #QUAD_FACTOR_BYTES}), per group the rows'
 * 16 signed scales as bytes (sub-block j's L at j·L) and their F32 {@code d}.
 *
 * <p>Per row and token the operations are, per sub-block j of 16 columns: {@code c = 0}, {@code e = 0}; for i = 0, 2,
 * .., 14 {@code c = fma(q_i − 32, x_i, c)}, {@code e = fma(q_{i+1} − 32, x_{i+1}, e)}; then
 * {@code acc = fma(d·scale_j, c + e, acc)}. {@link #dot} and the kernel do exactly that, so a token gets the same bits
 * in any batch (which this copy runs token by token) and any row range. Not the row pairs' bits: the copies differ by
 * float rounding ({@code Q6_KDecodeTest}).
 */
final class Q6_KLanes {
    static final int BLOCK = 256;
    /** Columns per sub-block (one scale). */
    static final int SUB = 16;
    static final int SUBS = BLOCK / SUB;
    /** Groups of L rows per quad. */
    static final int QUAD = 4;
    /** Bytes of one column of a pair of groups. */
    static final long COLUMN = 2L * L;
    /** Bytes of one pair of groups' runs for one super-block. */
    static final long PAIR_BYTES = BLOCK * COLUMN;
    /** Bytes of one quad's runs for one super-block. */
    static final long SUPER_BYTES = 2 * PAIR_BYTES;
    /** Bytes of one group's factors for one super-block: 16 scales per row, then L F32 {@code d}. */
    static final long GROUP_FACTOR_BYTES = SUBS * (long) L + 4L * L;
    static final long QUAD_FACTOR_BYTES = QUAD * GROUP_FACTOR_BYTES;
    /** Floats of one group's formed {@code d·scale} for one super-block: L per sub-block. */
    static final int GROUP_FACTORS = SUBS * L;
    /** Floats of one super-block's formed factors for a quad. */
    static final int SLOT = QUAD * GROUP_FACTORS;

    final MemorySegment packed;
    final int quads;
    final int supers;
    /** Where the factors start, after every quad's runs. */
    final long factors;

    private Q6_KLanes(MemorySegment packed, int quads, int supers) {
        this.packed = packed;
        this.quads = quads;
        this.supers = supers;
        this.factors = (long) quads * supers * SUPER_BYTES;
    }

    /** Offset of quad {@code quad}'s runs of super-block {@code s}. */
    long runsOf(int quad, int s) {
        return ((long) quad * supers + s) * SUPER_BYTES;
    }

    /** Offset of quad {@code quad}'s factors of super-block {@code s}. */
    long factorsOf(int quad, int s) {
        return factors + ((long) quad * supers + s) * QUAD_FACTOR_BYTES;
    }

    /** Offset of the byte of row {@code lane} (of its quad's 4·L) for column c of the super-block whose runs start at {@code runs}. */
    private static long at(long runs, int lane, int c) {
        int g = lane / L;
        return runs + (g / 2) * PAIR_BYTES + c * COLUMN + (long) (g % 2) * L + lane % L;
    }

    /** Repacks {@code rows} rows of {@code supers} GGUF Q6_K super-blocks from {@code src}; the caller drops the file's pages. */
    static Q6_KLanes repack(MemorySegment src, int rows, int supers) {
        int rowsPerQuad = QUAD * L, quads = (rows + rowsPerQuad - 1) / rowsPerQuad;
        Q6_KLanes t = new Q6_KLanes(RowGroups.allocate((long) quads * supers * (SUPER_BYTES + QUAD_FACTOR_BYTES)), quads, supers);
        MemorySegment m = t.packed;
        m.fill((byte) 0); // the padding rows
        for (int r = 0; r < rows; r++) {
            int quad = r / rowsPerQuad, lane = r % rowsPerQuad;
            for (int s = 0; s < supers; s++) {
                long p = ((long) r * supers + s) * Q6_KTensor.BYTES, runs = t.runsOf(quad, s);
                long f = t.factorsOf(quad, s) + (lane / L) * GROUP_FACTOR_BYTES;
                m.set(WeightTensor.FLOAT_LE, f + SUBS * (long) L + 4L * (lane % L), Float.float16ToFloat(src.get(WeightTensor.SHORT_LE, p + 208)));
                for (int j = 0; j < SUBS; j++) m.set(ValueLayout.JAVA_BYTE, f + (long) j * L + lane % L, src.get(ValueLayout.JAVA_BYTE, p + 192 + j));
                for (int c = 0; c < BLOCK; c++) m.set(ValueLayout.JAVA_BYTE, at(runs, lane, c), (byte) (Q6_KTensor.value(src, p, c) - 32));
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
            long runs = runsOf(quad, s), f = factorsOf(quad, s) + (lane / L) * GROUP_FACTOR_BYTES;
            float d = m.get(WeightTensor.FLOAT_LE, f + SUBS * (long) L + 4L * (lane % L));
            for (int j = 0; j < SUBS; j++) {
                int xo = xOff + s * BLOCK + SUB * j;
                float c = 0, e = 0;
                for (int i = 0; i < SUB; i += 2) {
                    c = Math.fma((float) m.get(ValueLayout.JAVA_BYTE, at(runs, lane, SUB * j + i)), x[xo + i], c);
                    e = Math.fma((float) m.get(ValueLayout.JAVA_BYTE, at(runs, lane, SUB * j + i + 1)), x[xo + i + 1], e);
                }
                float ds = (float) m.get(ValueLayout.JAVA_BYTE, f + (long) j * L + lane % L) * d;
                acc = Math.fma(ds, c + e, acc);
            }
        }
        return acc;
    }

    /** Floats of scratch {@link #matmul} needs: a quad's sums and two factor slots. */
    int scratchFloats() {
        return QUAD * L + 2 * SLOT;
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), token by token, with {@link #scratchFloats}
     * of scratch: per quad the rows cover, super-block s + 1's factors formed before super-block s's kernels (two
     * calls, two groups each), which carry the quad's sums from one super-block to the next in the scratch. A quad the
     * range covers in part is computed whole and only its rows in the range written.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int rowsPerQuad = QUAD * L, fo = rowsPerQuad;
        for (int t = 0; t < n; t++) {
            for (int quad = from / rowsPerQuad; quad * rowsPerQuad < to; quad++) {
                Arrays.fill(scratch, 0, rowsPerQuad, 0f);
                for (int s = 0; s <= supers; s++) {
                    if (s < supers) form(quad, s, scratch, fo + (s & 1) * SLOT);
                    for (int g = 0; s > 0 && g < QUAD; g += 2) {
                        twoGroups(packed, runsOf(quad, s - 1) + (g / 2) * PAIR_BYTES, x, t * cols + (s - 1) * BLOCK, scratch,
                                fo + ((s - 1) & 1) * SLOT + g * GROUP_FACTORS, g * L);
                    }
                }
                int r0 = quad * rowsPerQuad, o = outOff + t * outStride;
                for (int r = Math.max(from, r0), end = Math.min(to, r0 + rowsPerQuad); r < end; r++) WeightTensor.put(out, o + r, scratch[r - r0], add);
            }
        }
    }

    /**
     * Quad {@code quad}'s F32 {@code d·scale} of super-block {@code s} into {@code f[off]} on (sub-block j of group g at
     * {@code off + g·GROUP_FACTORS + j·L}): the float product the file's dequantization takes. The Vector API's own
     * methods only, as in {@link Q4_KLanes#form} (a helper of ours inlined into {@link #matmul} may be left a call that
     * boxes its vectors).
     */
    private void form(int quad, int s, float[] f, int off) {
        MemorySegment m = packed;
        long p = factorsOf(quad, s);
        for (int g = 0; g < QUAD; g++, p += GROUP_FACTOR_BYTES, off += GROUP_FACTORS) {
            FloatVector d = FloatVector.fromMemorySegment(F, m, p + SUBS * (long) L, LE);
            for (int j = 0; j < SUBS; j++) {
                ((FloatVector) ByteVector.fromMemorySegment(B, m, p + (long) j * L, LE).convertShape(B2F, F, 0)).mul(d).intoArray(f, off + j * L);
            }
        }
    }

    /**
     * Two groups of a quad (their runs from {@code q0}) times one token (activations from {@code x[xOff]}), one
     * super-block: the formed factors from {@code sc[fOff]}; the two groups' sums carried in {@code sc[sOff .. sOff + 2L)}.
     * The Vector API's own methods only: larger kernels, or helpers of ours, took C2 past its inlining budget and left
     * the vectors boxed.
     */
    static void twoGroups(MemorySegment m, long q0, float[] x, int xOff, float[] sc, int fOff, int sOff) {
        FloatVector zero = FloatVector.zero(F), a = FloatVector.fromArray(F, sc, sOff), b = FloatVector.fromArray(F, sc, sOff + L);
        FloatVector c = zero, e = zero, d = zero, f = zero;
        for (int i = 0; i < BLOCK / 2; i++) { // one loop, column pairs, a sub-block's sums folded in every eighth
            long q = q0 + 2L * i * COLUMN;
            int k = xOff + 2 * i;
            FloatVector xv = FloatVector.broadcast(F, x[k]);
            c = ((FloatVector) ByteVector.fromMemorySegment(B, m, q, LE).convertShape(B2F, F, 0)).fma(xv, c);
            d = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + L, LE).convertShape(B2F, F, 0)).fma(xv, d);
            xv = FloatVector.broadcast(F, x[k + 1]);
            e = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + COLUMN, LE).convertShape(B2F, F, 0)).fma(xv, e);
            f = ((FloatVector) ByteVector.fromMemorySegment(B, m, q + COLUMN + L, LE).convertShape(B2F, F, 0)).fma(xv, f);
            if ((i & 7) == 7) {
                int fb = fOff + (i >> 3) * L;
                a = FloatVector.fromArray(F, sc, fb).fma(c.add(e), a);
                b = FloatVector.fromArray(F, sc, fb + GROUP_FACTORS).fma(d.add(f), b);
                c = zero;
                e = zero;
                d = zero;
                f = zero;
            }
        }
        a.intoArray(sc, sOff);
        b.intoArray(sc, sOff + L);
    }
}
