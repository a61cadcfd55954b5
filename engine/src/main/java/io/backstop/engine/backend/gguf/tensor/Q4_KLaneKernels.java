package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Lanes.S;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.hi;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.lo;
import static io.backstop.engine.backend.gguf.tensor.Widen.F16_BITS;
import static io.backstop.engine.backend.gguf.tensor.Widen.F16_RESCALE;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * {@link Q4_KLanes}' decode kernels for two and four groups of L rows at a time (its layout and the one-group kernels
 * are in {@link Q4_KLaneLayout}), one method per shape (groups × tokens), kept apart from the repacking and the
 * dispatch, as {@link Q4_0LaneKernels} are for Q4_0. Each kernel computes its groups' sums for its
 * tokens with the operations of {@link Q4_KLanes}' class comment and stores the accumulators to {@code s} (vector
 * t·groups + g): vectors passed on to a method C2 does not inline get boxed. Written out per shape, not looped: a
 * loop over accumulators would need an array of vectors, which C2 does not keep in registers.
 *
 * <p>Each kernel is one loop over a group's runs (run i = 16·sub-block + j), closing a sub-block's sums when i ends
 * one: the runs of a group lie end to end and the activations come interleaved ({@code xp}, see
 * {@link Q4_0Lanes#interleave}), so every address is linear in i and C2 checks the ranges once per product instead
 * of setting up a 16-trip loop per sub-block. The sub-block's F32 {@code d·scale} and {@code dmin·min} are stored
 * (computed at load), loaded where the sub-block ends: computed in the kernels (a load, a widening, a conversion and a
 * multiply each) they took the 2-group kernels past C2's {@code NodeCountInliningCutoff}, which then boxed every
 * vector, and computed once per pass into the scratch they cost a lone token a pass over them per product.
 */
abstract sealed class Q4_KLaneKernels extends Q4_KLaneLayout permits Q4_KLanes {
    Q4_KLaneKernels(MemorySegment packed, int supers) {
        super(packed, supers);
    }

    /** Groups gr, gr + 1 times one token: twice the independent chains of {@link #one}. */
    static void oneTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes, g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                long sc = gr * groupBytes + (long) b * 2 * L, sd = gr * groupBytes + (long) subs * 2 * L + (long) (b >> 3) * 4 * L;
                FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
            }
        }
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
    }

    /** Groups gr .. gr + 3 times one token: four times the independent chains of {@link #one} (a lone token is latency-bound). */
    static void oneFourGroups(MemorySegment packed, MemorySegment scaleSeg, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes, g1 = groupBytes, g2 = 2 * groupBytes, g3 = 3 * groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c02 = zero, e02 = zero, c03 = zero, e03 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                long sc = gr * groupBytes + (long) b * 2 * L, sd = gr * groupBytes + (long) subs * 2 * L + (long) (b >> 3) * 4 * L;
                FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s2 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g2, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g2, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u2 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g2 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g2 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s3 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g3, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g3, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u3 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g3 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g3 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
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
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a02.intoArray(s, 2 * L);
        a03.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times two tokens: each decoded vector serves both tokens, each broadcast both groups. */
    static void twoTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes, g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                long sc = gr * groupBytes + (long) b * 2 * L, sd = gr * groupBytes + (long) subs * 2 * L + (long) (b >> 3) * 4 * L;
                FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
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
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
    }

    /** Groups gr, gr + 1 times three tokens: a batch of 3 (or its last three) in one pass. */
    static void threeTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes, g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero, c20 = zero, e20 = zero, c21 = zero, e21 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                long sc = gr * groupBytes + (long) b * 2 * L, sd = gr * groupBytes + (long) subs * 2 * L + (long) (b >> 3) * 4 * L;
                FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
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
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
        a20.intoArray(s, 4 * L);
        a21.intoArray(s, 5 * L);
    }

    /** Groups gr, gr + 1 times four tokens: each broadcast serves two groups, each decoded vector four tokens. */
    static void fourTwoGroups(MemorySegment packed, MemorySegment scaleSeg, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed, ss = scaleSeg;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes, g1 = groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c10 = zero, e10 = zero, c11 = zero, e11 = zero, c20 = zero, e20 = zero, c21 = zero, e21 = zero, c30 = zero, e30 = zero, c31 = zero, e31 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                long sc = gr * groupBytes + (long) b * 2 * L, sd = gr * groupBytes + (long) subs * 2 * L + (long) (b >> 3) * 4 * L;
                FloatVector s0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u0 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector s1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
                FloatVector u1 = ((FloatVector) ByteVector.fromMemorySegment(B, ss, sc + g1 + L, LE).convertShape(B2F, F, 0)).mul(((IntVector) ShortVector.fromMemorySegment(S, ss, sd + g1 + 2 * L, LE).convertShape(S2I, I, 0)).lanewise(LSHL, 13).and(F16_BITS).reinterpretAsFloats().mul(F16_RESCALE));
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
        a00.intoArray(s, 0 * L);
        a01.intoArray(s, 1 * L);
        a10.intoArray(s, 2 * L);
        a11.intoArray(s, 3 * L);
        a20.intoArray(s, 4 * L);
        a21.intoArray(s, 5 * L);
        a30.intoArray(s, 6 * L);
        a31.intoArray(s, 7 * L);
    }
}
