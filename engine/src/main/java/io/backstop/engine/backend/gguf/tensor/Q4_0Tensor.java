package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values, {@code d} (F16) then 16 bytes; value j &lt; 16 is the low nibble of byte j,
 * value 16 + j its high nibble; value = d·(q − 8).
 *
 * <p>Repacked at load time ({@link RowGroups}): two rows' blocks side by side, scales as F32, so one
 * load of the activations serves two rows and no F16 is converted per block. The −8 is folded into the
 * start of each block's sum ({@code −8·Σx}, computed once per block and token, shared by the rows), so
 * nibbles are only masked and converted.
 */
public final class Q4_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 18;
    private static final int QUANTS = 16;

    private final RowGroups g;

    Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        g = RowGroups.repack(data, rows, cols / BLOCK, BYTES, QUANTS);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), d = g.scale(row, 0);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < g.blocks; b++) { // one induction variable: C2 hoists the bounds checks
            long p = q + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector s = minus8Sum(x, xo);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                s = lo(w).fma(FloatVector.fromArray(F, x, xo + k), s);
                s = hi(w).fma(FloatVector.fromArray(F, x, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, d + b * st)), acc);
        }
        return Lanes.sum(acc);
    }

    /**
     * Two rows per pass (one load of the activations serves both) and four, then two tokens per pass (each block
     * decoded once for all of them: {@link FourTokens}, {@link #twoRowsTwoTokens}), token groups outer: a pair's activations stay in L1 while the
     * chunk's rows (a forward pass hands each thread about 100–350 rows, L2-sized) stream past; a leftover
     * token goes through {@link #twoRows}. Each row and token gets the operations of {@link #dot} in its order,
     * so its bits depend neither on the grouping nor on the batch. Two rows, not four: four exceed C2's inlining
     * node budget (NodeCountInliningCutoff) and the vectors get boxed (20× slower). Rows outer (each row pair held
     * in L1 for all tokens) measured slower than token groups outer, since 2048 activations weigh 8 KB against a
     * row's 1.25 KB.
     */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (!Lanes.VECTOR) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        boolean pairs = TWO_TOKENS && scratch.length >= SUMS;
        int t = 0;
        for (; FourTokens.APPLIES && scratch.length >= FourTokens.scratchFloats(cols) && t + 4 <= n; t += 4) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            FourTokens.interleave(x, xOff, cols, scratch);
            if ((r & 1) != 0 && r < to) oneRow(r++, x, t, 4, out, outOff, outStride, add);
            for (; r + 2 <= to; r += 2) {
                FourTokens.q4_0(g, r, scratch, FourTokens.SUMS, scratch);
                FourTokens.put(scratch, out, o + r, outStride, add);
            }
            if (r < to) oneRow(r, x, t, 4, out, outOff, outStride, add);
        }
        for (; pairs && t + 2 <= n; t += 2) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            if ((r & 1) != 0 && r < to) oneRow(r++, x, t, 2, out, outOff, outStride, add);
            for (; r + 2 <= to; r += 2) {
                twoRowsTwoTokens(r, x, xOff, scratch);
                putSums(scratch, out, o + r, outStride, add);
            }
            if (r < to) oneRow(r, x, t, 2, out, outOff, outStride, add);
        }
        for (; t < n; t++) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            if ((r & 1) != 0 && r < to) put(out, o + r++, dot(r - 1, x, xOff), add);
            for (; r + 2 <= to; r += 2) twoRows(r, x, xOff, out, o + r, add);
            if (r < to) put(out, o + r, dot(r, x, xOff), add);
        }
    }

    private void oneRow(int r, float[] x, int t0, int n, float[] out, int outOff, int outStride, boolean add) {
        for (int t = t0; t < t0 + n; t++) put(out, outOff + t * outStride + r, dot(r, x, t * cols), add);
    }

    /**
     * Rows r, r + 1 times tokens at {@code xOff} and {@code xOff + cols}: each block decoded once for both, the
     * four accumulators stored to {@code sums} for {@link #putSums} (reducing them here took C2 over its
     * inlining node budget, and the vectors got boxed). Written for one vector per half block ({@link #TWO_TOKENS}), where a token's two loads of x also
     * give its −8·Σx, as in {@link #minus8Sum}.
     */
    private void twoRowsTwoTokens(int r, float[] x, int xOff, float[] sums) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        int c = cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            IntVector w0 = Widen.u8(m, p), w1 = Widen.u8(m, p + QUANTS);
            FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
            FloatVector d0 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), d1 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4));
            FloatVector xl = FloatVector.fromArray(F, x, xo), xh = FloatVector.fromArray(F, x, xo + 16), m8 = xl.add(xh).mul(-8f);
            a00 = h0.fma(xh, l0.fma(xl, m8)).fma(d0, a00);
            a10 = h1.fma(xh, l1.fma(xl, m8)).fma(d1, a10);
            xl = FloatVector.fromArray(F, x, xo + c);
            xh = FloatVector.fromArray(F, x, xo + c + 16);
            m8 = xl.add(xh).mul(-8f);
            a01 = h0.fma(xh, l0.fma(xl, m8)).fma(d0, a01);
            a11 = h1.fma(xh, l1.fma(xl, m8)).fma(d1, a11);
        }
        a00.intoArray(sums, 0);
        a10.intoArray(sums, L);
        a01.intoArray(sums, 2 * L);
        a11.intoArray(sums, 3 * L);
    }

    /** Whether {@link #twoRowsTwoTokens} applies: one vector holds half a block (AVX-512's 16 float lanes). */
    private static final boolean TWO_TOKENS = L == QUANTS;

    /** Small batches stay on {@link #fusedRows} ({@link #PAIRED_FUSED_BELOW}); measured with AVX-512 only. */
    @Override
    int fusedBelow() {
        return TWO_TOKENS ? PAIRED_FUSED_BELOW : FUSED_BELOW;
    }

    private void twoRows(int r, float[] x, int xOff, float[] out, int o, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector m8 = minus8Sum(x, xo);
            FloatVector s0 = m8, s1 = m8;
            for (int k = 0; k < QUANTS; k += L) {
                FloatVector xl = FloatVector.fromArray(F, x, xo + k), xh = FloatVector.fromArray(F, x, xo + 16 + k);
                IntVector w0 = Widen.u8(m, p + k), w1 = Widen.u8(m, p + QUANTS + k);
                s0 = hi(w0).fma(xh, lo(w0).fma(xl, s0));
                s1 = hi(w1).fma(xh, lo(w1).fma(xl, s1));
            }
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), a1);
        }
        put(out, o, Lanes.sum(a0), add);
        put(out, o + 1, Lanes.sum(a1), add);
    }

    /** −8·Σx of the block's 32 activations, lane-wise: the start of its sum, which folds the −8 of every weight. */
    private static FloatVector minus8Sum(float[] x, int xo) {
        FloatVector s = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 16));
        for (int k = L; k < QUANTS; k += L) s = s.add(FloatVector.fromArray(F, x, xo + k)).add(FloatVector.fromArray(F, x, xo + 16 + k));
        return s.mul(-8f);
    }

    private static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    private static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), ds = g.scale(row, 0);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            int o = outOff + b * BLOCK;
            float d = m.get(FLOAT_LE, ds + b * st);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                Widen.toFloat(w.and(15).sub(8)).mul(d).intoArray(out, o + k);
                Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4).sub(8)).mul(d).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        for (int b = 0; b < g.blocks; b++) {
            long p = g.quants(row, b);
            float d = g.packed.get(FLOAT_LE, g.scale(row, b));
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(g.packed.get(ValueLayout.JAVA_BYTE, p + j));
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    /**
     * {@link #decodeRow}'s operations on blocks {@code k0/32 .. k1/32} of a row (the sliced tile path of
     * {@link WeightTensor#matmul}). Relies on {@link RowGroups#quants}, {@link RowGroups#scale}, {@code stride} and
     * a row's 16 quantized bytes per block: low nibbles are values 0–15, high nibbles 16–31.
     */
    @Override
    boolean decodeSlice(int row, int k0, int k1, float[] out, int off) {
        if (!Lanes.VECTOR) return false;
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), ds = g.scale(row, 0);
        for (int b = k0 / BLOCK; b < k1 / BLOCK; b++) {
            long p = q + b * st;
            int o = off + b * BLOCK - k0;
            float d = m.get(FLOAT_LE, ds + b * st);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                Widen.toFloat(w.and(15).sub(8)).mul(d).intoArray(out, o + k);
                Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4).sub(8)).mul(d).intoArray(out, o + 16 + k);
            }
        }
        return true;
    }
}
