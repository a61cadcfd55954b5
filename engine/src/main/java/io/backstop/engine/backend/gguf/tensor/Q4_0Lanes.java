package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_0QuadKernels.BB;
import static io.backstop.engine.backend.gguf.tensor.Q4_0QuadKernels.QUAD;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Q4_0 with rows in vector lanes, for decoding (batches below {@link WeightTensor#TILE_FROM}, decode steps below
 * {@link Q4_0Tensor#DECODE_BELOW}): rows in groups of L (16 with AVX-512), groups in quads of four; for each group,
 * run 16·b + j (block b, j = 0..15) holds byte j of block b of each of the L rows (value j in its low nibble, value
 * 16 + j in its high one), and each block has the L rows' scales as F32. A quad's four groups' runs of one index lie
 * side by side; the {@link DecodeLayout#BATCH} copy puts the runs of every quad first and their scales after
 * ({@link Q4_0LaneKernels}). The {@link DecodeLayout#ONE_SEQUENCE} copy holds each quad's block as 16-bit lanes of
 * four columns, its F16 scales behind them, and multiplies 8-bit activations ({@link Q4_0QuadKernels}; below, the
 * batch copy's float kernels). One widening load gives a column's bytes for L rows, a mask their low nibbles; a token's
 * activation for that column is a broadcast, so each decoded vector serves every token of the batch with one FMA,
 * and a group's L results come out as one vector, with no sum across lanes.
 *
 * <p>Per row and token the operations are, for each block b: {@code c0 = −8·Σx_b}, {@code c1 = 0}; for j = 0..15
 * {@code c0 = fma(lo_j, x_j, c0)}, {@code c1 = fma(hi_j, x_{16+j}, c1)}; then {@code acc = fma(c0 + c1, d_b, acc)}
 * (the −8 of every weight folded into the start of the block's sum, {@code Σx_b} as {@link #minus8} sums it).
 * Every kernel of a copy and {@link #dot} do exactly that, so a token gets the same bits alone and in any batch of
 * 1 to 31. Two chains per block (low and high nibbles), and blocks independent but for
 * {@code acc}: out-of-order execution overlaps consecutive blocks.
 *
 * <p>Memory: native ({@link RowGroups#allocate}), {@code 20·L} bytes per group and block (+11 % over the file,
 * as {@link RowGroups}; the one-sequence copy's {@code 18·L}, the file's), rows padded to a multiple of 4·L (whole
 * quads) with zeros.
 */
final class Q4_0Lanes extends Q4_0LaneKernels {
    /** Whether this is the one-sequence copy, scales inside each quad's blocks ({@link DecodeLayout#ONE_SEQUENCE}). */
    private final boolean quads;
    /** Bytes from one run of a group to its next: a quad's line of runs in both copies. */
    private static final long RS = RUN;

    private Q4_0Lanes(MemorySegment packed, int groups, int blocks, DecodeLayout layout) {
        super(packed, groups, blocks);
        this.quads = layout == DecodeLayout.ONE_SEQUENCE;
    }

    /**
     * Repacks {@code rows} rows of {@code blocks} GGUF Q4_0 blocks (an F16 scale, then 16 bytes) from {@code src}.
     * The file's pages are dropped afterwards, as {@link RowGroups#repack} does: decoding reads the copy only.
     */
    static Q4_0Lanes repack(MemorySegment src, int rows, int blocks, DecodeLayout layout) {
        int groups = ((rows + L - 1) / L + QUAD - 1) / QUAD * QUAD; // whole quads, in both copies
        boolean quads = layout == DecodeLayout.ONE_SEQUENCE;
        Q4_0Lanes t = new Q4_0Lanes(RowGroups.allocate(groups * (long) blocks * (quads ? 18 : 20) * L), groups, blocks, layout);
        MemorySegment m = t.packed;
        m.fill((byte) 0);
        for (int r = 0; r < rows; r++) {
            int lane = r % L, g = r / L;
            for (int b = 0; b < blocks; b++) {
                long s = ((long) r * blocks + b) * Q4_0Tensor.BYTES;
                if (quads) {
                    long block = t.quadBlock(g, b);
                    for (int j = 0; j < HALF; j++) m.set(ValueLayout.JAVA_BYTE, Q4_0QuadKernels.byteOf(block, g % QUAD, lane, j), src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                    m.set(WeightTensor.SHORT_LE, Q4_0QuadKernels.scaleOf(block, g % QUAD, lane), src.get(WeightTensor.SHORT_LE, s));
                    continue;
                }
                long base = t.runs(g, b);
                for (int j = 0; j < HALF; j++) m.set(ValueLayout.JAVA_BYTE, base + j * RS + lane, src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                m.set(WeightTensor.FLOAT_LE, t.scale(g, b) + 4L * lane, Float.float16ToFloat(src.get(WeightTensor.SHORT_LE, s)));
            }
        }
        if (src.isMapped()) src.unload();
        return t;
    }

    /** Which copy this is. */
    DecodeLayout layout() {
        return quads ? DecodeLayout.ONE_SEQUENCE : DecodeLayout.BATCH;
    }

    /** In the batch copy, offset of group {@code group}'s first run of block {@code b} (its next runs {@link #RS} bytes apart). */
    private long runs(int group, int b) {
        return group / QUAD * (RUN * HALF * blocks) + (long) b * HALF * RUN + group % QUAD * (long) L;
    }

    /** In the batch copy, offset of group {@code group}'s L scales of block {@code b}. */
    private long scale(int group, int b) {
        return scales + group / QUAD * (SCALE_BLOCK * blocks) + b * SCALE_BLOCK + group % QUAD * 4L * L;
    }

    /** In the one-sequence copy, offset of block {@code b} of the quad of group {@code group} ({@link Q4_0QuadKernels#BB} bytes each). */
    private long quadBlock(int group, int b) {
        return ((long) (group / QUAD) * blocks + b) * BB;
    }

    /** −8·Σ of the 32 activations from {@code x[xo]} (lane-wise, then {@link Lanes#sum}): the start of a block's sum. */
    static float minus8(float[] x, int xo) {
        FloatVector s = FloatVector.fromArray(F, x, xo);
        for (int k = L; k < BLOCK; k += L) s = s.add(FloatVector.fromArray(F, x, xo + k));
        return -8f * Lanes.sum(s);
    }

    /**
     * Floats of scratch {@link #matmul} needs for n tokens: the kernels' accumulators, each token's {@link #minus8} per
     * block, then the tokens' activations {@link #interleave}d; the one-sequence copy's then their 8-bit values and
     * scales ({@link Q8Activations}), and −8·Σx₈ in place of {@link #minus8}.
     */
    int scratchFloats(int n) {
        return SUMS + n * blocks + n * blocks * BLOCK + (quads ? n * blocks * (BLOCK + 1) : 0);
    }

    /**
     * Copies the 32·blocks activations at {@code x[from ..]} to {@code xp[to ..]} in the order the kernels read them:
     * per block, x_j and x_{16+j} side by side for j = 0..15, so a run's two activations are at 2i and 2i + 1. Every
     * product call of a decode step does this for its tokens, so it is vectorized: two permutes per L floats out instead
     * of a scalar load and store per float (on its own, its gain was within the host's noise in the A/B).
     */
    static void interleave(float[] x, int from, float[] xp, int to, int blocks) {
        if (!Lanes.VECTOR || HALF % L != 0) {
            for (int b = 0; b < blocks; b++) {
                int s = from + b * BLOCK, d = to + b * BLOCK;
                for (int j = 0; j < HALF; j++) {
                    xp[d + 2 * j] = x[s + j];
                    xp[d + 2 * j + 1] = x[s + HALF + j];
                }
            }
            return;
        }
        for (int b = 0; b < blocks; b++) {
            int s = from + b * BLOCK, d = to + b * BLOCK;
            for (int k = 0; k < HALF; k += L) {
                FloatVector lo = FloatVector.fromArray(F, x, s + k), hi = FloatVector.fromArray(F, x, s + HALF + k);
                lo.rearrange(ZIP_LOW, hi).intoArray(xp, d + 2 * k);
                lo.rearrange(ZIP_HIGH, hi).intoArray(xp, d + 2 * k + L);
            }
        }
    }

    /**
     * Lane i of {@code a.rearrange(ZIP_LOW, b)}: a's lane i/2 for even i, b's for odd i (an index below 0 picks from the
     * second vector); {@link #ZIP_HIGH} the same from lane L/2 on.
     */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(F, i -> (i & 1) == 0 ? i / 2 : i / 2 - L);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(F, i -> (i & 1) == 0 ? L / 2 + i / 2 : L / 2 + i / 2 - L);

    /**
     * Blocks {@code [b0, b1)} of group {@code group}'s L rows, column by column: value k (from 32·b0) of the group's
     * row j to {@code out[off + k·L + j]} (the tile path's column panels, {@link WeightTensor#decodeColumns}). Each
     * value is {@code fma(q, d, −8·d)}: −8·d is exact and the multiply-add rounds once, so it is (q − 8)·d rounded,
     * the bits {@link Q4_0Tensor#decodeRow} gives (but the sign of a zero, which no multiply-add chain from +0 sees).
     */
    void decodeColumns(int group, int b0, int b1, float[] out, int off) {
        MemorySegment m = packed;
        if (quads) {
            int k = group % QUAD, sh = 16 * (k & 1);
            for (int b = b0; b < b1; b++) {
                long block = quadBlock(group, b), runs = block + (k >> 1) * Q4_0QuadKernels.PAIR;
                FloatVector d = Q4_0QuadKernels.scales(IntVector.fromMemorySegment(I, m, Q4_0QuadKernels.scaleOf(block, k, 0) - 2L * (k & 1), LE), k & 1);
                FloatVector c = d.mul(-8f);
                int o = off + (b - b0) * BLOCK * L;
                for (int i = 0; i < Q4_0QuadKernels.BLOCK_RUNS; i++) { // run i: columns 2i, 16 + 2i, 2i + 1, 17 + 2i
                    IntVector w = IntVector.fromMemorySegment(I, m, runs + i * Q4_0QuadKernels.RUN, LE).lanewise(LSHR, sh);
                    lo(w).fma(d, c).intoArray(out, o + 2 * i * L);
                    lo(w.lanewise(LSHR, 4)).fma(d, c).intoArray(out, o + (HALF + 2 * i) * L);
                    lo(w.lanewise(LSHR, 8)).fma(d, c).intoArray(out, o + (2 * i + 1) * L);
                    lo(w.lanewise(LSHR, 12)).fma(d, c).intoArray(out, o + (HALF + 2 * i + 1) * L);
                }
            }
            return;
        }
        for (int b = b0; b < b1; b++) {
            long q = runs(group, b);
            FloatVector d = FloatVector.fromMemorySegment(F, m, scale(group, b), LE);
            FloatVector c = d.mul(-8f);
            int o = off + (b - b0) * BLOCK * L;
            for (int j = 0; j < HALF; j++, q += RS) {
                IntVector w = Widen.u8(m, q);
                lo(w).fma(d, c).intoArray(out, o + j * L);
                hi(w).fma(d, c).intoArray(out, o + (HALF + j) * L);
            }
        }
    }

    /** The kernels' accumulators: up to two groups × four tokens vectors. */
    private static final int SUMS = 8 * L;

    /**
     * Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernels' operations in their order (so
     * their bits): in the one-sequence copy with the token's activations rounded to 8 bits ({@link Q4_0QuadKernels}).
     */
    float dot(int row, float[] x, int xOff) {
        int lane = row % L, g = row / L;
        float acc = 0;
        float[] xi = new float[BLOCK], xq = new float[BLOCK], xd = new float[1], sum = new float[1];
        for (int b = 0; b < blocks; b++) {
            int xo = xOff + b * BLOCK;
            if (quads) {
                long block = quadBlock(g, b);
                interleave(x, xo, xi, 0, 1);
                Q8Activations.quantize(xi, 0, 1, xq, 0, xd, 0, sum, 0);
                int dot = 0; // exact: no order to keep
                for (int j = 0; j < HALF; j++) {
                    int w = Byte.toUnsignedInt(packed.get(ValueLayout.JAVA_BYTE, Q4_0QuadKernels.byteOf(block, g % QUAD, lane, j)));
                    dot += (w & 15) * Q8Activations.stored(xq, 2 * j) + (w >> 4) * Q8Activations.stored(xq, 2 * j + 1);
                }
                float d = Float.float16ToFloat(packed.get(WeightTensor.SHORT_LE, Q4_0QuadKernels.scaleOf(block, g % QUAD, lane)));
                acc = Math.fma((float) dot + minus8(sum[0]), d * xd[0], acc);
                continue;
            }
            long p = runs(g, b);
            float c0 = minus8(x, xo), c1 = 0;
            for (int j = 0; j < HALF; j++) {
                int w = Byte.toUnsignedInt(packed.get(ValueLayout.JAVA_BYTE, p + j * RS + lane));
                c0 = Math.fma((float) (w & 15), x[xo + j], c0);
                c1 = Math.fma((float) (w >> 4), x[xo + HALF + j], c1);
            }
            acc = Math.fma(c0 + c1, packed.get(WeightTensor.FLOAT_LE, scale(g, b) + 4L * lane), acc);
        }
        return acc;
    }

    /** −8·Σ of a block's activations rounded to 8 bits, from {@link Q8Activations#quantize}'s sum of them: exact. */
    static float minus8(float sum) {
        return -8f * sum;
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), with {@link #scratchFloats} of
     * scratch: two groups at a time × four tokens (each broadcast serves two groups, each decoded vector four tokens),
     * then the last three tokens two groups at a time, or the last two two groups at a time and the last one a whole
     * quad at a time (more independent chains for fewer tokens); a group the range covers in part, or one outside a
     * pair of its quad (an odd first or last one), alone. Kernels hand their accumulators out through the scratch:
     * vectors passed to a method C2 does not inline get boxed.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int m8 = SUMS, xi = SUMS + n * blocks;
        if (quads) {
            int qi = xi + n * cols, di = qi + n * cols; // the tokens' activations rounded to 8 bits, then their scales
            for (int t = 0; t < n; t++) {
                int mo = m8 + t * blocks;
                interleave(x, t * cols, scratch, xi + t * cols, blocks);
                Q8Activations.quantize(scratch, xi + t * cols, blocks, scratch, qi + t * cols, scratch, di + t * blocks, scratch, mo);
                for (int b = 0; b < blocks; b++) scratch[mo + b] = minus8(scratch[mo + b]);
            }
            matmulQuads(n, cols, out, outOff, outStride, from, to, add, scratch, qi, di);
            return;
        }
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < blocks; b++) scratch[m8 + t * blocks + b] = minus8(x, t * cols + b * BLOCK);
            interleave(x, t * cols, scratch, xi + t * cols, blocks);
        }
        float[] xp = scratch;
        int gr = from / L, t4 = n & -4, t2 = n & -2;
        for (; gr * L < to && (gr * L < from || gr % 2 != 0); gr++) alone(gr, n, cols, out, outOff, outStride, from, to, add, scratch);
        // a whole quad per pass where it fits, else a pair of its groups: the kernels take a pair at a time, and a
        // last odd token takes all of the pass's groups at once (more independent chains)
        for (int pass; (gr + 2) * L <= to; gr += pass) {
            pass = gr % QUAD == 0 && (gr + QUAD) * L <= to ? QUAD : 2;
            int o = outOff + gr * L;
            long base = runs(gr, 0), sc = scale(gr, 0) - scales;
            for (int t = 0; t < t4; t += 4) {
                for (int k = 0; k < pass; k += 2) {
                    fourTwoGroups(packed, scaleSeg, blocks, base + k * L, sc + k * 4L * L, xp, xi + t * cols, cols, scratch, m8 + t * blocks, scratch);
                    put(scratch, 2, 4, out, o + k * L + t * outStride, outStride, add, 0, L);
                }
            }
            if (n - t4 == 3) {
                for (int k = 0; k < pass; k += 2) {
                    threeTwoGroups(packed, scaleSeg, blocks, base + k * L, sc + k * 4L * L, xp, xi + t4 * cols, cols, scratch, m8 + t4 * blocks, scratch);
                    put(scratch, 2, 3, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                }
                continue;
            }
            if (t2 > t4) {
                for (int k = 0; k < pass; k += 2) {
                    twoTwoGroups(packed, scaleSeg, blocks, base + k * L, sc + k * 4L * L, xp, xi + t4 * cols, cols, scratch, m8 + t4 * blocks, scratch);
                    put(scratch, 2, 2, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                }
            }
            if (n > t2) {
                if (pass == QUAD) oneFourGroups(packed, scaleSeg, blocks, base, sc, xp, xi + t2 * cols, scratch, m8 + t2 * blocks, scratch);
                else oneTwoGroups(packed, scaleSeg, blocks, base, sc, xp, xi + t2 * cols, scratch, m8 + t2 * blocks, scratch);
                put(scratch, pass, 1, out, o + t2 * outStride, outStride, add, 0, L);
            }
        }
        for (; gr * L < to; gr++) alone(gr, n, cols, out, outOff, outStride, from, to, add, scratch);
    }

    /** Group {@code gr} alone, for its rows in {@code [from, to)}: four tokens at a time, then two, then one. */
    private void alone(int gr, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int m8 = SUMS, xi = SUMS + n * blocks, t4 = n & -4, t2 = n & -2;
        int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
        int o = outOff + gr * L;
        long base = runs(gr, 0), sc = scale(gr, 0) - scales;
        for (int t = 0; t < t4; t += 4) {
            four(packed, scaleSeg, blocks, base, sc, scratch, xi + t * cols, cols, scratch, m8 + t * blocks, scratch);
            put(scratch, 1, 4, out, o + t * outStride, outStride, add, lo, hi);
        }
        if (t2 > t4) {
            two(packed, scaleSeg, blocks, base, sc, scratch, xi + t4 * cols, cols, scratch, m8 + t4 * blocks, scratch);
            put(scratch, 1, 2, out, o + t4 * outStride, outStride, add, lo, hi);
        }
        if (n > t2) {
            one(packed, scaleSeg, blocks, base, sc, scratch, xi + t2 * cols, scratch, m8 + t2 * blocks, scratch);
            put(scratch, 1, 1, out, o + t2 * outStride, outStride, add, lo, hi);
        }
    }

    /**
     * {@link #matmul} on the quad copy, after its layout of the tokens in the scratch: a quad (or pair of a quad, or
     * group) at a time, token by token through {@link Q4_0QuadKernels}' lone-token kernels, so a quad streams from memory
     * once and later tokens find it in cache. A group the range covers in part goes alone, for its rows.
     */
    private void matmulQuads(int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch, int qi, int di) {
        int m8 = SUMS;
        for (int gr = from / L, pass; gr * L < to; gr += pass) {
            int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
            pass = lo > 0 || hi < L ? 1 : gr % QUAD == 0 && (gr + QUAD) * L <= to ? QUAD : gr % 2 == 0 && (gr + 2) * L <= to ? 2 : 1;
            long base = quadBlock(gr, 0);
            for (int t = 0; t < n; t++) {
                int xo = qi + t * cols, xd = di + t * blocks, mo = m8 + t * blocks, o = outOff + gr * L + t * outStride;
                if (pass == QUAD) Q4_0QuadKernels.quad(packed, blocks, base, scratch, xo, scratch, xd, scratch, mo, scratch);
                else Q4_0QuadKernels.pair(packed, blocks, base, gr % QUAD / 2, scratch, xo, scratch, xd, scratch, mo, scratch);
                if (pass == 1 && gr % 2 == 1) System.arraycopy(scratch, L, scratch, 0, L); // a lone group: its half of the pair
                put(scratch, pass, 1, out, o, outStride, add, lo, hi); // a pass of 2 or 4 groups covers them whole: 0, L
            }
        }
    }

    /**
     * Writes a kernel's results for {@code groups} groups × {@code tokens} tokens from {@code sums} (vector t·groups + g)
     * to {@code out[o + t·outStride + g·L + lane]} for lanes {@code [lo, hi)}, or adds them: {@link WeightTensor#put} per lane. Shared with {@link Q4_KLanes}, whose kernels leave their sums alike.
     */
    static void put(float[] sums, int groups, int tokens, float[] out, int o, int outStride, boolean add, int lo, int hi) {
        for (int t = 0; t < tokens; t++) {
            for (int g = 0; g < groups; g++) {
                int s = (t * groups + g) * L, d = o + t * outStride + g * L;
                if (lo == 0 && hi == L) {
                    FloatVector v = FloatVector.fromArray(F, sums, s);
                    if (add) v = FloatVector.fromArray(F, out, d).add(v);
                    v.intoArray(out, d);
                } else {
                    for (int i = lo; i < hi; i++) WeightTensor.put(out, d + i, sums[s + i], add);
                }
            }
        }
    }
}
