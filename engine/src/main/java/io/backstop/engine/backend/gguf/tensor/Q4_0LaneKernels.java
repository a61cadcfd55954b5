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
 */
abstract sealed class Q4_0LaneKernels permits Q4_0Lanes {
    static final int BLOCK = 32;
    static final int HALF = 16;
    /** Bytes per group and block: 16 runs of L quantized bytes, then L F32 scales. */
    static final long STRIDE = 20L * L;
    static final long SCALES = 16L * L;

    final MemorySegment packed;
    final int blocks;
    final long groupBytes;

    Q4_0LaneKernels(MemorySegment packed, int blocks) {
        this.packed = packed;
        this.blocks = blocks;
        this.groupBytes = blocks * STRIDE;
    }

    /** Groups gr, gr + 1 times three tokens: a batch of 3 (or its last three) in one pass. */
    final void threeTwoGroups(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
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
    final void fourTwoGroups(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
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
    final void twoTwoGroups(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
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
    final void oneFourGroups(int gr, float[] x, int xOff, float[] m8, int mOff, float[] s) {
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
    final void oneTwoGroups(int gr, float[] x, int xOff, float[] m8, int mOff, float[] s) {
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

    final void one(int gr, float[] x, int xOff, float[] m8, int mOff, float[] s) {
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

    final void two(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
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

    final void four(int gr, float[] x, int xOff, int cols, float[] m8, int mOff, float[] s) {
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

    static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }
}
