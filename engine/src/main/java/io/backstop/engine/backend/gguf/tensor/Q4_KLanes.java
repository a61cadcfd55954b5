package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Lanes.S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * {@link Q4_KTensor}'s default decode layout ({@code -Dbackstop.gguf.q4k=pairs} takes the row pairs, {@link KPairs},
 * instead): Q4_0's rows in vector lanes ({@link Q4_0Lanes}) with Q4_K's scales. Rows in groups of L (16 with AVX-512);
 * per group, per sub-block of 32 columns 16 runs of L bytes (run j: byte j of each row, column j in the low nibble,
 * column 16 + j in the high one), all end to end; after all groups' runs, per super-block and group the rows' scales
 * and mins per sub-block and their F16 {@code d} and {@code dmin} ({@link Q4_KLaneLayout}). One widening load and a
 * mask or a shift give one column for L rows; a token's activation there is a broadcast, so each decoded vector serves every
 * token of a pass with one FMA, and a group's L results come out as one vector, with no sum across lanes. 0.578 bytes
 * per weight (the file's 0.5625), the file's pages dropped after the copy.
 *
 * <p>Per row and token the operations are, for each sub-block b: {@code c = 0}, {@code e = 0}; for j = 0..15
 * {@code c = fma(lo_j, x_j, c)}, {@code e = fma(hi_j, x_{16+j}, e)}; then
 * {@code acc = fma(dmin·min_b, −Σx_b, fma(c + e, d·scale_b, acc))} ({@code Σx_b} the sum of the sub-block's 32
 * activations as {@link #negSum} sums them, once per token and product). Every kernel and {@link #dot} do exactly
 * that, so a token gets the same bits alone and in any batch of 1 to 15 ({@code KQuantDecodeTest}).
 */
final class Q4_KLanes extends Q4_KLaneKernels {
    /**
     * Whether Q4_K tensors load in this layout: unless {@code -Dbackstop.gguf.q4k=pairs} asks for the row pairs. With one
     * loop per group and stored factors a lone token took 0.56–0.58× the row pairs' thread CPU (medians), 2–8 tokens 0.37–0.57×
     * (one thread, 5632×2048 and 2048×5632; README, issue 14).
     */
    static final boolean ENABLED = !"pairs".equals(System.getProperty("backstop.gguf.q4k"));

    static final int BYTES = 144;

    private Q4_KLanes(MemorySegment packed, int groups, int supers, boolean quads) {
        super(packed, groups, supers, quads);
    }

    /**
     * Repacks {@code rows} rows of {@code supers} GGUF Q4_K super-blocks from {@code src}, for {@code layout}'s decoding
     * (runs in quads for {@link DecodeLayout#ONE_SEQUENCE}). The caller drops the file's pages afterwards: decoding
     * reads the copy only.
     */
    static Q4_KLanes repack(MemorySegment src, int rows, int supers, DecodeLayout layout) {
        boolean quads = layout == DecodeLayout.ONE_SEQUENCE;
        int groups = (rows + L - 1) / L, quad = Q4_KQuadKernels.QUAD;
        if (quads) groups = (groups + quad - 1) / quad * quad;
        Q4_KLanes t = new Q4_KLanes(RowGroups.allocate(bytes(groups, supers)), groups, supers, quads);
        MemorySegment m = t.packed;
        m.fill((byte) 0); // the padding rows
        for (int r = 0; r < rows; r++) {
            int lane = r % L, g = r / L;
            for (int s = 0; s < supers; s++) {
                long p = ((long) r * supers + s) * BYTES;
                m.set(WeightTensor.SHORT_LE, t.dOf(g, s, lane), src.get(WeightTensor.SHORT_LE, p));
                m.set(WeightTensor.SHORT_LE, t.dminOf(g, s, lane), src.get(WeightTensor.SHORT_LE, p + 2));
                for (int sb = 0; sb < SUBS; sb++) {
                    m.set(ValueLayout.JAVA_BYTE, t.scaleOf(g, s, sb, lane), (byte) KScales.scale(src, p + 4, sb));
                    m.set(ValueLayout.JAVA_BYTE, t.minOf(g, s, sb, lane), (byte) KScales.min(src, p + 4, sb));
                    long run = p + 16 + 32L * (sb >> 1);
                    int shift = 4 * (sb & 1);
                    for (int j = 0; j < HALF; j++) {
                        int lo = (u8(src, run + j) >> shift) & 15, hi = (u8(src, run + HALF + j) >> shift) & 15;
                        m.set(ValueLayout.JAVA_BYTE, t.runByte(g, s, sb, lane, j), (byte) (lo | hi << 4));
                    }
                }
            }
        }
        return t;
    }

    private static float f16(MemorySegment m, long offset) {
        return Float.float16ToFloat(m.get(WeightTensor.SHORT_LE, offset));
    }

    private static int u8(MemorySegment m, long offset) {
        return Byte.toUnsignedInt(m.get(ValueLayout.JAVA_BYTE, offset));
    }

    /** −Σ of the 32 activations from {@code x[xo]} (lane-wise, then {@link Lanes#sum}): a sub-block's weight for its rows' mins. */
    static float negSum(float[] x, int xo) {
        FloatVector s = FloatVector.fromArray(F, x, xo);
        for (int k = L; k < SUB; k += L) s = s.add(FloatVector.fromArray(F, x, xo + k));
        return -Lanes.sum(s);
    }

    /** −Σ of a sub-block's activations rounded to 8 bits: −(Σq)·d, from {@link Q8Activations#quantize}'s sum and scale. */
    static float negSum(float sum, float d) {
        return -(sum * d);
    }

    /**
     * Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernels' operations in their order (so
     * their bits): in quads with the token's activations quantized ({@link Q4_KQuadKernels}), else in floats.
     */
    float dot(int row, float[] x, int xOff) {
        int lane = row % L, g = row / L;
        MemorySegment m = packed;
        float acc = 0;
        float[] xi = new float[SUB], xq = new float[SUB], xd = new float[1], xs = new float[1];
        for (int b = 0; b < supers * SUBS; b++) {
            int s = b / SUBS, sub = b % SUBS;
            int xo = xOff + b * SUB;
            float ds = (float) u8(m, scaleOf(g, s, sub, lane)) * f16(m, dOf(g, s, lane));
            float dm = (float) u8(m, minOf(g, s, sub, lane)) * f16(m, dminOf(g, s, lane));
            if (quads) {
                Q4_0Lanes.interleave(x, xo, xi, 0, 1);
                Q8Activations.quantize(xi, 0, 1, xq, 0, xd, 0, xs, 0);
                int sum = 0; // exact: no order to keep
                for (int j = 0; j < HALF; j++) {
                    int w = u8(m, runByte(g, s, sub, lane, j));
                    sum += (w & 15) * Q8Activations.stored(xq, 2 * j) + (w >> 4) * Q8Activations.stored(xq, 2 * j + 1);
                }
                acc = Math.fma(dm, negSum(xs[0], xd[0]), Math.fma((float) sum, ds * xd[0], acc));
                continue;
            }
            float c = 0, e = 0;
            for (int j = 0; j < HALF; j++) {
                int w = u8(m, runByte(g, s, sub, lane, j));
                c = Math.fma((float) (w & 15), x[xo + j], c);
                e = Math.fma((float) (w >> 4), x[xo + HALF + j], e);
            }
            acc = Math.fma(dm, negSum(x, xo), Math.fma(c + e, ds, acc));
        }
        return acc;
    }

    /** Floats of the kernels' accumulators for n tokens: up to two groups × four tokens vectors, or four groups × n (a quad's tokens one by one). */
    private static int sums(int n) {
        return Math.max(8, 4 * n) * L;
    }

    /**
     * Floats of scratch {@link #matmul} needs for n tokens: the kernels' accumulators, each token's {@link #negSum} per
     * sub-block, the tokens' activations {@link Q4_0Lanes#interleave}d, then the formed factors: two super-blocks' for a
     * lone token, every super-block's for a batch; in quads a super-block's F32 {@code d} and {@code dmin} for four groups,
     * then the tokens' 8-bit activations and their scales ({@link Q8Activations}).
     */
    int scratchFloats(int n) {
        int subs = supers * SUBS, cols = supers * BLOCK;
        return sums(n) + n * subs + n * cols + (quads ? n * (cols + subs) + 8 * L : (n == 1 ? 2 : supers) * SLOT);
    }

    /**
     * Groups {@code group .. group + count − 1}'s F32 {@code d·scale} and {@code dmin·min} of super-block {@code s} into
     * {@code f[off]} on ({@link #GROUP_FACTORS} floats per group: sub-block j's L {@code d·scale} at {@code 2·L·j}, its L
     * {@code dmin·min} L on; the float products, as the file's dequantization takes them). The scales and mins are
     * 6-bit, so a zero-extended byte converts exactly. Called once per pass and super-block (for a lone token, a
     * super-block ahead of its kernels). C2 inlines it into {@link #matmul}, past {@code NodeCountInliningCutoff}: a helper of ours called here
     * ({@code Widen.f16}, {@code Widen.u8}) was left a call that boxed its vectors (300 MB per decode step), so the
     * Vector API's own methods are written out, which C2 inlines whatever the count.
     */
    void form(int group, int count, int s, float[] f, int off) {
        MemorySegment m = packed;
        long p = factorsOf(group, s);
        for (int k = 0; k < count; k++, p += SUPER_FACTOR_BYTES, off += GROUP_FACTORS) {
            IntVector hd = (IntVector) ShortVector.fromMemorySegment(S, m, p + SUBS * 2L * L, LE).convertShape(S2I, I, 0);
            IntVector hm = (IntVector) ShortVector.fromMemorySegment(S, m, p + SUBS * 2L * L + 2L * L, LE).convertShape(S2I, I, 0);
            FloatVector d = hd.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(Widen.F16_RESCALE);
            FloatVector dm = hm.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(Widen.F16_RESCALE);
            for (int j = 0; j < SUBS; j++) {
                ByteVector sc = ByteVector.fromMemorySegment(B, m, p + (long) j * L, LE), mn = ByteVector.fromMemorySegment(B, m, p + (long) (SUBS + j) * L, LE);
                ((FloatVector) sc.convertShape(ZERO_EXTEND_B2I, I, 0).convert(I2F, 0)).mul(d).intoArray(f, off + 2 * L * j);
                ((FloatVector) mn.convertShape(ZERO_EXTEND_B2I, I, 0).convert(I2F, 0)).mul(dm).intoArray(f, off + 2 * L * j + L);
            }
        }
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), with {@link #scratchFloats} of
     * scratch, in passes of four groups, two, or one (a group the range covers in part, or an odd one at its end). In
     * the one-sequence copy each token, its activations rounded to 8 bits ({@link Q8Activations}), runs a pass's whole
     * rows in one kernel call ({@link Q4_KQuadKernels}). A
     * lone token in the batch copy runs a pass super-block by super-block ({@link #lone}), forming the next super-block's factors before
     * the kernels of this one, which carry their sums from one super-block to the next in the scratch: forming the whole
     * row's first read a pass's factor bytes in one burst and its kernels read them back from a scratch as large as L1
     * (README, "Q4_K: factors a super-block ahead"). A batch forms every super-block's factors, then runs whole rows
     * ({@link #batch}): its kernels called per super-block ran 0.9× as fast.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int subs = supers * SUBS, yi = sums(n), xi = yi + n * subs, fo = xi + n * cols;
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < subs; b++) scratch[yi + t * subs + b] = negSum(x, t * cols + b * SUB);
            Q4_0Lanes.interleave(x, t * cols, scratch, xi + t * cols, subs); // a sub-block is a Q4_0 block's 32 columns
        }
        if (quads) { // a quad at a time, its tokens one by one: later tokens find the quad in cache
            int qi = fo + 8 * L, di = qi + n * cols; // the tokens' quantized activations, then their scales
            for (int t = 0; t < n; t++) { // the mins' −Σx of the rounded activations (Q8Activations#quantize)
                int y = yi + t * subs, dt = di + t * subs;
                Q8Activations.quantize(scratch, xi + t * cols, subs, scratch, qi + t * cols, scratch, dt, scratch, y);
                for (int b = 0; b < subs; b++) scratch[y + b] = negSum(scratch[y + b], scratch[dt + b]);
            }
            for (int gr = from / L, pass; gr * L < to; gr += pass) {
                int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
                if (lo > 0 || hi < L) pass = 1;
                else pass = (gr & 3) == 0 && (gr + 4) * L <= to ? 4 : (gr & 1) == 0 && (gr + 2) * L <= to ? 2 : 1; // within a quad
                long q = quadSuper(gr, 0);
                for (int t = 0; t < n; t++) {
                    int xo = qi + t * cols, xd = di + t * subs, yo = yi + t * subs;
                    if (pass == 4) Q4_KQuadKernels.quad(packed, q, supers, scratch, xo, scratch, xd, scratch, yo, scratch, fo, scratch, t * 4 * L);
                    else Q4_KQuadKernels.pair(packed, q, (gr & 3) >> 1, supers, scratch, xo, scratch, xd, scratch, yo, scratch, fo, scratch, t * 2 * L);
                }
                if (pass == 1) { // a lone group: its pair's sums, then its own
                    for (int t = 0; t < n; t++) System.arraycopy(scratch, t * 2 * L + (gr & 1) * L, scratch, t * L, L);
                }
                Q4_0Lanes.put(scratch, pass, n, out, outOff + gr * L, outStride, add, lo, hi);
            }
            return;
        }
        boolean single = n == 1;
        for (int gr = from / L, pass; gr * L < to; gr += pass) {
            int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
            pass = lo > 0 || hi < L ? 1 : (gr + 4) * L <= to ? 4 : (gr + 2) * L <= to ? 2 : 1;
            Arrays.fill(scratch, 0, n * pass * L, 0f);
            for (int s = 0; s <= supers; s++) { // one call site of form: see its comment
                if (s < supers) form(gr, pass, s, scratch, fo + (single ? s & 1 : s) * SLOT);
                for (int t = 0; single && s > 0 && t < n; t++) {
                    lone(gr, pass, s - 1, scratch, fo + ((s - 1) & 1) * SLOT, xi + t * cols, yi + t * subs, t * pass * L);
                }
            }
            if (single) Q4_0Lanes.put(scratch, pass, n, out, outOff + gr * L, outStride, add, lo, hi);
            else batch(gr, pass, n, cols, out, outOff + gr * L, outStride, add, lo, hi, scratch, fo, xi, yi);
        }
    }

    /**
     * Super-block s of a pass of {@code pass} groups from group {@code gr} times one token (activations from
     * {@code sc[xo]}, its {@code −Σx} from {@code sc[yo]}), the factors at {@code sc[fOff]}, the sums carried at
     * {@code sc[sOff]}.
     */
    private void lone(int gr, int pass, int s, float[] sc, int fOff, int xo, int yo, int sOff) {
        long q = runsOf(gr, s);
        int xs = xo + s * BLOCK, ys = yo + s * SUBS;
        if (pass == 4) oneFourGroups(packed, q, groupBytes, sc, xs, sc, fOff, ys, sc, sOff);
        else if (pass == 2) oneTwoGroups(packed, q, groupBytes, sc, xs, sc, fOff, ys, sc, sOff);
        else one(packed, q, sc, xs, sc, fOff, ys, sc, sOff);
    }

    /**
     * A pass of {@code n ≥ 2} tokens, every super-block's factors formed (super-block s's at {@code fo + s·SLOT}): two
     * groups at a time × four tokens, then the last three tokens two groups at a time, or the last two two groups at a
     * time and the last one as {@link #lone}; a pass of one group, its own kernels. Each kernel's sums are written out
     * ({@link Q4_0Lanes#put}) as it returns.
     */
    private void batch(int gr, int pass, int n, int cols, float[] out, int o, int outStride, boolean add, int lo, int hi, float[] sc, int fo, int xi, int yi) {
        MemorySegment m = packed;
        long q = runsOf(gr, 0), gb = groupBytes;
        int subs = supers * SUBS, t4 = n & -4, t2 = n & -2;
        if (pass == 1) {
            for (int t = 0; t < t4; t += 4) {
                four(m, q, supers, sc, xi + t * cols, cols, sc, fo, yi + t * subs, sc, 0);
                Q4_0Lanes.put(sc, 1, 4, out, o + t * outStride, outStride, add, lo, hi);
            }
            if (t2 > t4) {
                two(m, q, supers, sc, xi + t4 * cols, cols, sc, fo, yi + t4 * subs, sc, 0);
                Q4_0Lanes.put(sc, 1, 2, out, o + t4 * outStride, outStride, add, lo, hi);
            }
        } else {
            for (int t = 0; t < t4; t += 4) {
                for (int k = 0; k < pass; k += 2) {
                    fourTwoGroups(m, q + k * gb, gb, supers, sc, xi + t * cols, cols, sc, fo + k * GROUP_FACTORS, yi + t * subs, sc, 0);
                    Q4_0Lanes.put(sc, 2, 4, out, o + k * L + t * outStride, outStride, add, 0, L);
                }
            }
            if (n - t4 == 3) {
                for (int k = 0; k < pass; k += 2) {
                    threeTwoGroups(m, q + k * gb, gb, supers, sc, xi + t4 * cols, cols, sc, fo + k * GROUP_FACTORS, yi + t4 * subs, sc, 0);
                    Q4_0Lanes.put(sc, 2, 3, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                }
                return;
            }
            if (t2 > t4) {
                for (int k = 0; k < pass; k += 2) {
                    twoTwoGroups(m, q + k * gb, gb, supers, sc, xi + t4 * cols, cols, sc, fo + k * GROUP_FACTORS, yi + t4 * subs, sc, 0);
                    Q4_0Lanes.put(sc, 2, 2, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                }
            }
        }
        if (n > t2) {
            Arrays.fill(sc, 0, pass * L, 0f);
            for (int s = 0; s < supers; s++) lone(gr, pass, s, sc, fo + s * SLOT, xi + t2 * cols, yi + t2 * subs, 0);
            Q4_0Lanes.put(sc, pass, 1, out, o + t2 * outStride, outStride, add, lo, hi);
        }
    }
}
