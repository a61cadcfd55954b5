package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K: super-blocks of 256 values: {@code d}, {@code dmin} (F16), 12 bytes of 6-bit scales and mins
 * ({@link KScales}), 128 bytes of nibbles. Each 32-byte run c holds sub-block 2c in its low nibbles and
 * 2c + 1 in its high nibbles; value = d·scale·q − dmin·min.
 *
 * <p>Repacked at load, into {@link Q4_KLanes}' layout (below) or the row pairs. The row pairs: the nibbles and
 * {@code d·scale} go into Q4_0's former layout ({@link KPairs}): two rows side
 * by side, per sub-block 16 bytes of nibbles (value j &lt; 16 in the low nibble of byte j, 16 + j in its high
 * nibble) and the F32 {@code d·scale}, so the kernel is Q4_0's two-row kernel. The mins' share of a row,
 * {@code −Σ_sub dmin·min·Σx_sub}, does not need the weights: it is a short dot product of the row's mins
 * (one byte per sub-block) and F32 {@code dmin}s ({@link #mins}, L rows per vector pass) with the token's sums of 32 activations
 * ({@link #xsums}, once per token), added to the row's accumulator. 0.67 bytes per weight instead of the
 * file's 0.5625, whose pages are dropped. {@link #dequantizeRow} still reads the file's blocks: the reference
 * the repacked kernels are tested against.
 *
 * <p>By default the weights go into {@link Q4_KLanes}' layout instead (rows in vector lanes, each decoded vector
 * serving every token of a decode batch of 1–15, Q4_0's kernels with Q4_K's scales: less CPU than the row pairs for
 * a lone token and more so from 2 tokens on, README issue 14); {@code -Dbackstop.gguf.q4k=pairs} keeps the row
 * pairs. With the lanes, prefill ({@link #TILE_FROM} tokens on) decodes rows from
 * the file's blocks ({@link #decodeFileRow}), whose pages the repacking dropped and a prompt pages in again.
 */
public final class Q4_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 144;
    private static final int SUB = 32;
    private static final int QUANTS = 16;

    /** The row-pair layout's kernels' data, or null when {@link #lanes} holds the weights instead. */
    private final KPairs g;
    /** The rows-in-lanes layout ({@link Q4_KLanes#ENABLED}, the default), or null. */
    private final Q4_KLanes lanes;
    /** Sub-blocks per row rounded up to whole vectors. */
    private final int subs;
    /**
     * The rows' mins transposed for {@link #minTerms}, in groups of L rows (a zero row pads the last): per
     * sub-block the L rows' mins as unsigned bytes, then per super-block the L rows' F32 {@code dmin}s
     * ({@link #GROUP_STRIDE} bytes per sub-block of a group; sub-blocks zero-padded to {@link #subs}).
     */
    private final MemorySegment mins;

    Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        this(name, data, rows, cols, DecodeLayout.BATCH);
    }

    /** The decode copy laid out for {@code layout} (the lanes' runs in quads for {@link DecodeLayout#ONE_SEQUENCE}). */
    Q4_KTensor(String name, MemorySegment data, int rows, int cols, DecodeLayout layout) {
        this(name, data, rows, cols, Q4_KLanes.ENABLED, layout);
    }

    /** With {@code inLanes}, the weights go into {@link Q4_KLanes}' layout, else into row pairs. */
    Q4_KTensor(String name, MemorySegment data, int rows, int cols, boolean inLanes) {
        this(name, data, rows, cols, inLanes, DecodeLayout.BATCH);
    }

    /** With {@code inLanes}, the weights go into {@link Q4_KLanes}' layout for {@code layout}, else into row pairs. */
    Q4_KTensor(String name, MemorySegment data, int rows, int cols, boolean inLanes, DecodeLayout layout) {
        super(name, data, rows, cols);
        if (inLanes && Lanes.VECTOR) {
            lanes = Q4_KLanes.repack(data, rows, cols / BLOCK, layout);
            g = null;
            subs = 0;
            mins = null;
            if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
            return;
        }
        lanes = null;
        g = new KPairs(rows, cols / SUB, QUANTS, 1);
        subs = (cols / SUB + L - 1) / L * L;
        mins = RowGroups.allocate((rows + L - 1L) / L * subs * GROUP_STRIDE);
        mins.fill((byte) 0);
        MemorySegment m = g.packed;
        for (int r = 0; r < rows; r++) {
            long mr = minGroup(r) + r % L, dm = minGroup(r) + (long) subs * L + 4L * (r % L);
            for (long p = r * rowBytes, end = p + rowBytes, j = 0; p < end; p += BYTES) {
                float d = f16(p);
                mins.set(FLOAT_LE, dm + (j / 8) * 4L * L, f16(p + 2));
                for (int sub = 0; sub < 8; sub++, j++) {
                    long q = g.quants(r, (int) j), run = p + 16 + 32L * (sub >> 1);
                    int shift = 4 * (sub & 1);
                    for (int k = 0; k < QUANTS; k++) {
                        int lo = (u8(run + k) >> shift) & 15, hi = (u8(run + 16 + k) >> shift) & 15;
                        m.set(ValueLayout.JAVA_BYTE, q + k, (byte) (lo | hi << 4));
                    }
                    m.set(FLOAT_LE, g.factors(r, (int) j), d * KScales.scale(data, p + 4, sub));
                    mins.set(ValueLayout.JAVA_BYTE, mr + j * L, (byte) KScales.min(data, p + 4, sub));
                }
            }
        }
        if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    /** The fused kernels' operations for one row and token (allocates its token sums: not a hot path). */
    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        if (lanes != null) return lanes.dot(row, x, xOff);
        float[] xs = new float[subs + L];
        xsums(x, xOff, xs);
        minTerms(xs, row - row % L, row + 1);
        return oneRow(row, x, xOff, xs[subs + row % L]);
    }

    /**
     * Two rows per pass (one load of the activations serves both); each row gets the operations of
     * {@link #dot} in its order, so its bits do not depend on the pairing or the batch. The token's sums of 32
     * activations go to the scratch (the forward pass's holds 4·cols floats; a smaller one goes through {@link #dot}).
     */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (lanes != null) { // every token the bits of dot, whatever the batch (1 to 15) and the rows
            int need = lanes.scratchFloats(n);
            lanes.matmul(x, n, cols, out, outOff, outStride, from, to, add, scratch.length >= need ? scratch : new float[need]);
            return;
        }
        if (!Lanes.VECTOR || scratch.length < subs + (to - from) + 2 * L) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        for (int t = 0; t < n; t++) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            xsums(x, xOff, scratch);
            int m = subs + from % L; // row r's min term is at scratch[m + r - from]
            minTerms(scratch, from, to);
            if ((r & 1) != 0 && r < to) {
                put(out, o + r, oneRow(r, x, xOff, scratch[m + r - from]), add);
                r++;
            }
            for (; r + 2 <= to; r += 2) twoRows(r, x, xOff, scratch[m + r - from], scratch[m + r + 1 - from], out, o + r, add);
            if (r < to) put(out, o + r, oneRow(r, x, xOff, scratch[m + r - from]), add);
        }
    }

    @Override
    String fusedPath(int n, int scratchFloats) {
        if (lanes == null) return super.fusedPath(n, scratchFloats);
        return L + " rows in lanes" + (lanes.quads ? " (quads, 8-bit activations)" : "") + " × " + n + (n == 1 ? " token" : " tokens");
    }

    @Override
    public boolean roundsActivations() {
        return lanes != null && lanes.quads;
    }

    /** With the lanes layout every decode batch (below {@link #TILE_FROM}) stays on {@link #fusedRows}, as Q4_0's does. */
    @Override
    int fusedBelow() {
        return lanes != null ? PAIRED_FUSED_BELOW : FUSED_BELOW;
    }

    /** {@code xs[sub]} = the sum of the token's 32 activations of sub-block sub, zero up to {@link #subs}. */
    private void xsums(float[] x, int xOff, float[] xs) {
        int blocks = g.blocks;
        for (int b = 0; b < blocks; b++) {
            int xo = xOff + b * SUB;
            FloatVector v = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 16));
            for (int k = L; k < QUANTS; k += L) v = v.add(FloatVector.fromArray(F, x, xo + k)).add(FloatVector.fromArray(F, x, xo + 16 + k));
            xs[b] = Lanes.sum(v);
        }
        for (int b = blocks; b < subs; b++) xs[b] = 0;
    }

    /** Bytes per sub-block of a group of L rows in {@link #mins}: L mins, and an eighth of L F32 dmins. */
    private static final long GROUP_STRIDE = L + 4L * L / 8;

    /** Offset of row r's group in {@link #mins}. */
    private long minGroup(int r) {
        return (long) (r / L) * subs * GROUP_STRIDE;
    }

    /**
     * −Σ_sub dmin·min·Σx_sub of rows {@code [from, to)}, L rows per vector pass over the transposed mins (a row per
     * lane: per sub-block one byte load, one broadcast token sum and one FMA serve L rows), to
     * {@code xs[subs + r − (from − from % L)]}; {@code xs[0 .. subs)} holds the token sums ({@link #xsums}). Each
     * row's sum has the same order whatever the group, so {@link #dot} and the fused kernels give the same bits.
     */
    private void minTerms(float[] xs, int from, int to) {
        int blocks = g.blocks, supers = blocks / 8;
        for (int r0 = from - from % L, i = subs; r0 < to; r0 += L, i += L) {
            long base = minGroup(r0), dm = base + (long) subs * L;
            FloatVector acc = FloatVector.zero(F);
            for (int sb = 0; sb < supers; sb++) {
                FloatVector part = FloatVector.zero(F);
                for (int j = sb * 8; j < sb * 8 + 8; j++) {
                    part = Widen.toFloat(Widen.u8(mins, base + (long) j * L)).fma(FloatVector.broadcast(F, xs[j]), part);
                }
                acc = part.fma(FloatVector.fromMemorySegment(F, mins, dm + sb * 4L * L, Lanes.LE), acc);
            }
            acc.neg().intoArray(xs, i);
        }
    }

    /** One row: Σ_sub (d·scale)·(q·x) lane-wise, started from the row's min term in lane 0. */
    private float oneRow(int row, float[] x, int xOff, float minTerm) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), f = g.factors(row, 0);
        FloatVector acc = FloatVector.zero(F).withLane(0, minTerm);
        for (int b = 0; b < g.blocks; b++) { // one induction variable: C2 hoists the bounds checks
            long p = q + b * st;
            int xo = xOff + b * SUB;
            FloatVector s = FloatVector.zero(F);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + k);
                s = hi(w).fma(FloatVector.fromArray(F, x, xo + 16 + k), lo(w).fma(FloatVector.fromArray(F, x, xo + k), s));
            }
            acc = s.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, f + b * st)), acc);
        }
        return Lanes.sum(acc);
    }

    private void twoRows(int r, float[] x, int xOff, float min0, float min1, float[] out, int o, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), f = g.factors(r, 0);
        FloatVector z = FloatVector.zero(F), a0 = z.withLane(0, min0), a1 = z.withLane(0, min1);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * SUB;
            FloatVector s0 = z, s1 = z;
            for (int k = 0; k < QUANTS; k += L) {
                FloatVector xl = FloatVector.fromArray(F, x, xo + k), xh = FloatVector.fromArray(F, x, xo + 16 + k);
                IntVector w0 = Widen.u8(m, p + k), w1 = Widen.u8(m, p + QUANTS + k);
                s0 = hi(w0).fma(xh, lo(w0).fma(xl, s0));
                s1 = hi(w1).fma(xh, lo(w1).fma(xl, s1));
            }
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 4)), a1);
        }
        KPairs.sums(a0, a1, out, o, add);
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
        if (lanes != null) {
            decodeFileRow(row, out, outOff);
            return;
        }
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), f = g.factors(row, 0), mr = minGroup(row) + row % L, dm = minGroup(row) + (long) subs * L + 4L * (row % L);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            int o = outOff + b * SUB;
            float d = m.get(FLOAT_LE, f + b * st);
            float negMin = -(mins.get(FLOAT_LE, dm + 4L * L * (b / 8)) * Byte.toUnsignedInt(mins.get(ValueLayout.JAVA_BYTE, mr + (long) L * b)));
            for (int k = 0; k < QUANTS; k += L) { // d·q − m: the reference's operations (x − m and x + (−m) are the same float)
                IntVector w = Widen.u8(m, p + k);
                lo(w).mul(d).add(negMin).intoArray(out, o + k);
                hi(w).mul(d).add(negMin).intoArray(out, o + 16 + k);
            }
        }
    }

    /**
     * {@link #dequantizeRow}'s operations on the file's blocks, vectorized: the row decoder of the lanes layout, whose
     * rows lie across vectors (prefill pages the file's blocks back in; they are clean pages). Its vector operations
     * are the Vector API's own, no helper of ours: with {@link KScales} inlined, C2 passed {@code NodeCountInliningCutoff}
     * and called {@code Widen.u8}, {@code lo} and {@code hi}, boxing their vectors.
     */
    private void decodeFileRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p), dmin = f16(p + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(data, p + 4, 2 * c), m1 = dmin * KScales.min(data, p + 4, 2 * c);
                float d2 = d * KScales.scale(data, p + 4, 2 * c + 1), m2 = dmin * KScales.min(data, p + 4, 2 * c + 1);
                int o = outOff + b * BLOCK + 64 * c;
                for (int l = 0; l < SUB; l += L) { // Widen.u8, lo and hi written out: see the comment above
                    IntVector w = (IntVector) ByteVector.fromMemorySegment(B, data, p + 16 + 32L * c + l, LE).convertShape(ZERO_EXTEND_B2I, I, 0);
                    ((FloatVector) w.and(15).convert(I2F, 0)).mul(d1).sub(m1).intoArray(out, o + l);
                    ((FloatVector) w.lanewise(LSHR, 4).convert(I2F, 0)).mul(d2).sub(m2).intoArray(out, o + 32 + l);
                }
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            float dmin = f16(p + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(data, p + 4, 2 * c), m1 = dmin * KScales.min(data, p + 4, 2 * c);
                float d2 = d * KScales.scale(data, p + 4, 2 * c + 1), m2 = dmin * KScales.min(data, p + 4, 2 * c + 1);
                int o = outOff + b * BLOCK + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int q = u8(p + 16 + 32L * c + l);
                    out[o + l] = d1 * (q & 0xF) - m1;
                    out[o + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }
}
