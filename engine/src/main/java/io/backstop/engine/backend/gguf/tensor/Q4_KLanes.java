package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * {@link Q4_KTensor}'s default decode layout ({@code -Dbackstop.gguf.q4k=pairs} takes the row pairs, {@link KPairs},
 * instead): Q4_0's rows in vector lanes ({@link Q4_0Lanes}) with Q4_K's scales. Rows in groups of L (16 with AVX-512);
 * per group, per sub-block of 32 columns 16 runs of L bytes (run j: byte j of each row, column j in
 * the low nibble, column 16 + j in the high one), all end to end, then the rows' scales and mins per sub-block and
 * their F16 {@code d} and {@code dmin} per super-block ({@link Q4_KLaneLayout}). One widening load and a mask or a
 * shift give one column for L rows; a token's activation there is a broadcast, so each decoded vector serves every
 * token of a pass with one FMA, and a group's L results come out as one vector, with no sum across lanes. 0.578 bytes
 * per weight (the file's 0.5625), the file's pages dropped after the copy.
 *
 * <p>Per row and token the operations are, for each sub-block b: {@code c = 0}, {@code e = 0}; for j = 0..15
 * {@code c = fma(lo_j, x_j, c)}, {@code e = fma(hi_j, x_{16+j}, e)}; then
 * {@code acc = fma(dmin·min_b, −Σx_b, fma(c + e, d·scale_b, acc))} ({@code Σx_b} the sum of the sub-block's 32
 * activations as {@link #negSum} sums them, once per token and product). Every kernel and {@link #dot} do exactly
 * that, so a token gets the same bits alone and in any batch of 1 to 15 ({@code Q4_KDecodeTest}).
 */
final class Q4_KLanes extends Q4_KLaneKernels {
    /**
     * Whether Q4_K tensors load in this layout: unless {@code -Dbackstop.gguf.q4k=pairs} asks for the row pairs. With one
     * loop per group and stored factors a lone token took 0.56–0.58× the row pairs' thread CPU (medians), 2–8 tokens 0.37–0.57×
     * (one thread, 5632×2048 and 2048×5632; README, issue 14).
     */
    static final boolean ENABLED = !"pairs".equals(System.getProperty("backstop.gguf.q4k"));

    static final int BYTES = 144;

    private Q4_KLanes(MemorySegment packed, int supers) {
        super(packed, supers);
    }

    /**
     * Repacks {@code rows} rows of {@code supers} GGUF Q4_K super-blocks from {@code src}. The caller drops the file's
     * pages afterwards: decoding reads the copy only.
     */
    static Q4_KLanes repack(MemorySegment src, int rows, int supers) {
        int groups = (rows + L - 1) / L;
        Q4_KLanes t = new Q4_KLanes(RowGroups.allocate(groups * supers * (SUBS * (RUNS + FACTORS) + SUPER_FACTORS)), supers);
        MemorySegment m = t.packed;
        m.fill((byte) 0); // the padding rows
        for (int r = 0; r < rows; r++) {
            int lane = r % L;
            long g = (r / L) * t.groupBytes;
            for (int s = 0; s < supers; s++) {
                long p = ((long) r * supers + s) * BYTES;
                long sf = t.superFactors(r / L, s) + 2L * lane;
                m.set(WeightTensor.SHORT_LE, sf, src.get(WeightTensor.SHORT_LE, p));
                m.set(WeightTensor.SHORT_LE, sf + 2L * L, src.get(WeightTensor.SHORT_LE, p + 2));
                for (int sb = 0; sb < SUBS; sb++) {
                    long b = (long) s * SUBS + sb, f = g + t.factors + b * FACTORS + lane;
                    m.set(ValueLayout.JAVA_BYTE, f, (byte) KScales.scale(src, p + 4, sb));
                    m.set(ValueLayout.JAVA_BYTE, f + L, (byte) KScales.min(src, p + 4, sb));
                    long run = p + 16 + 32L * (sb >> 1);
                    int shift = 4 * (sb & 1);
                    for (int j = 0; j < HALF; j++) {
                        int lo = (u8(src, run + j) >> shift) & 15, hi = (u8(src, run + HALF + j) >> shift) & 15;
                        m.set(ValueLayout.JAVA_BYTE, g + b * RUNS + (long) j * L + lane, (byte) (lo | hi << 4));
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

    /** Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernels' operations in their order (so their bits). */
    float dot(int row, float[] x, int xOff) {
        int lane = row % L;
        MemorySegment m = packed;
        long g = (row / L) * groupBytes;
        float acc = 0;
        for (int b = 0; b < supers * SUBS; b++) {
            long q = g + b * RUNS + lane, f = g + factors + b * FACTORS + lane, sf = superFactors(row / L, b / SUBS) + 2L * lane;
            int xo = xOff + b * SUB;
            float c = 0, e = 0;
            for (int j = 0; j < HALF; j++) {
                int w = u8(m, q + (long) j * L);
                c = Math.fma((float) (w & 15), x[xo + j], c);
                e = Math.fma((float) (w >> 4), x[xo + HALF + j], e);
            }
            float ds = (float) u8(m, f) * f16(m, sf), dm = (float) u8(m, f + L) * f16(m, sf + 2L * L);
            acc = Math.fma(dm, negSum(x, xo), Math.fma(c + e, ds, acc));
        }
        return acc;
    }

    /** The kernels' accumulators: up to two groups × four tokens vectors. */
    private static final int SUMS = 8 * L;

    /**
     * Floats of scratch {@link #matmul} needs for n tokens: the kernels' accumulators, each token's {@link #negSum} per
     * sub-block, then the tokens' activations {@link Q4_0Lanes#interleave}d.
     */
    int scratchFloats(int n) {
        return SUMS + n * supers * SUBS + n * supers * BLOCK + 4 * 2 * L * supers * SUBS;
    }

    /**
     * Groups {@code group .. group + count − 1}'s F32 {@code d·scale} and {@code dmin·min}, {@code 2·L·subs} floats per
     * group from {@code f[off]}: sub-block b's L {@code d·scale} at {@code 2·L·b}, its L {@code dmin·min} L on (the float
     * products, as the file's dequantization takes them). Once per pass of groups, before its kernels: formed inside the
     * kernels, the loads and conversions grew their graphs past what C2 optimizes loops in (the loop kept its bounds
     * and liveness checks and spilled its sums: 0.6× the speed of a step).
     */
    private void factors(int group, int count, float[] f, int off) {
        MemorySegment m = packed;
        int subs = supers * SUBS;
        for (int g = group; g < group + count; g++, off += 2 * L * subs) {
            long sf = g * groupBytes + factors, sd = sf + FACTORS * subs;
            for (int s = 0; s < supers; s++) {
                FloatVector d = Widen.f16(m, sd + SUPER_FACTORS * s), dm = Widen.f16(m, sd + SUPER_FACTORS * s + 2L * L);
                for (int j = 0; j < SUBS; j++) {
                    int b = s * SUBS + j;
                    long q = sf + FACTORS * b;
                    Widen.s8(m, q).mul(d).intoArray(f, off + 2 * L * b);
                    Widen.s8(m, q + L).mul(dm).intoArray(f, off + 2 * L * b + L);
                }
            }
        }
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), with {@link #scratchFloats} of
     * scratch, in {@link Q4_0Lanes#matmul}'s passes: two groups at a time × four tokens, then the last three tokens two
     * groups at a time, or the last two two groups at a time and the last one four (or two) groups at a time; groups a
     * range covers in part, or an odd one at its end, one at a time. Kernels hand their accumulators out through the
     * scratch: vectors passed to a method C2 does not inline get boxed.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int sums = SUMS, subs = supers * SUBS, xi = sums + n * subs;
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < subs; b++) scratch[sums + t * subs + b] = negSum(x, t * cols + b * SUB);
            Q4_0Lanes.interleave(x, t * cols, scratch, xi + t * cols, subs); // a sub-block is a Q4_0 block's 32 columns
        }
        float[] xp = scratch;
        int gr = from / L, t4 = n & -4, t2 = n & -2, fo = xi + n * cols, gf = 2 * L * subs;
        if (gr * L == from) {
            for (int pass; (gr + 2) * L <= to; gr += pass) {
                pass = (gr + 4) * L <= to ? 4 : 2;
                int o = outOff + gr * L;
                factors(gr, pass, scratch, fo);
                for (int t = 0; t < t4; t += 4) {
                    for (int k = 0; k < pass; k += 2) {
                        fourTwoGroups(packed, fo + k * gf, supers, groupBytes, gr + k, xp, xi + t * cols, cols, scratch, sums + t * subs, scratch);
                        Q4_0Lanes.put(scratch, 2, 4, out, o + k * L + t * outStride, outStride, add, 0, L);
                    }
                }
                if (n - t4 == 3) {
                    for (int k = 0; k < pass; k += 2) {
                        threeTwoGroups(packed, fo + k * gf, supers, groupBytes, gr + k, xp, xi + t4 * cols, cols, scratch, sums + t4 * subs, scratch);
                        Q4_0Lanes.put(scratch, 2, 3, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                    }
                    continue;
                }
                if (t2 > t4) {
                    for (int k = 0; k < pass; k += 2) {
                        twoTwoGroups(packed, fo + k * gf, supers, groupBytes, gr + k, xp, xi + t4 * cols, cols, scratch, sums + t4 * subs, scratch);
                        Q4_0Lanes.put(scratch, 2, 2, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                    }
                }
                if (n > t2) {
                    if (pass == 4) oneFourGroups(packed, fo, supers, groupBytes, gr, xp, xi + t2 * cols, cols, scratch, sums + t2 * subs, scratch);
                    else oneTwoGroups(packed, fo, supers, groupBytes, gr, xp, xi + t2 * cols, cols, scratch, sums + t2 * subs, scratch);
                    Q4_0Lanes.put(scratch, pass, 1, out, o + t2 * outStride, outStride, add, 0, L);
                }
            }
        }
        for (; gr * L < to; gr++) {
            int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
            int o = outOff + gr * L;
            factors(gr, 1, scratch, fo);
            for (int t = 0; t < t4; t += 4) {
                four(packed, fo, supers, groupBytes, gr, xp, xi + t * cols, cols, scratch, sums + t * subs, scratch);
                Q4_0Lanes.put(scratch, 1, 4, out, o + t * outStride, outStride, add, lo, hi);
            }
            if (t2 > t4) {
                two(packed, fo, supers, groupBytes, gr, xp, xi + t4 * cols, cols, scratch, sums + t4 * subs, scratch);
                Q4_0Lanes.put(scratch, 1, 2, out, o + t4 * outStride, outStride, add, lo, hi);
            }
            if (n > t2) {
                one(packed, fo, supers, groupBytes, gr, xp, xi + t2 * cols, cols, scratch, sums + t2 * subs, scratch);
                Q4_0Lanes.put(scratch, 1, 1, out, o + t2 * outStride, outStride, add, lo, hi);
            }
        }
    }
}
