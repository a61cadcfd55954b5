package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.WeightTensor.FLOAT_LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Two rows × four tokens per pass for the repacked Q8_0 layout ({@link RowGroups}; Q4_0 decodes with rows in lanes, {@link Q4_0Lanes}): each block of a
 * row pair is decoded into registers once and multiplied with four tokens' activations, so a decode step of
 * four or more sequences pays the unpacking (load, conversion to float) a quarter as often; the
 * per-token FMAs of {@code dot}'s order remain, which bounds the gain (the README's batching section). Each row
 * and token gets exactly the operations of {@code dot}, in its order, so the bits do not depend on
 * the batch. The eight accumulators are stored to {@code sums} and reduced by {@link #put} outside the
 * kernel: reducing them inside took C2 over its inlining node budget in the two-token kernel, and vectors
 * passed to a method C2 does not inline get boxed. Written for one vector per half block (16 float lanes).
 */
final class FourTokens {
    /** Tokens per pass. */
    static final int TOKENS = 4;
    /** Floats of scratch the kernels store their accumulators in: two rows × four tokens vectors. */
    static final int SUMS = 2 * TOKENS * L;
    /** Whether the kernels apply: one vector holds half a block (AVX-512's 16 float lanes). */
    static final boolean APPLIES = L == 16;

    private static final int HALF = 16;
    private static final int BLOCK = 32;
    /** Floats of interleaved activations per block: four tokens' 32. */
    private static final int STRIDE = TOKENS * BLOCK;

    /** Floats of scratch {@link #interleave} and the kernels need for a row width of {@code cols}. */
    static int scratchFloats(int cols) {
        return SUMS + TOKENS * cols;
    }

    /**
     * Copies four tokens' activations ({@code x[xOff + t·cols ..]}) to {@code scratch[SUMS ..]} block by block
     * (token 0's 32 values of block 0, token 1's, …, then block 1). The kernels read them from one base that
     * moves by a constant per block, which C2 range-checks once per loop (with four bases {@code cols} apart it
     * kept a check per load in the loop body), and in address order.
     */
    static void interleave(float[] x, int xOff, int cols, float[] scratch) {
        for (int b = 0, blocks = cols / BLOCK; b < blocks; b++) {
            for (int t = 0; t < TOKENS; t++) System.arraycopy(x, xOff + t * cols + b * BLOCK, scratch, SUMS + b * STRIDE + t * BLOCK, BLOCK);
        }
    }

    /**
     * Q8_0 rows r, r + 1 times four tokens' activations as {@link #interleave} lays them out from {@code x[xOff]}:
     * accumulators to {@code sums} in the order token 0 row 0, token 0 row 1, token 1 row 0, … (as {@link #put} reads
     * them). Per row and token the operations of
     * {@code Q8_0Tensor.dot}: {@code (w·x + w'·x')·d} per block (two half blocks) added to the accumulator.
     */
    static void q8_0(RowGroups g, int r, float[] x, int xOff, float[] sums) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * STRIDE;
            FloatVector u0 = Widen.s8(m, p), v0 = Widen.s8(m, p + HALF), u1 = Widen.s8(m, p + BLOCK), v1 = Widen.s8(m, p + BLOCK + HALF);
            FloatVector d0 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), d1 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4));
            FloatVector xl = FloatVector.fromArray(F, x, xo), xh = FloatVector.fromArray(F, x, xo + HALF);
            a00 = v0.fma(xh, u0.mul(xl)).fma(d0, a00);
            a10 = v1.fma(xh, u1.mul(xl)).fma(d1, a10);
            xl = FloatVector.fromArray(F, x, xo + BLOCK);
            xh = FloatVector.fromArray(F, x, xo + BLOCK + HALF);
            a01 = v0.fma(xh, u0.mul(xl)).fma(d0, a01);
            a11 = v1.fma(xh, u1.mul(xl)).fma(d1, a11);
            xl = FloatVector.fromArray(F, x, xo + 2 * BLOCK);
            xh = FloatVector.fromArray(F, x, xo + 2 * BLOCK + HALF);
            a02 = v0.fma(xh, u0.mul(xl)).fma(d0, a02);
            a12 = v1.fma(xh, u1.mul(xl)).fma(d1, a12);
            xl = FloatVector.fromArray(F, x, xo + 3 * BLOCK);
            xh = FloatVector.fromArray(F, x, xo + 3 * BLOCK + HALF);
            a03 = v0.fma(xh, u0.mul(xl)).fma(d0, a03);
            a13 = v1.fma(xh, u1.mul(xl)).fma(d1, a13);
        }
        a00.intoArray(sums, 0);
        a10.intoArray(sums, L);
        a01.intoArray(sums, 2 * L);
        a11.intoArray(sums, 3 * L);
        a02.intoArray(sums, 4 * L);
        a12.intoArray(sums, 5 * L);
        a03.intoArray(sums, 6 * L);
        a13.intoArray(sums, 7 * L);
    }

    /** Writes a kernel's eight results for rows o, o + 1 of four tokens {@code outStride} apart, each reduced as {@link Lanes#sum} would. */
    static void put(float[] sums, float[] out, int o, int outStride, boolean add) {
        for (int t = 0; t < TOKENS; t++) {
            int ot = o + t * outStride;
            WeightTensor.put(out, ot, Lanes.sum(sums, 2 * t * L), add);
            WeightTensor.put(out, ot + 1, Lanes.sum(sums, (2 * t + 1) * L), add);
        }
    }
}
