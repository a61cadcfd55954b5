package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Widen.hi;
import static io.backstop.engine.backend.gguf.tensor.Widen.lo;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * {@link Q4_KLanes}' decode kernels for two and four groups of L rows at a time (its layout and the one-group kernels
 * are in {@link Q4_KLaneLayout}), one method per shape (groups × tokens), kept apart from the repacking and the
 * dispatch, as {@link Q4_0QuadKernels} are for Q4_0. Written out per shape, not looped: a loop over accumulators would
 * need an array of vectors, which C2 does not keep in registers.
 *
 * <p>Each kernel is one loop over its groups' runs from {@code q0} (group k's {@code k·groupBytes} on), closing a
 * sub-block's sums when the run index i ends one, with every address linear in i (the activations come interleaved,
 * {@code xp} from {@code xOff}, see {@link Q4_0Lanes#interleave}), with the operations of {@link Q4_KLanes}' class
 * comment. The lone-token kernels run one super-block ({@link #SUPER_RUNS} runs) per call and carry their groups'
 * sums from {@code s[sOff]} on, the same bits as one loop over the row; the multi-token kernels run whole rows and
 * leave their sums at {@code s[sOff]} (vector t·groups + g). The sub-block's F32 {@code d·scale} and {@code dmin·min}
 * come from the scratch ({@code nx} from {@code fOff}, group k's {@link #GROUP_FACTORS} floats on; for a whole row,
 * super-block s's s·{@link #SLOT} floats further), formed by {@link Q4_KLanes#form}, loaded where the sub-block
 * ends; token t's {@code −Σx} of sub-block b at {@code nx[nOff + t·subs + b]}. Formed inside the kernels, the loads
 * and conversions took them past C2's {@code NodeCountInliningCutoff} (helpers) or past what it optimizes loops in
 * (the Vector API's own methods).
 */
abstract sealed class Q4_KLaneKernels extends Q4_KLaneLayout permits Q4_KLanes {
    Q4_KLaneKernels(MemorySegment packed, int groups, int supers, boolean quads) {
        super(packed, groups, supers, quads);
    }

    /** Groups g, g + 1 times one token, one super-block: twice the independent chains of {@link #one}. */
    static void oneTwoGroups(MemorySegment packed, long q0, long groupBytes, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        long g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector a01 = FloatVector.fromArray(F, s, sOff + L);
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + g1);
            FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c00 = l0.fma(xv, c00);
            c01 = l1.fma(xv, c01);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            e00 = h0.fma(xv, e00);
            e01 = h1.fma(xv, e01);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + b * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector s1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS);
                FloatVector u1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
    }

    /** Groups g .. g + 3 times one token, one super-block: four times the independent chains of {@link #one} (a lone token is latency-bound). */
    static void oneFourGroups(MemorySegment packed, long q0, long groupBytes, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        long g1 = groupBytes, g2 = 2 * groupBytes, g3 = 3 * groupBytes;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector a01 = FloatVector.fromArray(F, s, sOff + L);
        FloatVector a02 = FloatVector.fromArray(F, s, sOff + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, s, sOff + 3 * L);
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c02 = zero, e02 = zero, c03 = zero, e03 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + g1), w2 = Widen.u8(m, q + g2), w3 = Widen.u8(m, q + g3);
            FloatVector l0 = lo(w0), h0 = hi(w0), l1 = lo(w1), h1 = hi(w1), l2 = lo(w2), h2 = hi(w2), l3 = lo(w3), h3 = hi(w3);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c00 = l0.fma(xv, c00);
            c01 = l1.fma(xv, c01);
            c02 = l2.fma(xv, c02);
            c03 = l3.fma(xv, c03);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            e00 = h0.fma(xv, e00);
            e01 = h1.fma(xv, e01);
            e02 = h2.fma(xv, e02);
            e03 = h3.fma(xv, e03);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + b * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector s1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS);
                FloatVector u1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS + L);
                FloatVector s2 = FloatVector.fromArray(F, nx, fb + 2 * GROUP_FACTORS);
                FloatVector u2 = FloatVector.fromArray(F, nx, fb + 2 * GROUP_FACTORS + L);
                FloatVector s3 = FloatVector.fromArray(F, nx, fb + 3 * GROUP_FACTORS);
                FloatVector u3 = FloatVector.fromArray(F, nx, fb + 3 * GROUP_FACTORS + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                a02 = u2.fma(y0, c02.add(e02).fma(s2, a02));
                a03 = u3.fma(y0, c03.add(e03).fma(s3, a03));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
                c02 = zero;
                e02 = zero;
                c03 = zero;
                e03 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
        a02.intoArray(s, sOff + 2 * L);
        a03.intoArray(s, sOff + 3 * L);
    }

    /** Groups g, g + 1 times two tokens, a whole row: each decoded vector serves both tokens, each broadcast both groups. */
    static void twoTwoGroups(MemorySegment packed, long q0, long groupBytes, int supers, float[] xp, int xOff, int cols, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, subs = supers * SUBS;
        long g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero;
        for (int i = 0; i < runs; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + g1);
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
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + (b >> 3) * SLOT + (b & 7) * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector s1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS);
                FloatVector u1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                FloatVector y1 = FloatVector.broadcast(F, nx[nOff + b + subs]);
                a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
                a11 = u1.fma(y1, c11.add(e11).fma(s1, a11));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
                c10 = zero;
                e10 = zero;
                c11 = zero;
                e11 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
        a10.intoArray(s, sOff + 2 * L);
        a11.intoArray(s, sOff + 3 * L);
    }

    /** Groups g, g + 1 times three tokens, a whole row: a batch of 3 (or its last three) in one pass. */
    static void threeTwoGroups(MemorySegment packed, long q0, long groupBytes, int supers, float[] xp, int xOff, int cols, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, subs = supers * SUBS;
        long g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero, c20 = zero, e20 = zero, c21 = zero, e21 = zero;
        for (int i = 0; i < runs; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + g1);
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
                int b = i >> 4;
                int fb = fOff + (b >> 3) * SLOT + (b & 7) * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector s1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS);
                FloatVector u1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                FloatVector y1 = FloatVector.broadcast(F, nx[nOff + b + subs]);
                a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
                a11 = u1.fma(y1, c11.add(e11).fma(s1, a11));
                FloatVector y2 = FloatVector.broadcast(F, nx[nOff + b + 2 * subs]);
                a20 = u0.fma(y2, c20.add(e20).fma(s0, a20));
                a21 = u1.fma(y2, c21.add(e21).fma(s1, a21));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
                c10 = zero;
                e10 = zero;
                c11 = zero;
                e11 = zero;
                c20 = zero;
                e20 = zero;
                c21 = zero;
                e21 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
        a10.intoArray(s, sOff + 2 * L);
        a11.intoArray(s, sOff + 3 * L);
        a20.intoArray(s, sOff + 4 * L);
        a21.intoArray(s, sOff + 5 * L);
    }

    /** Groups g, g + 1 times four tokens, a whole row: each broadcast serves two groups, each decoded vector four tokens. */
    static void fourTwoGroups(MemorySegment packed, long q0, long groupBytes, int supers, float[] xp, int xOff, int cols, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, subs = supers * SUBS;
        long g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero, c20 = zero, e20 = zero, c21 = zero, e21 = zero, c30 = zero, e30 = zero, c31 = zero, e31 = zero;
        for (int i = 0; i < runs; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + g1);
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
            xv = FloatVector.broadcast(F, xp[k + 3 * cols]);
            c30 = l0.fma(xv, c30);
            c31 = l1.fma(xv, c31);
            xv = FloatVector.broadcast(F, xp[k + 3 * cols + 1]);
            e30 = h0.fma(xv, e30);
            e31 = h1.fma(xv, e31);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + (b >> 3) * SLOT + (b & 7) * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector s1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS);
                FloatVector u1 = FloatVector.fromArray(F, nx, fb + GROUP_FACTORS + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                FloatVector y1 = FloatVector.broadcast(F, nx[nOff + b + subs]);
                a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
                a11 = u1.fma(y1, c11.add(e11).fma(s1, a11));
                FloatVector y2 = FloatVector.broadcast(F, nx[nOff + b + 2 * subs]);
                a20 = u0.fma(y2, c20.add(e20).fma(s0, a20));
                a21 = u1.fma(y2, c21.add(e21).fma(s1, a21));
                FloatVector y3 = FloatVector.broadcast(F, nx[nOff + b + 3 * subs]);
                a30 = u0.fma(y3, c30.add(e30).fma(s0, a30));
                a31 = u1.fma(y3, c31.add(e31).fma(s1, a31));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
                c10 = zero;
                e10 = zero;
                c11 = zero;
                e11 = zero;
                c20 = zero;
                e20 = zero;
                c21 = zero;
                e21 = zero;
                c30 = zero;
                e30 = zero;
                c31 = zero;
                e31 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
        a10.intoArray(s, sOff + 2 * L);
        a11.intoArray(s, sOff + 3 * L);
        a20.intoArray(s, sOff + 4 * L);
        a21.intoArray(s, sOff + 5 * L);
        a30.intoArray(s, sOff + 6 * L);
        a31.intoArray(s, sOff + 7 * L);
    }

}
