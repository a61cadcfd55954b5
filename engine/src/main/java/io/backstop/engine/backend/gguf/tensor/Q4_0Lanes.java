package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_0QuadKernels.BB;
import static io.backstop.engine.backend.gguf.tensor.Q4_0QuadKernels.QUAD;
import static io.backstop.engine.backend.gguf.tensor.Widen.lo;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Q4_0 with rows in vector lanes, for decoding (every decode step, {@link Q4_0Tensor#decodeBelow}) and a prompt's
 * batches below {@link WeightTensor#TILE_FROM}: rows in groups of L (16 with AVX-512), groups in quads of four, each
 * quad's blocks one sequential stream of 16-bit lanes holding four columns of two groups' rows each, then the blocks'
 * F16 scales, as in the file ({@link Q4_0QuadKernels}: the layout and why). A decode token's activations are rounded
 * to 8 bits per block ({@link Q8Activations}, as llama.cpp does for Q4_0) and a token runs a quad's whole rows per
 * kernel call, tokens one by one: a quad streams from memory once and later tokens find it in cache. Per row and
 * token, for each block b: {@code acc = fma(float(Σ q·x₈) − 8·Σx₈, d·dₓ, acc)}, both sums exact integers; every kernel
 * and {@link #dot} do exactly that, so a token gets the same bits alone and in any decode step. A prompt's tokens stay
 * in floats ({@link #matmulFloats}; {@link WeightTensor#roundsActivations}).
 *
 * <p>Both {@link DecodeLayout}s: the float kernels of the old batch copy (each decoded vector serving two or four
 * tokens with one FMA each) ran a batch of 4 in 0.95× and of 8 in 0.92× this copy's time (JMH, 5632×2048, two
 * threads, from cache), but a lone token in 1.48× and two in 1.15×; served, this copy gave 1.21× and 1.15× the
 * aggregate tok/s at one and two clients and 0.98× at four and eight (README, "8-bit activations"). Multi-token
 * kernels on this copy (a run unpacked once for two or four tokens) were no faster than token by token: per token the
 * multiplies and adds are the cost, the unpacking is not.
 *
 * <p>Memory: native ({@link RowGroups#allocate}), {@code 18·L} bytes per group and block (the file's), rows padded to
 * a multiple of 4·L (whole quads) with zeros.
 */
final class Q4_0Lanes {
    static final int BLOCK = 32;
    static final int HALF = 16;
    /** The copy ({@link Q4_0QuadKernels}' layout). */
    final MemorySegment packed;
    final int blocks;

    private Q4_0Lanes(MemorySegment packed, int blocks) {
        this.packed = packed;
        this.blocks = blocks;
    }

    /**
     * Repacks {@code rows} rows of {@code blocks} GGUF Q4_0 blocks (an F16 scale, then 16 bytes) from {@code src}.
     * The file's pages are dropped afterwards, as {@link RowGroups#repack} does: decoding reads the copy only.
     */
    static Q4_0Lanes repack(MemorySegment src, int rows, int blocks) {
        int groups = ((rows + L - 1) / L + QUAD - 1) / QUAD * QUAD; // whole quads
        Q4_0Lanes t = new Q4_0Lanes(RowGroups.allocate(groups * (long) blocks * 18 * L), blocks);
        MemorySegment m = t.packed;
        m.fill((byte) 0);
        for (int r = 0; r < rows; r++) {
            int lane = r % L, g = r / L;
            for (int b = 0; b < blocks; b++) {
                long s = ((long) r * blocks + b) * Q4_0Tensor.BYTES, block = t.quadBlock(g, b);
                for (int j = 0; j < HALF; j++) m.set(ValueLayout.JAVA_BYTE, Q4_0QuadKernels.byteOf(block, g % QUAD, lane, j), src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                m.set(WeightTensor.SHORT_LE, Q4_0QuadKernels.scaleOf(block, g % QUAD, lane), src.get(WeightTensor.SHORT_LE, s));
            }
        }
        if (src.isMapped()) src.unload();
        return t;
    }

    /** Offset of block {@code b} of the quad of group {@code group} ({@link Q4_0QuadKernels#BB} bytes each). */
    private long quadBlock(int group, int b) {
        return ((long) (group / QUAD) * blocks + b) * BB;
    }

    /**
     * Floats of scratch {@link #matmul} needs for n tokens: the kernels' sums, each token's −8·Σx₈ per block, its
     * activations {@link #interleave}d, then their 8-bit values and scales ({@link Q8Activations}).
     */
    int scratchFloats(int n) {
        return SUMS + n * blocks + 2 * n * blocks * BLOCK + n * blocks;
    }

    /** Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernels' integers and float operations (so their bits). */
    float dot(int row, float[] x, int xOff) {
        int lane = row % L, g = row / L;
        float acc = 0;
        float[] xi = new float[BLOCK], xq = new float[BLOCK], xd = new float[1], sum = new float[1];
        for (int b = 0; b < blocks; b++) {
            long block = quadBlock(g, b);
            interleave(x, xOff + b * BLOCK, xi, 0, 1);
            Q8Activations.quantize(xi, 0, 1, xq, 0, xd, 0, sum, 0);
            int dot = 0; // exact: no order to keep
            for (int j = 0; j < HALF; j++) {
                int w = Byte.toUnsignedInt(packed.get(ValueLayout.JAVA_BYTE, Q4_0QuadKernels.byteOf(block, g % QUAD, lane, j)));
                dot += (w & 15) * Q8Activations.stored(xq, 2 * j) + (w >> 4) * Q8Activations.stored(xq, 2 * j + 1);
            }
            float d = Float.float16ToFloat(packed.get(WeightTensor.SHORT_LE, Q4_0QuadKernels.scaleOf(block, g % QUAD, lane)));
            acc = Math.fma((float) dot + minus8(sum[0]), d * xd[0], acc);
        }
        return acc;
    }

    /** −8·Σ of the 32 activations from {@code x[xo]} (lane-wise, then {@link Lanes#sum}): a prompt token's block sum starts there. */
    static float minus8(float[] x, int xo) {
        FloatVector s = FloatVector.fromArray(F, x, xo);
        for (int k = L; k < BLOCK; k += L) s = s.add(FloatVector.fromArray(F, x, xo + k));
        return -8f * Lanes.sum(s);
    }

    /**
     * Rows {@code [from, to)} times n prompt tokens ({@code x[t·cols ..]}, n below the tile) in floats: the prompt form
     * of the product ({@link WeightTensor#roundsActivations}), four tokens at a time per pair of groups, then two, then
     * one ({@link Q4_0QuadKernels#pairFloats4}); a token gets the same bits in any such batch. {@link #scratchFloats} of scratch.
     */
    void matmulFloats(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int m8 = SUMS, xi = SUMS + n * blocks;
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < blocks; b++) scratch[m8 + t * blocks + b] = minus8(x, t * cols + b * BLOCK);
            interleave(x, t * cols, scratch, xi + t * cols, blocks);
        }
        for (int gr = from / L, pass; gr * L < to; gr += pass) {
            int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
            pass = lo > 0 || hi < L ? 1 : gr % QUAD == 0 && (gr + QUAD) * L <= to ? QUAD : gr % 2 == 0 && (gr + 2) * L <= to ? 2 : 1;
            long base = quadBlock(gr, 0);
            int o = outOff + gr * L, last = pass == QUAD ? n & -2 : n; // a whole quad's odd last token: one call for its four groups
            if (last < n) {
                java.util.Arrays.fill(scratch, 0, 4 * L, 0f);
                Q4_0QuadKernels.quadFloats1(packed, blocks, base, scratch, xi + last * cols, scratch, m8 + last * blocks, scratch);
                put(scratch, QUAD, 1, out, o + last * outStride, outStride, add, 0, L);
            }
            for (int k = 0; k < Math.max(pass, 2); k += 2) {
                int p = gr % QUAD / 2 + k / 2, t = 0;
                for (; pass > 1 && t + 4 <= n; t += 4) {
                    java.util.Arrays.fill(scratch, 0, 8 * L, 0f);
                    Q4_0QuadKernels.pairFloats4(packed, blocks, base, p, scratch, xi + t * cols, cols, scratch, m8 + t * blocks, scratch);
                    put(scratch, 2, 4, out, o + k * L + t * outStride, outStride, add, 0, L);
                }
                for (; pass > 1 && t + 2 <= n; t += 2) {
                    java.util.Arrays.fill(scratch, 0, 4 * L, 0f);
                    Q4_0QuadKernels.pairFloats2(packed, blocks, base, p, scratch, xi + t * cols, cols, scratch, m8 + t * blocks, scratch);
                    put(scratch, 2, 2, out, o + k * L + t * outStride, outStride, add, 0, L);
                }
                for (; t < last; t++) {
                    java.util.Arrays.fill(scratch, 0, 2 * L, 0f);
                    Q4_0QuadKernels.pairFloats1(packed, blocks, base, p, scratch, xi + t * cols, cols, scratch, m8 + t * blocks, scratch);
                    if (pass == 1 && gr % 2 == 1) System.arraycopy(scratch, L, scratch, 0, L); // a lone group: its half of the pair
                    put(scratch, Math.min(pass, 2), 1, out, o + k * L + t * outStride, outStride, add, lo, hi);
                }
            }
        }
    }

    /** −8·Σ of a block's activations rounded to 8 bits, from {@link Q8Activations#quantize}'s sum of them: exact. */
    static float minus8(float sum) {
        return -8f * sum;
    }

    /** The kernels' sums: up to four groups of one token, or a pair of groups of four prompt tokens. */
    private static final int SUMS = 8 * L;

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), with {@link #scratchFloats} of
     * scratch: each token's activations interleaved and rounded, then a quad (or pair of a quad, or group) at a time,
     * token by token ({@link Q4_0QuadKernels}). A group the range covers in part goes alone, for its rows.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int m8 = SUMS, xi = SUMS + n * blocks, qi = xi + n * cols, di = qi + n * cols;
        for (int t = 0; t < n; t++) {
            int mo = m8 + t * blocks;
            interleave(x, t * cols, scratch, xi + t * cols, blocks);
            Q8Activations.quantize(scratch, xi + t * cols, blocks, scratch, qi + t * cols, scratch, di + t * blocks, scratch, mo);
            for (int b = 0; b < blocks; b++) scratch[mo + b] = minus8(scratch[mo + b]);
        }
        run(n, cols, out, outOff, outStride, from, to, add, scratch, qi, di);
    }

    private void run(int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch, int qi, int di) {
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
