package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Q4_0Lanes}' layout and its decode kernels, one method per shape (groups × tokens), kept apart from the
 * repacking and the dispatch. Each kernel computes its groups' sums for its tokens with the operations of
 * {@link Q4_0Lanes}' class comment and stores the accumulators to {@code s} (vector t·groups + g): vectors passed on to
 * a method C2 does not inline get boxed. Written out per shape, not looped: a loop over accumulators would need an
 * array of vectors, which C2 does not keep in registers.
 *
 * <p>The batch copy ({@link DecodeLayout#BATCH}): groups of L rows in quads of four; a quad's runs end to end, run
 * i = 16·block + j one line of {@link #RUN} bytes (each of its four groups' L bytes, group g's at g·L); the runs of
 * every quad first, then the scales of every quad, per block its four groups' L F32 scales ({@link #SCALE_BLOCK}
 * bytes, group g's at 4·L·g). A lone token's kernel over a quad reads two sequential streams (runs, scales) where
 * groups one after another with their scales behind them were eight, four of runs and four of scales: its product
 * ~1.15× faster, a batch's the same within noise (README, "Q4_0's batch copy in quads").
 *
 * <p>Each kernel is one loop over its groups' runs, closing a block's sums when i ends one: runs and scales each lie
 * end to end and the activations come interleaved ({@code xp}, see {@link Q4_0Lanes#interleave}), so every
 * address is linear in i and C2 checks the ranges once per product instead of setting up a 16-trip loop per block (a
 * kernel's first group's runs from {@code base} in {@code packed}, its scales from {@code sc} in {@code scaleSeg}; the
 * next group of its quad L bytes on in runs, 4·L in scales): 0.82–0.83× the CPU of the loop per block for two tokens,
 * 0.91–0.94× for eight, a lone token 1.04–1.08× (one thread, 5632×2048 streamed, both in one JVM; README, "Q4_0
 * decode: one loop per group").
 *
 * <p>The kernels are static and take the layout's fields as arguments: the same code as an instance method reading
 * them from {@code this} ran at 0.76–0.80× the speed (a lone token, one thread, 5632×2048 streamed, 16.0–16.6 against
 * 19.7–21.5 GB/s over eight fresh JVMs alternating; README, "Q4_0 decode: static kernels").
 *
 * <p>No kernel calls a method of ours, not even a one-liner: C2 stops inlining once a method's graph passes
 * {@code NodeCountInliningCutoff}, which the Vector API's intrinsics reach early, and the block after b
 * ({@code Math.min(b + 1, blocks - 1)}, the next block's starting sum; the last block's is read, never used) was a
 * helper that {@link #oneFourGroups} then called once per block: every call spilled the accumulators and kept C2 from
 * hoisting the segments' bounds and liveness checks out of the loop (README, "Q4_0 decode: a call C2 did not inline").
 */
abstract sealed class Q4_0LaneKernels permits Q4_0Lanes {
    static final int BLOCK = 32;
    static final int HALF = 16;

    /** Bytes of one run of a quad in the batch copy: its four groups' L quantized bytes. */
    static final long RUN = 4L * L;
    /** Bytes of one block's scales of a quad in the batch copy: its four groups' L F32 scales. */
    static final long SCALE_BLOCK = 16L * L;

    /** The copy: the batch layout above, or {@link Q4_0QuadKernels}' for one sequence. */
    final MemorySegment packed;
    final int blocks;
    /** Bytes of one group, runs and scales: {@code 20·L} per block (a quad is four). */
    final long groupBytes;
    /** Where the batch copy's scales start: after every quad's runs. */
    final long scales;
    /**
     * {@code packed} from {@link #scales} on, for the batch kernels' scale loads: a segment of their own, so that C2
     * checks the runs' loads apart from theirs.
     */
    final MemorySegment scaleSeg;

    /** {@code groups}: a whole number of quads. */
    Q4_0LaneKernels(MemorySegment packed, int groups, int blocks) {
        this.packed = packed;
        this.blocks = blocks;
        this.groupBytes = 20L * L * blocks;
        this.scales = groups * 16L * L * blocks;
        this.scaleSeg = packed.asSlice(scales);
    }

    /** Groups gr, gr + 1 times three tokens: a batch of 3 (or its last three) in one pass. */
    static void threeTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF, bl = blocks;
        long next = L, nsc = 4L * L;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero;
        FloatVector c00 = FloatVector.broadcast(F, m8[mOff]), c01 = c00, e00 = zero, e01 = zero;
        FloatVector c10 = FloatVector.broadcast(F, m8[mOff + bl]), c11 = c10, e10 = zero, e11 = zero;
        FloatVector c20 = FloatVector.broadcast(F, m8[mOff + 2 * bl]), c21 = c20, e20 = zero, e21 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * RUN;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + next);
            FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c00 = l0.fma(xv, c00);
            c01 = l1.fma(xv, c01);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            e00 = h0.fma(xv, e00);
            e01 = h1.fma(xv, e01);
            xv = FloatVector.broadcast(F, xp[k + cols]);
            c10 = l0.fma(xv, c10);
            c11 = l1.fma(xv, c11);
            xv = FloatVector.broadcast(F, xp[k + cols + 1]);
            e10 = h0.fma(xv, e10);
            e11 = h1.fma(xv, e11);
            xv = FloatVector.broadcast(F, xp[k + 2 * cols]);
            c20 = l0.fma(xv, c20);
            c21 = l1.fma(xv, c21);
            xv = FloatVector.broadcast(F, xp[k + 2 * cols + 1]);
            e20 = h0.fma(xv, e20);
            e21 = h1.fma(xv, e21);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4, nb = Math.min(b + 1, blocks - 1);
                long d = sc + (long) b * SCALE_BLOCK;
                FloatVector d0 = FloatVector.fromMemorySegment(F, ss, d, LE), d1 = FloatVector.fromMemorySegment(F, ss, d + nsc, LE);
                a00 = c00.add(e00).fma(d0, a00);
                a01 = c01.add(e01).fma(d1, a01);
                a10 = c10.add(e10).fma(d0, a10);
                a11 = c11.add(e11).fma(d1, a11);
                a20 = c20.add(e20).fma(d0, a20);
                a21 = c21.add(e21).fma(d1, a21);
                c00 = FloatVector.broadcast(F, m8[mOff + nb]);
                c10 = FloatVector.broadcast(F, m8[mOff + bl + nb]);
                c20 = FloatVector.broadcast(F, m8[mOff + 2 * bl + nb]);
                c01 = c00;
                c11 = c10;
                c21 = c20;
                e00 = zero;
                e01 = zero;
                e10 = zero;
                e11 = zero;
                e20 = zero;
                e21 = zero;
            }
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
        a20.intoArray(s, 4 * L);
        a21.intoArray(s, 5 * L);
    }

    /** Groups gr, gr + 1 times four tokens: {@link #four} for two groups, each broadcast serving both. */
    static void fourTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF, bl = blocks;
        long next = L, nsc = 4L * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = FloatVector.broadcast(F, m8[mOff + bl]), e1 = zero;
        FloatVector f0 = FloatVector.broadcast(F, m8[mOff + 2 * bl]), f1 = zero, g0 = FloatVector.broadcast(F, m8[mOff + 3 * bl]), g1 = zero;
        FloatVector u0 = c0, u1 = zero, v0 = e0, v1 = zero, y0 = f0, y1 = zero, z0 = g0, z1 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * RUN;
            int k = xOff + 2 * i;
            IntVector w = Widen.u8(m, q), ww = Widen.u8(m, q + next);
            FloatVector l = lo(w), h = hi(w), ll = lo(ww), hh = hi(ww);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c0 = l.fma(xv, c0);
            u0 = ll.fma(xv, u0);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            c1 = h.fma(xv, c1);
            u1 = hh.fma(xv, u1);
            xv = FloatVector.broadcast(F, xp[k + cols]);
            e0 = l.fma(xv, e0);
            v0 = ll.fma(xv, v0);
            xv = FloatVector.broadcast(F, xp[k + cols + 1]);
            e1 = h.fma(xv, e1);
            v1 = hh.fma(xv, v1);
            xv = FloatVector.broadcast(F, xp[k + 2 * cols]);
            f0 = l.fma(xv, f0);
            y0 = ll.fma(xv, y0);
            xv = FloatVector.broadcast(F, xp[k + 2 * cols + 1]);
            f1 = h.fma(xv, f1);
            y1 = hh.fma(xv, y1);
            xv = FloatVector.broadcast(F, xp[k + 3 * cols]);
            g0 = l.fma(xv, g0);
            z0 = ll.fma(xv, z0);
            xv = FloatVector.broadcast(F, xp[k + 3 * cols + 1]);
            g1 = h.fma(xv, g1);
            z1 = hh.fma(xv, z1);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4, nb = Math.min(b + 1, blocks - 1);
                long dd = sc + (long) b * SCALE_BLOCK;
                FloatVector d = FloatVector.fromMemorySegment(F, ss, dd, LE);
                a0 = c0.add(c1).fma(d, a0);
                a1 = e0.add(e1).fma(d, a1);
                a2 = f0.add(f1).fma(d, a2);
                a3 = g0.add(g1).fma(d, a3);
                d = FloatVector.fromMemorySegment(F, ss, dd + nsc, LE);
                b0 = u0.add(u1).fma(d, b0);
                b1 = v0.add(v1).fma(d, b1);
                b2 = y0.add(y1).fma(d, b2);
                b3 = z0.add(z1).fma(d, b3);
                c0 = FloatVector.broadcast(F, m8[mOff + nb]);
                e0 = FloatVector.broadcast(F, m8[mOff + bl + nb]);
                f0 = FloatVector.broadcast(F, m8[mOff + 2 * bl + nb]);
                g0 = FloatVector.broadcast(F, m8[mOff + 3 * bl + nb]);
                u0 = c0;
                v0 = e0;
                y0 = f0;
                z0 = g0;
                c1 = zero;
                e1 = zero;
                f1 = zero;
                g1 = zero;
                u1 = zero;
                v1 = zero;
                y1 = zero;
                z1 = zero;
            }
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
    static void twoTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF, bl = blocks;
        long next = L, nsc = 4L * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, b0 = a0, b1 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = FloatVector.broadcast(F, m8[mOff + bl]), e1 = zero;
        FloatVector f0 = c0, f1 = zero, g0 = e0, g1 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * RUN;
            int k = xOff + 2 * i;
            FloatVector xl = FloatVector.broadcast(F, xp[k]), xh = FloatVector.broadcast(F, xp[k + 1]);
            FloatVector yl = FloatVector.broadcast(F, xp[k + cols]), yh = FloatVector.broadcast(F, xp[k + cols + 1]);
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
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4, nb = Math.min(b + 1, blocks - 1);
                long dd = sc + (long) b * SCALE_BLOCK;
                FloatVector d = FloatVector.fromMemorySegment(F, ss, dd, LE), d1 = FloatVector.fromMemorySegment(F, ss, dd + nsc, LE);
                a0 = c0.add(c1).fma(d, a0);
                a1 = e0.add(e1).fma(d, a1);
                b0 = f0.add(f1).fma(d1, b0);
                b1 = g0.add(g1).fma(d1, b1);
                c0 = FloatVector.broadcast(F, m8[mOff + nb]);
                e0 = FloatVector.broadcast(F, m8[mOff + bl + nb]);
                f0 = c0;
                g0 = e0;
                c1 = zero;
                e1 = zero;
                f1 = zero;
                g1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, 2 * L);
        b0.intoArray(s, L);
        b1.intoArray(s, 3 * L);
    }

    /** Groups gr .. gr + 3 times one token: four times the independent chains of {@link #one}. */
    static void oneFourGroups(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF;
        long gs = L, g2 = 2L * L, g3 = 3L * L, nsc = 4L * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = c0, e1 = zero, f0 = c0, f1 = zero, h0 = c0, h1 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * RUN;
            FloatVector xl = FloatVector.broadcast(F, xp[xOff + 2 * i]), xh = FloatVector.broadcast(F, xp[xOff + 2 * i + 1]);
            IntVector w = Widen.u8(m, q);
            c0 = lo(w).fma(xl, c0);
            c1 = hi(w).fma(xh, c1);
            w = Widen.u8(m, q + gs);
            e0 = lo(w).fma(xl, e0);
            e1 = hi(w).fma(xh, e1);
            w = Widen.u8(m, q + g2);
            f0 = lo(w).fma(xl, f0);
            f1 = hi(w).fma(xh, f1);
            w = Widen.u8(m, q + g3);
            h0 = lo(w).fma(xl, h0);
            h1 = hi(w).fma(xh, h1);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                long d = sc + (long) b * SCALE_BLOCK;
                a0 = c0.add(c1).fma(FloatVector.fromMemorySegment(F, ss, d, LE), a0);
                a1 = e0.add(e1).fma(FloatVector.fromMemorySegment(F, ss, d + nsc, LE), a1);
                a2 = f0.add(f1).fma(FloatVector.fromMemorySegment(F, ss, d + 2 * nsc, LE), a2);
                a3 = h0.add(h1).fma(FloatVector.fromMemorySegment(F, ss, d + 3 * nsc, LE), a3);
                c0 = FloatVector.broadcast(F, m8[mOff + Math.min(b + 1, blocks - 1)]);
                e0 = c0;
                f0 = c0;
                h0 = c0;
                c1 = zero;
                e1 = zero;
                f1 = zero;
                h1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times one token: twice the independent chains of {@link #one}, for one token alone. */
    static void oneTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF;
        long next = L, nsc = 4L * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = c0, e1 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * RUN;
            IntVector w = Widen.u8(m, q), v = Widen.u8(m, q + next);
            FloatVector xl = FloatVector.broadcast(F, xp[xOff + 2 * i]), xh = FloatVector.broadcast(F, xp[xOff + 2 * i + 1]);
            c0 = lo(w).fma(xl, c0);
            c1 = hi(w).fma(xh, c1);
            e0 = lo(v).fma(xl, e0);
            e1 = hi(v).fma(xh, e1);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                long d = sc + (long) b * SCALE_BLOCK;
                a0 = c0.add(c1).fma(FloatVector.fromMemorySegment(F, ss, d, LE), a0);
                a1 = e0.add(e1).fma(FloatVector.fromMemorySegment(F, ss, d + nsc, LE), a1);
                c0 = FloatVector.broadcast(F, m8[mOff + Math.min(b + 1, blocks - 1)]);
                e0 = c0;
                c1 = zero;
                e1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
    }

    static void one(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF;
        FloatVector acc = FloatVector.zero(F), zero = acc;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero;
        for (int i = 0; i < runs; i++) {
            IntVector w = Widen.u8(m, base + (long) i * RUN);
            c0 = lo(w).fma(FloatVector.broadcast(F, xp[xOff + 2 * i]), c0);
            c1 = hi(w).fma(FloatVector.broadcast(F, xp[xOff + 2 * i + 1]), c1);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                acc = c0.add(c1).fma(FloatVector.fromMemorySegment(F, ss, sc + (long) b * SCALE_BLOCK, LE), acc);
                c0 = FloatVector.broadcast(F, m8[mOff + Math.min(b + 1, blocks - 1)]);
                c1 = zero;
            }
        }
        acc.intoArray(s, 0);
    }

    static void two(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF, bl = blocks;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero;
        FloatVector e0 = FloatVector.broadcast(F, m8[mOff + bl]), e1 = zero;
        for (int i = 0; i < runs; i++) {
            IntVector w = Widen.u8(m, base + (long) i * RUN);
            FloatVector l = lo(w), h = hi(w);
            int k = xOff + 2 * i;
            c0 = l.fma(FloatVector.broadcast(F, xp[k]), c0);
            c1 = h.fma(FloatVector.broadcast(F, xp[k + 1]), c1);
            e0 = l.fma(FloatVector.broadcast(F, xp[k + cols]), e0);
            e1 = h.fma(FloatVector.broadcast(F, xp[k + cols + 1]), e1);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4, nb = Math.min(b + 1, blocks - 1);
                FloatVector d = FloatVector.fromMemorySegment(F, ss, sc + (long) b * SCALE_BLOCK, LE);
                a0 = c0.add(c1).fma(d, a0);
                a1 = e0.add(e1).fma(d, a1);
                c0 = FloatVector.broadcast(F, m8[mOff + nb]);
                e0 = FloatVector.broadcast(F, m8[mOff + bl + nb]);
                c1 = zero;
                e1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
    }

    static void four(MemorySegment packed, MemorySegment scaleSeg, int blocks, long base, long sc, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = blocks * HALF, bl = blocks;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero;
        FloatVector e0 = FloatVector.broadcast(F, m8[mOff + bl]), e1 = zero;
        FloatVector f0 = FloatVector.broadcast(F, m8[mOff + 2 * bl]), f1 = zero;
        FloatVector g0 = FloatVector.broadcast(F, m8[mOff + 3 * bl]), g1 = zero;
        for (int i = 0; i < runs; i++) {
            IntVector w = Widen.u8(m, base + (long) i * RUN);
            FloatVector l = lo(w), h = hi(w);
            int k = xOff + 2 * i;
            c0 = l.fma(FloatVector.broadcast(F, xp[k]), c0);
            c1 = h.fma(FloatVector.broadcast(F, xp[k + 1]), c1);
            e0 = l.fma(FloatVector.broadcast(F, xp[k + cols]), e0);
            e1 = h.fma(FloatVector.broadcast(F, xp[k + cols + 1]), e1);
            f0 = l.fma(FloatVector.broadcast(F, xp[k + 2 * cols]), f0);
            f1 = h.fma(FloatVector.broadcast(F, xp[k + 2 * cols + 1]), f1);
            g0 = l.fma(FloatVector.broadcast(F, xp[k + 3 * cols]), g0);
            g1 = h.fma(FloatVector.broadcast(F, xp[k + 3 * cols + 1]), g1);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4, nb = Math.min(b + 1, blocks - 1);
                FloatVector d = FloatVector.fromMemorySegment(F, ss, sc + (long) b * SCALE_BLOCK, LE);
                a0 = c0.add(c1).fma(d, a0);
                a1 = e0.add(e1).fma(d, a1);
                a2 = f0.add(f1).fma(d, a2);
                a3 = g0.add(g1).fma(d, a3);
                c0 = FloatVector.broadcast(F, m8[mOff + nb]);
                e0 = FloatVector.broadcast(F, m8[mOff + bl + nb]);
                f0 = FloatVector.broadcast(F, m8[mOff + 2 * bl + nb]);
                g0 = FloatVector.broadcast(F, m8[mOff + 3 * bl + nb]);
                c1 = zero;
                e1 = zero;
                f1 = zero;
                g1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }

    static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }
}
