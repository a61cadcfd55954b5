package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.hi;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.lo;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.GROUP_FACTORS;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.HALF;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.SUPER_RUNS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The lone-token kernels of {@link Q4_KLanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, run i of a quad being the four groups' run i side by side ({@link #QUAD_RUN} bytes, group k's at
 * {@code k·L}), so a quad's kernel reads one sequential stream of cache lines where the batch copy's four groups are
 * four streams, as {@link Q4_0QuadKernels} do for Q4_0. The factors are laid out as in the batch copy. Each call runs
 * one super-block and carries its sums, with the operations and order of {@link Q4_KLaneKernels}' lone-token kernels,
 * so the same bits; they differ in addressing only, kept apart so that every address stays a constant stride of the
 * run index: the lone-token kernels of {@link Q4_KLaneKernels} taking the run stride as an argument instead (one set
 * for both copies) ran gate + up at 11.2–13.2 against 10.5–11.3 ms per step in the one-sequence copy and 12.5–15.2
 * against 10.7–12.0 in the batch copy ({@code bench step --dtype q4_k_m}, three alternated rounds).
 */
final class Q4_KQuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one run of a quad: its four groups' L bytes. */
    static final long QUAD_RUN = QUAD * L;

    private Q4_KQuadKernels() {}

    /** One group of a quad times one token, one super-block. */
    static void quadOne(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector c00 = zero, e00 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            long q = q0 + (long) i * QUAD_RUN;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q);
            FloatVector l0 = lo(w0), h0 = hi(w0);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c00 = l0.fma(xv, c00);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            e00 = h0.fma(xv, e00);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + b * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                c00 = zero;
                e00 = zero;
            }
        }
        a00.intoArray(s, sOff);
    }

    /** Two groups of a quad (its first two or last two) times one token, one super-block. */
    static void quadTwo(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector a01 = FloatVector.fromArray(F, s, sOff + L);
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            long q = q0 + (long) i * QUAD_RUN;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + L);
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

    /** A quad's four groups times one token, one super-block: its runs one stream of cache lines. */
    static void quadFour(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector a01 = FloatVector.fromArray(F, s, sOff + L);
        FloatVector a02 = FloatVector.fromArray(F, s, sOff + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, s, sOff + 3 * L);
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c02 = zero, e02 = zero, c03 = zero, e03 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            long q = q0 + (long) i * QUAD_RUN;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q), w1 = Widen.u8(m, q + L), w2 = Widen.u8(m, q + 2 * L), w3 = Widen.u8(m, q + 3 * L);
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

}
