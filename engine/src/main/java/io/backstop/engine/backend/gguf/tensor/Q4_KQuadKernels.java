package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.GROUP_FACTORS;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.HALF;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.SUPER_RUNS;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The lone-token kernels of {@link Q4_KLanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, run i of a quad being the four groups' run i interleaved ({@link #QUAD_RUN} bytes, group k's row j
 * at {@code 4·j + k}), so a quad's kernel reads one sequential stream of cache lines where the batch copy's four groups
 * are four streams, as {@link Q4_0QuadKernels} do for Q4_0, and one load of L ints holds the run for all four groups:
 * lane j is row j, group k's byte in its bits 8k to 8k + 7. Four loads of L bytes widened to ints, one per group, cost
 * a bounds check each that C2 did not hoist (about 20 scalar instructions per load) and a shuffle each: the single
 * load ran a quad's super-block in 0.75–0.79× the time from cache and 0.82–0.89× streamed from memory (one thread, the
 * same bytes, the two kernels alternated in one JVM). The factors are laid out as in the batch copy. Each call runs
 * one super-block and carries its sums, with the operations and order of {@link Q4_KLaneKernels}' lone-token kernels,
 * so the same bits; they differ in addressing only, kept apart so that every address stays a constant stride of the
 * run index: the lone-token kernels of {@link Q4_KLaneKernels} taking the run stride as an argument instead (one set
 * for both copies) ran gate + up at 11.2–13.2 against 10.5–11.3 ms per step in the one-sequence copy and 12.5–15.2
 * against 10.7–12.0 in the batch copy ({@code bench step --dtype q4_k_m}, three alternated rounds).
 */
final class Q4_KQuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one run of a quad: its four groups' L bytes, interleaved (group k's row j at {@code 4·j + k}). */
    static final long QUAD_RUN = QUAD * L;

    private Q4_KQuadKernels() {}

    /** One group of a quad ({@code q0 & 3}; its run bytes from {@code q0 & -4}) times one token, one super-block. */
    static void quadOne(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        long base = q0 & -QUAD;
        int sh = 8 * (int) (q0 & (QUAD - 1));
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector c00 = zero, e00 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, base + (long) i * QUAD_RUN, LE).lanewise(LSHR, sh);
            int k = xOff + 2 * i;
            FloatVector l0 = toFloat(v.and(15)), h0 = toFloat(v.lanewise(LSHR, 4).and(15));
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

    /** Two groups of a quad ({@code q0 & 3}, 0 or 2, and the next; run bytes from {@code q0 & -4}) times one token, one super-block. */
    static void quadTwo(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        long base = q0 & -QUAD;
        int sh = 8 * (int) (q0 & (QUAD - 1));
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector a01 = FloatVector.fromArray(F, s, sOff + L);
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, base + (long) i * QUAD_RUN, LE).lanewise(LSHR, sh);
            int k = xOff + 2 * i;
            FloatVector l0 = toFloat(v.and(15)), h0 = toFloat(v.lanewise(LSHR, 4).and(15));
            FloatVector l1 = toFloat(v.lanewise(LSHR, 8).and(15)), h1 = toFloat(v.lanewise(LSHR, 12).and(15));
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

    /**
     * A quad's four groups times one token, one super-block: one load per run. Each nibble is masked in its place,
     * not shifted down, so it converts to its value times a power of two (exactly: four significant bits); the
     * sums carry that power, which a sub-block's end takes out again exactly ({@code c·2⁻ᵃ + e·2⁻ᵇ} rounds as
     * {@code c + e} did), so the bits are those of {@link #quadOne}. The top nibble shifts down (masked it would be
     * negative).
     */
    static void quadFour(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector a01 = FloatVector.fromArray(F, s, sOff + L);
        FloatVector a02 = FloatVector.fromArray(F, s, sOff + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, s, sOff + 3 * L);
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c02 = zero, e02 = zero, c03 = zero, e03 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, q0 + (long) i * QUAD_RUN, LE);
            int k = xOff + 2 * i;
            FloatVector l0 = toFloat(v.and(0xF)), h0 = toFloat(v.and(0xF0));
            FloatVector l1 = toFloat(v.and(0xF00)), h1 = toFloat(v.and(0xF000));
            FloatVector l2 = toFloat(v.and(0xF0000)), h2 = toFloat(v.and(0xF00000));
            FloatVector l3 = toFloat(v.and(0xF000000)), h3 = toFloat(v.lanewise(LSHR, 28));
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
                a00 = u0.fma(y0, c00.add(e00.mul(0x1p-4f)).fma(s0, a00));
                a01 = u1.fma(y0, c01.mul(0x1p-8f).add(e01.mul(0x1p-12f)).fma(s1, a01));
                a02 = u2.fma(y0, c02.mul(0x1p-16f).add(e02.mul(0x1p-20f)).fma(s2, a02));
                a03 = u3.fma(y0, c03.mul(0x1p-24f).add(e03).fma(s3, a03));
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

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(I2F, 0);
    }
}
