package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 with rows in vector lanes, for decoding (batches below {@link WeightTensor#TILE_FROM}): rows in groups of
 * L (16 with AVX-512), and for each group and block of 32 columns, 16 runs of L bytes (run j holds byte j of
 * each row of the group: value j in its low nibble, value 16 + j in its high one), then the L rows' scales as
 * F32. One widening load and a mask or a shift give one column for L rows; a token's activation for that
 * column is a broadcast, so each decoded vector serves every token of the batch with one FMA, and a group's
 * L results come out as one vector, with no sum across lanes.
 *
 * <p>Per row and token the operations are, for each block b: {@code c0 = −8·Σx_b}, {@code c1 = 0}; for j = 0..15
 * {@code c0 = fma(lo_j, x_j, c0)}, {@code c1 = fma(hi_j, x_{16+j}, c1)}; then {@code acc = fma(c0 + c1, d_b, acc)}
 * (the −8 of every weight folded into the start of the block's sum, {@code Σx_b} as {@link #minus8} sums it).
 * Every kernel here and {@link #dot} do exactly that, so a token gets the same bits alone and in any batch of
 * 1 to 15. Two chains per block (low and high nibbles), and blocks independent but for
 * {@code acc}: out-of-order execution overlaps consecutive blocks.
 *
 * <p>Memory: native ({@link RowGroups#allocate}), {@code 20·L} bytes per group and block (+11 % over the file,
 * as {@link RowGroups}), rows padded to a multiple of L with zeros.
 */
final class Q4_0Lanes {
    private static final int BLOCK = 32;
    private static final int HALF = 16;
    /** Bytes per group and block: 16 runs of L quantized bytes, then L F32 scales. */
    private static final long STRIDE = 20L * L;
    private static final long SCALES = 16L * L;

    private final MemorySegment packed;
    private final int blocks;
    private final long groupBytes;

    private Q4_0Lanes(MemorySegment packed, int blocks) {
        this.packed = packed;
        this.blocks = blocks;
        this.groupBytes = blocks * STRIDE;
    }

    /**
     * Repacks {@code rows} rows of {@code blocks} GGUF Q4_0 blocks (an F16 scale, then 16 bytes) from {@code src}.
     * The file's pages are dropped afterwards, as {@link RowGroups#repack} does: decoding reads the copy only.
     */
    static Q4_0Lanes repack(MemorySegment src, int rows, int blocks) {
        int groups = (rows + L - 1) / L;
        Q4_0Lanes t = new Q4_0Lanes(RowGroups.allocate(groups * (long) blocks * STRIDE), blocks);
        MemorySegment m = t.packed;
        m.fill((byte) 0);
        for (int r = 0; r < rows; r++) {
            int lane = r % L;
            for (int b = 0; b < blocks; b++) {
                long base = t.block(r / L, b), s = ((long) r * blocks + b) * Q4_0Tensor.BYTES;
                for (int j = 0; j < HALF; j++) m.set(ValueLayout.JAVA_BYTE, base + (long) j * L + lane, src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                m.set(WeightTensor.FLOAT_LE, base + SCALES + 4L * lane, Float.float16ToFloat(src.get(WeightTensor.SHORT_LE, s)));
            }
        }
        if (src.isMapped()) src.unload();
        return t;
    }

    /** Offset of group {@code group}'s block {@code b}. */
    private long block(int group, int b) {
        return group * groupBytes + b * STRIDE;
    }

    /** −8·Σ of the 32 activations from {@code x[xo]} (lane-wise, then {@link Lanes#sum}): the start of a block's sum. */
    static float minus8(float[] x, int xo) {
        FloatVector s = FloatVector.fromArray(F, x, xo);
        for (int k = L; k < BLOCK; k += L) s = s.add(FloatVector.fromArray(F, x, xo + k));
        return -8f * Lanes.sum(s);
    }

    /** Floats of scratch {@link #matmul} needs for n tokens: the kernels' accumulators, then each token's {@link #minus8} per block. */
    int scratchFloats(int n) {
        return SUMS + n * blocks;
    }

    /** The kernels' accumulators: up to two groups × four tokens vectors. */
    private static final int SUMS = 8 * L;

    /** Row {@code row} times the token at {@code x[xOff]}, in scalar code with the kernels' operations in their order (so their bits). */
    float dot(int row, float[] x, int xOff) {
        int lane = row % L;
        float acc = 0;
        for (int b = 0; b < blocks; b++) {
            long p = block(row / L, b);
            int xo = xOff + b * BLOCK;
            float c0 = minus8(x, xo), c1 = 0;
            for (int j = 0; j < HALF; j++) {
                int w = Byte.toUnsignedInt(packed.get(ValueLayout.JAVA_BYTE, p + (long) j * L + lane));
                c0 = Math.fma((float) (w & 15), x[xo + j], c0);
                c1 = Math.fma((float) (w >> 4), x[xo + HALF + j], c1);
            }
            acc = Math.fma(c0 + c1, packed.get(WeightTensor.FLOAT_LE, p + SCALES + 4L * lane), acc);
        }
        return acc;
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} ({@code x[t·cols ..]}), with {@link #scratchFloats} of
     * scratch: two groups at a time × four tokens (each broadcast serves two groups, each decoded vector four tokens),
     * then the last three tokens two groups at a time, or the last two two groups at a time and the last one four
     * groups at a time (more independent chains for fewer tokens); groups a range covers in part, or an odd one at its end, one at a time. Kernels hand their
     * accumulators out through the scratch: vectors passed to a method C2 does not inline get boxed.
     */
    void matmul(float[] x, int n, int cols, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int m8 = SUMS;
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < blocks; b++) scratch[m8 + t * blocks + b] = minus8(x, t * cols + b * BLOCK);
        }
        int gr = from / L, t4 = n & -4, t2 = n & -2;
        if (gr * L == from) {
            // four groups per pass where they fit, else two: the kernels take two groups at a time, and a last odd
            // token takes all of the pass's groups at once (more independent chains)
            for (int pass; (gr + 2) * L <= to; gr += pass) {
                pass = (gr + 4) * L <= to ? 4 : 2;
                int o = outOff + gr * L;
                for (int t = 0; t < t4; t += 4) {
                    for (int k = 0; k < pass; k += 2) {
                        fourTwoGroups(gr + k, x, t * cols, cols, scratch, m8 + t * blocks, scratch);
                        put(scratch, 2, 4, out, o + k * L + t * outStride, outStride, add, 0, L);
                    }
                }
                if (n - t4 == 3) {
                    for (int k = 0; k < pass; k += 2) {
                        threeTwoGroups(gr + k, x, t4 * cols, cols, scratch, m8 + t4 * blocks, scratch);
                        put(scratch, 2, 3, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                    }
                    continue;
                }
                if (t2 > t4) {
                    for (int k = 0; k < pass; k += 2) {
                        twoTwoGroups(gr + k, x, t4 * cols, cols, scratch, m8 + t4 * blocks, scratch);
                        put(scratch, 2, 2, out, o + k * L + t4 * outStride, outStride, add, 0, L);
                    }
                }
                if (n > t2) {
                    if (pass == 4) oneFourGroups(gr, x, t2 * cols, scratch, m8 + t2 * blocks, scratch);
                    else oneTwoGroups(gr, x, t2 * cols, scratch, m8 + t2 * blocks, scratch);
                    put(scratch, pass, 1, out, o + t2 * outStride, outStride, add, 0, L);
                }
            }
        }
        for (; gr * L < to; gr++) {
            int lo = Math.max(from - gr * L, 0), hi = Math.min(to - gr * L, L);
            int o = outOff + gr * L;
            for (int t = 0; t < t4; t += 4) {
                four(gr, x, t * cols, cols, scratch, m8 + t * blocks, scratch);
                put(scratch, 1, 4, out, o + t * outStride, outStride, add, lo, hi);
            }
            if (t2 > t4) {
                two(gr, x, t4 * cols, cols, scratch, m8 + t4 * blocks, scratch);
                put(scratch, 1, 2, out, o + t4 * outStride, outStride, add, lo, hi);
            }
            if (n > t2) {
                one(gr, x, t2 * cols, scratch, m8 + t2 * blocks, scratch);
                put(scratch, 1, 1, out, o + t2 * outStride, outStride, add, lo, hi);
            }
        }
    }

    /**
     * Writes a kernel's results for {@code groups} groups × {@code tokens} tokens from {@code sums} (vector t·groups + g)
     * to {@code out[o + t·outStride + g·L + lane]} for lanes {@code [lo, hi)}, or adds them: {@link WeightTensor#put} per lane.
     */
    private static void put(float[] sums, int groups, int tokens, float[] out, int o, int outStride, boolean add, int lo, int hi) {
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

    /** Groups gr, gr + 1 times three tokens: a batch of 3 (or its last three) in one pass. */
    private void threeTwoGroups(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, next = groupBytes;
        int bl = blocks;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero;
        for (int b = 0; b < bl; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector m0 = FloatVector.broadcast(F, m8[mOff + 0 * bl + b]);
            FloatVector m1 = FloatVector.broadcast(F, m8[mOff + 1 * bl + b]);
            FloatVector m2 = FloatVector.broadcast(F, m8[mOff + 2 * bl + b]);
            FloatVector c00 = m0, e00 = zero, c01 = m0, e01 = zero, c10 = m1, e10 = zero, c11 = m1, e11 = zero, c20 = m2, e20 = zero, c21 = m2, e21 = zero;
            for (int j = 0; j < HALF; j++) {
                long q = p + (long) j * L;
                int k = xo + j;
                IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + next);
                FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
                FloatVector xv = FloatVector.broadcast(F, x[k + 0 * cols]);
                c00 = l0.fma(xv, c00);
                c01 = l1.fma(xv, c01);
                xv = FloatVector.broadcast(F, x[k + 0 * cols + HALF]);
                e00 = h0.fma(xv, e00);
                e01 = h1.fma(xv, e01);
                xv = FloatVector.broadcast(F, x[k + 1 * cols]);
                c10 = l0.fma(xv, c10);
                c11 = l1.fma(xv, c11);
                xv = FloatVector.broadcast(F, x[k + 1 * cols + HALF]);
                e10 = h0.fma(xv, e10);
                e11 = h1.fma(xv, e11);
                xv = FloatVector.broadcast(F, x[k + 2 * cols]);
                c20 = l0.fma(xv, c20);
                c21 = l1.fma(xv, c21);
                xv = FloatVector.broadcast(F, x[k + 2 * cols + HALF]);
                e20 = h0.fma(xv, e20);
                e21 = h1.fma(xv, e21);
            }
            FloatVector d0 = FloatVector.fromMemorySegment(F, m, p + SCALES, LE), d1 = FloatVector.fromMemorySegment(F, m, p + next + SCALES, LE);
            a00 = c00.add(e00).fma(d0, a00);
            a01 = c01.add(e01).fma(d1, a01);
            a10 = c10.add(e10).fma(d0, a10);
            a11 = c11.add(e11).fma(d1, a11);
            a20 = c20.add(e20).fma(d0, a20);
            a21 = c21.add(e21).fma(d1, a21);
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
        a20.intoArray(s, 4 * L);
        a21.intoArray(s, 5 * L);
    }

    /** Groups gr, gr + 1 times four tokens: {@link #four} for two groups, each broadcast serving both. */
    private void fourTwoGroups(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, next = groupBytes;
        int bl = blocks;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < bl; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero, e0 = FloatVector.broadcast(F, m8[mOff + bl + b]), e1 = zero;
            FloatVector f0 = FloatVector.broadcast(F, m8[mOff + 2 * bl + b]), f1 = zero, g0 = FloatVector.broadcast(F, m8[mOff + 3 * bl + b]), g1 = zero;
            FloatVector u0 = c0, u1 = zero, v0 = e0, v1 = zero, y0 = f0, y1 = zero, z0 = g0, z1 = zero;
            for (int j = 0; j < HALF; j++) {
                long q = p + (long) j * L;
                int k = xo + j;
                IntVector w = Widen.u8(m, q), ww = Widen.u8(m, q + next);
                FloatVector l = lo(w), h = hi(w), ll = lo(ww), hh = hi(ww);
                FloatVector xv = FloatVector.broadcast(F, x[k]);
                c0 = l.fma(xv, c0);
                u0 = ll.fma(xv, u0);
                xv = FloatVector.broadcast(F, x[k + HALF]);
                c1 = h.fma(xv, c1);
                u1 = hh.fma(xv, u1);
                xv = FloatVector.broadcast(F, x[k + cols]);
                e0 = l.fma(xv, e0);
                v0 = ll.fma(xv, v0);
                xv = FloatVector.broadcast(F, x[k + cols + HALF]);
                e1 = h.fma(xv, e1);
                v1 = hh.fma(xv, v1);
                xv = FloatVector.broadcast(F, x[k + 2 * cols]);
                f0 = l.fma(xv, f0);
                y0 = ll.fma(xv, y0);
                xv = FloatVector.broadcast(F, x[k + 2 * cols + HALF]);
                f1 = h.fma(xv, f1);
                y1 = hh.fma(xv, y1);
                xv = FloatVector.broadcast(F, x[k + 3 * cols]);
                g0 = l.fma(xv, g0);
                z0 = ll.fma(xv, z0);
                xv = FloatVector.broadcast(F, x[k + 3 * cols + HALF]);
                g1 = h.fma(xv, g1);
                z1 = hh.fma(xv, z1);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, m, p + SCALES, LE);
            a0 = c0.add(c1).fma(d, a0);
            a1 = e0.add(e1).fma(d, a1);
            a2 = f0.add(f1).fma(d, a2);
            a3 = g0.add(g1).fma(d, a3);
            d = FloatVector.fromMemorySegment(F, m, p + next + SCALES, LE);
            b0 = u0.add(u1).fma(d, b0);
            b1 = v0.add(v1).fma(d, b1);
            b2 = y0.add(y1).fma(d, b2);
            b3 = z0.add(z1).fma(d, b3);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, 2 * L);
        a2.intoArray(s, 4 * L);
        a3.intoArray(s, 6 * L);
        b0.intoArray(s, L);
        b1.intoArray(s, 3 * L);
        b2.intoArray(s, 5 * L);
        b3.intoArray(s, 7 * L);
    }

    /** Groups gr, gr + 1 times two tokens: twice the independent chains of {@link #two}. */
    private void twoTwoGroups(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, next = groupBytes;
        int bl = blocks;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0; b < bl; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero, e0 = FloatVector.broadcast(F, m8[mOff + bl + b]), e1 = zero;
            FloatVector f0 = c0, f1 = zero, g0 = e0, g1 = zero;
            for (int j = 0; j < HALF; j++) {
                long q = p + (long) j * L;
                int k = xo + j;
                FloatVector xl = FloatVector.broadcast(F, x[k]), xh = FloatVector.broadcast(F, x[k + HALF]);
                FloatVector yl = FloatVector.broadcast(F, x[k + cols]), yh = FloatVector.broadcast(F, x[k + cols + HALF]);
                IntVector w = Widen.u8(m, q);
                FloatVector l = lo(w), h = hi(w);
                c0 = l.fma(xl, c0);
                c1 = h.fma(xh, c1);
                e0 = l.fma(yl, e0);
                e1 = h.fma(yh, e1);
                w = Widen.u8(m, q + next);
                l = lo(w);
                h = hi(w);
                f0 = l.fma(xl, f0);
                f1 = h.fma(xh, f1);
                g0 = l.fma(yl, g0);
                g1 = h.fma(yh, g1);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, m, p + SCALES, LE), d1 = FloatVector.fromMemorySegment(F, m, p + next + SCALES, LE);
            a0 = c0.add(c1).fma(d, a0);
            a1 = e0.add(e1).fma(d, a1);
            b0 = f0.add(f1).fma(d1, b0);
            b1 = g0.add(g1).fma(d1, b1);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, 2 * L);
        b0.intoArray(s, L);
        b1.intoArray(s, 3 * L);
    }

    /** Groups gr .. gr + 3 times one token: four times the independent chains of {@link #one}. */
    private void oneFourGroups(int gr, float[] x, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, g1 = groupBytes, g2 = 2 * groupBytes, g3 = 3 * groupBytes;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero, e0 = c0, e1 = zero, f0 = c0, f1 = zero, h0 = c0, h1 = zero;
            for (int j = 0; j < HALF; j++) {
                long q = p + (long) j * L;
                FloatVector xl = FloatVector.broadcast(F, x[xo + j]), xh = FloatVector.broadcast(F, x[xo + HALF + j]);
                IntVector w = Widen.u8(m, q);
                c0 = lo(w).fma(xl, c0);
                c1 = hi(w).fma(xh, c1);
                w = Widen.u8(m, q + g1);
                e0 = lo(w).fma(xl, e0);
                e1 = hi(w).fma(xh, e1);
                w = Widen.u8(m, q + g2);
                f0 = lo(w).fma(xl, f0);
                f1 = hi(w).fma(xh, f1);
                w = Widen.u8(m, q + g3);
                h0 = lo(w).fma(xl, h0);
                h1 = hi(w).fma(xh, h1);
            }
            long d = p + SCALES;
            a0 = c0.add(c1).fma(FloatVector.fromMemorySegment(F, m, d, LE), a0);
            a1 = e0.add(e1).fma(FloatVector.fromMemorySegment(F, m, d + g1, LE), a1);
            a2 = f0.add(f1).fma(FloatVector.fromMemorySegment(F, m, d + g2, LE), a2);
            a3 = h0.add(h1).fma(FloatVector.fromMemorySegment(F, m, d + g3, LE), a3);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times one token: twice the independent chains of {@link #one}, for one token alone. */
    private void oneTwoGroups(int gr, float[] x, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, next = groupBytes;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero, e0 = c0, e1 = zero;
            for (int j = 0; j < HALF; j++) {
                IntVector w = Widen.u8(m, p + (long) j * L), v = Widen.u8(m, p + next + (long) j * L);
                FloatVector xl = FloatVector.broadcast(F, x[xo + j]), xh = FloatVector.broadcast(F, x[xo + HALF + j]);
                c0 = lo(w).fma(xl, c0);
                c1 = hi(w).fma(xh, c1);
                e0 = lo(v).fma(xl, e0);
                e1 = hi(v).fma(xh, e1);
            }
            a0 = c0.add(c1).fma(FloatVector.fromMemorySegment(F, m, p + SCALES, LE), a0);
            a1 = e0.add(e1).fma(FloatVector.fromMemorySegment(F, m, p + next + SCALES, LE), a1);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
    }

    private void one(int gr, float[] x, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes;
        FloatVector acc = FloatVector.zero(F), zero = acc;
        for (int b = 0; b < blocks; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero;
            for (int j = 0; j < HALF; j++) {
                IntVector w = Widen.u8(m, p + (long) j * L);
                c0 = lo(w).fma(FloatVector.broadcast(F, x[xo + j]), c0);
                c1 = hi(w).fma(FloatVector.broadcast(F, x[xo + HALF + j]), c1);
            }
            acc = c0.add(c1).fma(FloatVector.fromMemorySegment(F, m, p + SCALES, LE), acc);
        }
        acc.intoArray(s, 0);
    }

    private void two(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes;
        int bl = blocks;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0;
        for (int b = 0; b < bl; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero;
            FloatVector e0 = FloatVector.broadcast(F, m8[mOff + bl + b]), e1 = zero;
            for (int j = 0; j < HALF; j++) {
                IntVector w = Widen.u8(m, p + (long) j * L);
                FloatVector l = lo(w), h = hi(w);
                c0 = l.fma(FloatVector.broadcast(F, x[xo + j]), c0);
                c1 = h.fma(FloatVector.broadcast(F, x[xo + HALF + j]), c1);
                e0 = l.fma(FloatVector.broadcast(F, x[xo + cols + j]), e0);
                e1 = h.fma(FloatVector.broadcast(F, x[xo + cols + HALF + j]), e1);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, m, p + SCALES, LE);
            a0 = c0.add(c1).fma(d, a0);
            a1 = e0.add(e1).fma(d, a1);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
    }

    private void four(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes;
        int bl = blocks;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < bl; b++) {
            long p = base + b * STRIDE;
            int xo = xOff + b * BLOCK;
            FloatVector c0 = FloatVector.broadcast(F, m8[mOff + b]), c1 = zero;
            FloatVector e0 = FloatVector.broadcast(F, m8[mOff + bl + b]), e1 = zero;
            FloatVector f0 = FloatVector.broadcast(F, m8[mOff + 2 * bl + b]), f1 = zero;
            FloatVector g0 = FloatVector.broadcast(F, m8[mOff + 3 * bl + b]), g1 = zero;
            for (int j = 0; j < HALF; j++) {
                IntVector w = Widen.u8(m, p + (long) j * L);
                FloatVector l = lo(w), h = hi(w);
                int k = xo + j;
                c0 = l.fma(FloatVector.broadcast(F, x[k]), c0);
                c1 = h.fma(FloatVector.broadcast(F, x[k + HALF]), c1);
                e0 = l.fma(FloatVector.broadcast(F, x[k + cols]), e0);
                e1 = h.fma(FloatVector.broadcast(F, x[k + cols + HALF]), e1);
                f0 = l.fma(FloatVector.broadcast(F, x[k + 2 * cols]), f0);
                f1 = h.fma(FloatVector.broadcast(F, x[k + 2 * cols + HALF]), f1);
                g0 = l.fma(FloatVector.broadcast(F, x[k + 3 * cols]), g0);
                g1 = h.fma(FloatVector.broadcast(F, x[k + 3 * cols + HALF]), g1);
            }
            FloatVector d = FloatVector.fromMemorySegment(F, m, p + SCALES, LE);
            a0 = c0.add(c1).fma(d, a0);
            a1 = e0.add(e1).fma(d, a1);
            a2 = f0.add(f1).fma(d, a2);
            a3 = g0.add(g1).fma(d, a3);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }

    private static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    private static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }

}
