package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Q4_KLanes}' layout and its decode kernels, one method per shape (groups × tokens), kept apart from the
 * repacking and the dispatch, as {@link Q4_0LaneKernels} are for Q4_0. Each kernel computes its groups' sums for its
 * tokens with the operations of {@link Q4_KLanes}' class comment and stores the accumulators to {@code s} (vector
 * t·groups + g): vectors passed on to a method C2 does not inline get boxed. Written out per shape, not looped: a
 * loop over accumulators would need an array of vectors, which C2 does not keep in registers. The groups' F32
 * {@code d·scale} and {@code dmin·min} per sub-block come from the scratch, where {@link #scales} puts them once per
 * pass for all its tokens: computed inside the kernels (a load, a widening, a conversion and a multiply each) they
 * took the 2-group kernels past C2's {@code NodeCountInliningCutoff}, which then boxed every vector (4–17 MB per product).
 *
 * <p>Layout, per group of L rows and super-block of 256 columns ({@link #SUPER} bytes): the L rows' F32 {@code d},
 * their F32 {@code dmin}, per sub-block of 32 their 6-bit scales (L bytes each), then their mins (L bytes each),
 * then per sub-block 16 runs of L bytes: run j holds byte j of each row of the group (value j of the sub-block in
 * its low nibble, value 16 + j in its high one), Q4_0's order.
 */
abstract sealed class Q4_KLaneKernels permits Q4_KLanes {
    static final int BLOCK = 256;
    static final int SUB = 32;
    static final int SUBS = BLOCK / SUB;
    static final int HALF = 16;
    static final long D = 0, DMIN = 4L * L, SCALES = 8L * L, MINS = 16L * L, QUANTS = 24L * L;
    /** Bytes of one sub-block's runs. */
    static final long RUNS = 16L * L;
    /** Bytes per group and super-block: d, dmin, eight scales and mins, eight sub-blocks of runs (0.59 bytes per weight). */
    static final long SUPER = QUANTS + SUBS * RUNS;

    final MemorySegment packed;
    final int supers;
    final long groupBytes;

    Q4_KLaneKernels(MemorySegment packed, int supers) {
        this.packed = packed;
        this.supers = supers;
        this.groupBytes = supers * SUPER;
    }

    /** One group times one token: a group a row range covers in part. */
    final void one(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes;
        int subs = supers * SUBS;
        FloatVector zero = FloatVector.zero(F), a00 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r);
                FloatVector l0 = lo(w0), h0 = hi(w0);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
        }
        a00.intoArray(s, 0 * L);
    }

    /** One group times two tokens. */
    final void two(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes;
        int subs = supers * SUBS;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a10 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c10 = zero, e10 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r);
                FloatVector l0 = lo(w0), h0 = hi(w0);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                xv = FloatVector.broadcast(F, x[xo + j + cols]);
                c10 = l0.fma(xv, c10);
                xv = FloatVector.broadcast(F, x[xo + j + cols + HALF]);
                e10 = h0.fma(xv, e10);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            FloatVector y1 = FloatVector.broadcast(F, nx[k + subs]);
            a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
        }
        a00.intoArray(s, 0 * L);
        a10.intoArray(s, 1 * L);
    }

    /** One group times four tokens. */
    final void four(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes;
        int subs = supers * SUBS;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a10 = zero, a20 = zero, a30 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c10 = zero, e10 = zero, c20 = zero, e20 = zero, c30 = zero, e30 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r);
                FloatVector l0 = lo(w0), h0 = hi(w0);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                xv = FloatVector.broadcast(F, x[xo + j + cols]);
                c10 = l0.fma(xv, c10);
                xv = FloatVector.broadcast(F, x[xo + j + cols + HALF]);
                e10 = h0.fma(xv, e10);
                xv = FloatVector.broadcast(F, x[xo + j + 2 * cols]);
                c20 = l0.fma(xv, c20);
                xv = FloatVector.broadcast(F, x[xo + j + 2 * cols + HALF]);
                e20 = h0.fma(xv, e20);
                xv = FloatVector.broadcast(F, x[xo + j + 3 * cols]);
                c30 = l0.fma(xv, c30);
                xv = FloatVector.broadcast(F, x[xo + j + 3 * cols + HALF]);
                e30 = h0.fma(xv, e30);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            FloatVector y1 = FloatVector.broadcast(F, nx[k + subs]);
            a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
            FloatVector y2 = FloatVector.broadcast(F, nx[k + 2 * subs]);
            a20 = u0.fma(y2, c20.add(e20).fma(s0, a20));
            FloatVector y3 = FloatVector.broadcast(F, nx[k + 3 * subs]);
            a30 = u0.fma(y3, c30.add(e30).fma(s0, a30));
        }
        a00.intoArray(s, 0 * L);
        a10.intoArray(s, 1 * L);
        a20.intoArray(s, 2 * L);
        a30.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times one token: twice the independent chains of {@link #one}. */
    final void oneTwoGroups(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, g1 = groupBytes;
        int subs = supers * SUBS, scales = 2 * L * subs;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r), w1 = Widen.u8(m, r + g1);
                FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                c01 = l1.fma(xv, c01);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                e01 = h1.fma(xv, e01);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector s1 = FloatVector.fromArray(F, nx, sc + scales), u1 = FloatVector.fromArray(F, nx, sc + scales + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
    }

    /** Groups gr .. gr + 3 times one token: four times the independent chains of {@link #one} (a lone token is latency-bound). */
    final void oneFourGroups(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, g1 = groupBytes, g2 = 2 * groupBytes, g3 = 3 * groupBytes;
        int subs = supers * SUBS, scales = 2 * L * subs;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c02 = zero, e02 = zero, c03 = zero, e03 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r), w1 = Widen.u8(m, r + g1), w2 = Widen.u8(m, r + g2), w3 = Widen.u8(m, r + g3);
                FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1), l2 = lo(w2), h2 = hi(w2), l3 = lo(w3), h3 = hi(w3);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                c01 = l1.fma(xv, c01);
                c02 = l2.fma(xv, c02);
                c03 = l3.fma(xv, c03);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                e01 = h1.fma(xv, e01);
                e02 = h2.fma(xv, e02);
                e03 = h3.fma(xv, e03);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector s1 = FloatVector.fromArray(F, nx, sc + scales), u1 = FloatVector.fromArray(F, nx, sc + scales + L);
            FloatVector s2 = FloatVector.fromArray(F, nx, sc + 2 * scales), u2 = FloatVector.fromArray(F, nx, sc + 2 * scales + L);
            FloatVector s3 = FloatVector.fromArray(F, nx, sc + 3 * scales), u3 = FloatVector.fromArray(F, nx, sc + 3 * scales + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
            a02 = u2.fma(y0, c02.add(e02).fma(s2, a02));
            a03 = u3.fma(y0, c03.add(e03).fma(s3, a03));
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a02.intoArray(s, 2 * L);
        a03.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times two tokens: each decoded vector serves both tokens, each broadcast both groups. */
    final void twoTwoGroups(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, g1 = groupBytes;
        int subs = supers * SUBS, scales = 2 * L * subs;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r), w1 = Widen.u8(m, r + g1);
                FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                c01 = l1.fma(xv, c01);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                e01 = h1.fma(xv, e01);
                xv = FloatVector.broadcast(F, x[xo + j + cols]);
                c10 = l0.fma(xv, c10);
                c11 = l1.fma(xv, c11);
                xv = FloatVector.broadcast(F, x[xo + j + cols + HALF]);
                e10 = h0.fma(xv, e10);
                e11 = h1.fma(xv, e11);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector s1 = FloatVector.fromArray(F, nx, sc + scales), u1 = FloatVector.fromArray(F, nx, sc + scales + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
            FloatVector y1 = FloatVector.broadcast(F, nx[k + subs]);
            a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
            a11 = u1.fma(y1, c11.add(e11).fma(s1, a11));
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times three tokens: a batch of 3 (or its last three) in one pass. */
    final void threeTwoGroups(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, g1 = groupBytes;
        int subs = supers * SUBS, scales = 2 * L * subs;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero, c20 = zero, e20 = zero, c21 = zero, e21 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r), w1 = Widen.u8(m, r + g1);
                FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                c01 = l1.fma(xv, c01);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                e01 = h1.fma(xv, e01);
                xv = FloatVector.broadcast(F, x[xo + j + cols]);
                c10 = l0.fma(xv, c10);
                c11 = l1.fma(xv, c11);
                xv = FloatVector.broadcast(F, x[xo + j + cols + HALF]);
                e10 = h0.fma(xv, e10);
                e11 = h1.fma(xv, e11);
                xv = FloatVector.broadcast(F, x[xo + j + 2 * cols]);
                c20 = l0.fma(xv, c20);
                c21 = l1.fma(xv, c21);
                xv = FloatVector.broadcast(F, x[xo + j + 2 * cols + HALF]);
                e20 = h0.fma(xv, e20);
                e21 = h1.fma(xv, e21);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector s1 = FloatVector.fromArray(F, nx, sc + scales), u1 = FloatVector.fromArray(F, nx, sc + scales + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
            FloatVector y1 = FloatVector.broadcast(F, nx[k + subs]);
            a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
            a11 = u1.fma(y1, c11.add(e11).fma(s1, a11));
            FloatVector y2 = FloatVector.broadcast(F, nx[k + 2 * subs]);
            a20 = u0.fma(y2, c20.add(e20).fma(s0, a20));
            a21 = u1.fma(y2, c21.add(e21).fma(s1, a21));
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
        a20.intoArray(s, 4 * L);
        a21.intoArray(s, 5 * L);
    }

    /** Groups gr, gr + 1 times four tokens: each broadcast serves two groups, each decoded vector four tokens. */
    final void fourTwoGroups(int gr, float[] x, int xOff, int cols, float[] nx, int nOff, int dOff, float[] s) {
        MemorySegment m = packed;
        long base = gr * groupBytes, g1 = groupBytes;
        int subs = supers * SUBS, scales = 2 * L * subs;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
        for (int b = 0; b < subs; b++) {
            long q = base + (b >> 3) * SUPER + QUANTS + (b & 7) * RUNS;
            int xo = xOff + b * SUB, k = nOff + b, sc = dOff + b * 2 * L;
            FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero, c20 = zero, e20 = zero, c21 = zero, e21 = zero, c30 = zero, e30 = zero, c31 = zero, e31 = zero;
            for (int j = 0; j < HALF; j++) {
                long r = q + (long) j * L;
                IntVector w0 = Widen.u8(m, r), w1 = Widen.u8(m, r + g1);
                FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
                FloatVector xv = FloatVector.broadcast(F, x[xo + j]);
                c00 = l0.fma(xv, c00);
                c01 = l1.fma(xv, c01);
                xv = FloatVector.broadcast(F, x[xo + j + HALF]);
                e00 = h0.fma(xv, e00);
                e01 = h1.fma(xv, e01);
                xv = FloatVector.broadcast(F, x[xo + j + cols]);
                c10 = l0.fma(xv, c10);
                c11 = l1.fma(xv, c11);
                xv = FloatVector.broadcast(F, x[xo + j + cols + HALF]);
                e10 = h0.fma(xv, e10);
                e11 = h1.fma(xv, e11);
                xv = FloatVector.broadcast(F, x[xo + j + 2 * cols]);
                c20 = l0.fma(xv, c20);
                c21 = l1.fma(xv, c21);
                xv = FloatVector.broadcast(F, x[xo + j + 2 * cols + HALF]);
                e20 = h0.fma(xv, e20);
                e21 = h1.fma(xv, e21);
                xv = FloatVector.broadcast(F, x[xo + j + 3 * cols]);
                c30 = l0.fma(xv, c30);
                c31 = l1.fma(xv, c31);
                xv = FloatVector.broadcast(F, x[xo + j + 3 * cols + HALF]);
                e30 = h0.fma(xv, e30);
                e31 = h1.fma(xv, e31);
            }
            FloatVector s0 = FloatVector.fromArray(F, nx, sc), u0 = FloatVector.fromArray(F, nx, sc + L);
            FloatVector s1 = FloatVector.fromArray(F, nx, sc + scales), u1 = FloatVector.fromArray(F, nx, sc + scales + L);
            FloatVector y0 = FloatVector.broadcast(F, nx[k]);
            a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
            a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
            FloatVector y1 = FloatVector.broadcast(F, nx[k + subs]);
            a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
            a11 = u1.fma(y1, c11.add(e11).fma(s1, a11));
            FloatVector y2 = FloatVector.broadcast(F, nx[k + 2 * subs]);
            a20 = u0.fma(y2, c20.add(e20).fma(s0, a20));
            a21 = u1.fma(y2, c21.add(e21).fma(s1, a21));
            FloatVector y3 = FloatVector.broadcast(F, nx[k + 3 * subs]);
            a30 = u0.fma(y3, c30.add(e30).fma(s0, a30));
            a31 = u1.fma(y3, c31.add(e31).fma(s1, a31));
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
        a20.intoArray(s, 4 * L);
        a21.intoArray(s, 5 * L);
        a30.intoArray(s, 6 * L);
        a31.intoArray(s, 7 * L);
    }

    /** Floats {@link #scales} writes per group: per sub-block L {@code d·scale}, then L {@code dmin·min}. */
    int scaleFloats() {
        return 2 * L * supers * SUBS;
    }

    /**
     * Groups {@code [gr, gr + groups)}'s {@code d·scale} and {@code dmin·min} per sub-block b as F32, group g's at
     * {@code s[off + g·scaleFloats() + 2·L·b ..]}: {@code d·scale} (the float product, as {@link Q4_KTensor#dequantizeRow}
     * takes it), then {@code dmin·min}.
     */
    final void scales(int gr, int groups, float[] s, int off) {
        MemorySegment m = packed;
        for (int g = 0; g < groups; g++) {
            long base = (gr + g) * groupBytes;
            for (int sb = 0, o = off + g * scaleFloats(); sb < supers; sb++) {
                long p = base + sb * SUPER;
                FloatVector d = FloatVector.fromMemorySegment(F, m, p + D, LE), dmin = FloatVector.fromMemorySegment(F, m, p + DMIN, LE);
                for (int b = 0; b < SUBS; b++, o += 2 * L) {
                    d.mul(Widen.toFloat(Widen.u8(m, p + SCALES + (long) b * L))).intoArray(s, o);
                    dmin.mul(Widen.toFloat(Widen.u8(m, p + MINS + (long) b * L))).intoArray(s, o + L);
                }
            }
        }
    }

    static FloatVector lo(IntVector w) {
        return Widen.toFloat(w.and(15));
    }

    static FloatVector hi(IntVector w) {
        return Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }
}
