package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.HALF;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.SUBS;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.SUPER_RUNS;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The lone-token kernels of {@link Q4_KLanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, run i of a quad being the four groups' run i interleaved ({@link #QUAD_RUN} bytes, group k's row j
 * at {@code 4·j + k}), so one load of L ints holds the run for all four groups: lane j is row j, group k's byte in its
 * bits 8k to 8k + 7. Four loads of L bytes widened to ints, one per group, cost a bounds check each that C2 did not
 * hoist and a shuffle each: the single load ran a quad's super-block in 0.75–0.79× the time from cache.
 *
 * <p>A quad's factors lie in its own stream, in the order the kernel needs them: per super-block a head
 * ({@link #HEAD}: per group L ints, row j's F16 {@code d} in the low half and {@code dmin} in the high one), then per
 * sub-block its 16 runs and its factors ({@link #FACTS}: per pair of groups L ints, row j's 6-bit scale and min of
 * the pair's first group, then of its second, a byte each). So a kernel reads one sequential stream over a whole row,
 * forward only, and forms each sub-block's {@code d·scale} and {@code dmin·min} where it ends, from the bytes that
 * follow its runs (with the factors before the runs, read back at the sub-block's end, 0.95× as fast). With the
 * batch copy's factors (every group's for one super-block side by side, a stride of all groups apart from one
 * super-block to the next) and the factors formed into a scratch a super-block ahead, as {@link Q4_KLanes#form} does,
 * a 5632×2048 product took the same time from cache but 1.5× as long streamed from memory (JMH, two threads); in this
 * stream it takes 1.25–1.45× less. Only same-shape vector operations serve the factors: a ShortVector-to-IntVector
 * conversion in these long kernels was left a call by C2 (the kernel then boxed every vector, 20× slower).
 *
 * <p>Each call runs a whole row with the operations and order of {@link Q4_KLaneKernels}' lone-token kernels (the
 * products {@code (float) scale · d} as {@link Q4_KLanes#form} takes them), so the same bits as {@link Q4_KLanes#dot}.
 */
final class Q4_KQuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one run of a quad: its four groups' L bytes, interleaved (group k's row j at {@code 4·j + k}). */
    static final long QUAD_RUN = QUAD * L;
    /** Bytes of a quad's super-block head: per group L ints, row j's F16 {@code d} in the low half, its {@code dmin} in the high one. */
    static final long HEAD = QUAD * 4L * L;
    /** Bytes of a sub-block's factors in a quad: per pair of groups L ints, row j's scale, min, the next group's scale, min. */
    static final long FACTS = 2 * 4L * L;
    /** Bytes of a quad's sub-block: its 16 runs, then its factors. */
    static final long SUB_BYTES = FACTS + HALF * QUAD_RUN;
    /** Bytes of a quad's super-block: its head, then its 8 sub-blocks. */
    static final long SUPER_BYTES = HEAD + SUBS * SUB_BYTES;
    /** The sign, exponent and mantissa of an F16 moved into an F32's places ({@link Widen#f16}). */
    private static final int F16_BITS = 0x8FFFE000;

    private Q4_KQuadKernels() {}

    /** One group of the quad at {@code q0} ({@code k}: 0 to 3) times one token, a whole row: sums into {@code s[sOff]}. */
    static void one(MemorySegment packed, long q0, int k, int supers, float[] xp, int xOff, float[] nx, int nOff, float[] dn, int dOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, sh = 8 * k, fsh = 16 * (k & 1), dk = dOff + 2 * L * k;
        long fk = 4L * L * (k >> 1);
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, c00 = zero, e00 = zero;
        long q = q0;
        for (int i = 0; i < runs; i++) {
            if ((i & (SUPER_RUNS - 1)) == 0) {
                heads(m, q, dn, dOff);
                q += HEAD;
            }
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE).lanewise(LSHR, sh);
            q += QUAD_RUN;
            int x = xOff + 2 * i;
            c00 = ((FloatVector) v.and(15).convert(I2F, 0)).fma(FloatVector.broadcast(F, xp[x]), c00);
            e00 = ((FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0)).fma(FloatVector.broadcast(F, xp[x + 1]), e00);
            if ((i & (HALF - 1)) == HALF - 1) {
                IntVector p = IntVector.fromMemorySegment(I, m, q + fk, LE).lanewise(LSHR, fsh);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + (i >> 4)]);
                FloatVector s0 = ((FloatVector) p.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dk));
                FloatVector u0 = ((FloatVector) p.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dk + L));
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                c00 = zero;
                e00 = zero;
                q += FACTS;
            }
        }
        a00.intoArray(s, sOff);
    }

    /** Groups k and k + 1 (k 0 or 2) of the quad at {@code q0} times one token, a whole row: sums into {@code s[sOff]} on. */
    static void two(MemorySegment packed, long q0, int k, int supers, float[] xp, int xOff, float[] nx, int nOff, float[] dn, int dOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, sh = 8 * k, dk = dOff + 2 * L * k;
        long fk = 4L * L * (k >> 1);
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, c00 = zero, e00 = zero, c01 = zero, e01 = zero;
        long q = q0;
        for (int i = 0; i < runs; i++) {
            if ((i & (SUPER_RUNS - 1)) == 0) {
                heads(m, q, dn, dOff);
                q += HEAD;
            }
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE).lanewise(LSHR, sh);
            q += QUAD_RUN;
            int x = xOff + 2 * i;
            FloatVector l0 = (FloatVector) v.and(15).convert(I2F, 0), h0 = (FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0);
            FloatVector l1 = (FloatVector) v.lanewise(LSHR, 8).and(15).convert(I2F, 0), h1 = (FloatVector) v.lanewise(LSHR, 12).and(15).convert(I2F, 0);
            FloatVector xv = FloatVector.broadcast(F, xp[x]);
            c00 = l0.fma(xv, c00);
            c01 = l1.fma(xv, c01);
            xv = FloatVector.broadcast(F, xp[x + 1]);
            e00 = h0.fma(xv, e00);
            e01 = h1.fma(xv, e01);
            if ((i & (HALF - 1)) == HALF - 1) {
                IntVector p = IntVector.fromMemorySegment(I, m, q + fk, LE);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + (i >> 4)]);
                FloatVector s0 = ((FloatVector) p.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dk));
                FloatVector u0 = ((FloatVector) p.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dk + L));
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                FloatVector s1 = ((FloatVector) p.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dk + 2 * L));
                FloatVector u1 = ((FloatVector) p.lanewise(LSHR, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dk + 3 * L));
                a01 = u1.fma(y0, c01.add(e01).fma(s1, a01));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
                q += FACTS;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
    }

    /**
     * The quad at {@code q0}'s four groups times one token, a whole row, one load per run: sums into {@code s[sOff]} on.
     * Each nibble is masked in its place, not shifted down, so it converts to its value times a power of two (exactly:
     * four significant bits); the sums carry that power, which a sub-block's end takes out again exactly
     * ({@code c·2⁻ᵃ + e·2⁻ᵇ} rounds as {@code c + e} did), so the bits are those of {@link #one}. The top nibble shifts
     * down (masked it would be negative).
     */
    static void four(MemorySegment packed, long q0, int supers, float[] xp, int xOff, float[] nx, int nOff, float[] dn, int dOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector c00 = zero, e00 = zero, c01 = zero, e01 = zero, c02 = zero, e02 = zero, c03 = zero, e03 = zero;
        long q = q0;
        for (int i = 0; i < runs; i++) {
            if ((i & (SUPER_RUNS - 1)) == 0) {
                heads(m, q, dn, dOff);
                q += HEAD;
            }
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE);
            q += QUAD_RUN;
            int x = xOff + 2 * i;
            FloatVector l0 = ((FloatVector) v.and(0xF).convert(I2F, 0)), h0 = ((FloatVector) v.and(0xF0).convert(I2F, 0));
            FloatVector l1 = ((FloatVector) v.and(0xF00).convert(I2F, 0)), h1 = ((FloatVector) v.and(0xF000).convert(I2F, 0));
            FloatVector l2 = ((FloatVector) v.and(0xF0000).convert(I2F, 0)), h2 = ((FloatVector) v.and(0xF00000).convert(I2F, 0));
            FloatVector l3 = ((FloatVector) v.and(0xF000000).convert(I2F, 0)), h3 = ((FloatVector) v.lanewise(LSHR, 28).convert(I2F, 0));
            FloatVector xv = FloatVector.broadcast(F, xp[x]);
            c00 = l0.fma(xv, c00);
            c01 = l1.fma(xv, c01);
            c02 = l2.fma(xv, c02);
            c03 = l3.fma(xv, c03);
            xv = FloatVector.broadcast(F, xp[x + 1]);
            e00 = h0.fma(xv, e00);
            e01 = h1.fma(xv, e01);
            e02 = h2.fma(xv, e02);
            e03 = h3.fma(xv, e03);
            if ((i & (HALF - 1)) == HALF - 1) {
                IntVector p = IntVector.fromMemorySegment(I, m, q, LE), r = IntVector.fromMemorySegment(I, m, q + 4 * L, LE);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + (i >> 4)]);
                FloatVector s0 = ((FloatVector) p.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff));
                FloatVector u0 = ((FloatVector) p.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + L));
                a00 = u0.fma(y0, c00.add(e00.mul(0x1p-4f)).fma(s0, a00));
                FloatVector s1 = ((FloatVector) p.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + 2 * L));
                FloatVector u1 = ((FloatVector) p.lanewise(LSHR, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + 3 * L));
                a01 = u1.fma(y0, c01.mul(0x1p-8f).add(e01.mul(0x1p-12f)).fma(s1, a01));
                FloatVector s2 = ((FloatVector) r.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + 4 * L));
                FloatVector u2 = ((FloatVector) r.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + 5 * L));
                a02 = u2.fma(y0, c02.mul(0x1p-16f).add(e02.mul(0x1p-20f)).fma(s2, a02));
                FloatVector s3 = ((FloatVector) r.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + 6 * L));
                FloatVector u3 = ((FloatVector) r.lanewise(LSHR, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, dOff + 7 * L));
                a03 = u3.fma(y0, c03.mul(0x1p-24f).add(e03).fma(s3, a03));
                c00 = zero;
                e00 = zero;
                c01 = zero;
                e01 = zero;
                c02 = zero;
                e02 = zero;
                c03 = zero;
                e03 = zero;
                q += FACTS;
            }
        }
        a00.intoArray(s, sOff);
        a01.intoArray(s, sOff + L);
        a02.intoArray(s, sOff + 2 * L);
        a03.intoArray(s, sOff + 3 * L);
    }

    /**
     * A quad's super-block head at {@code h} into {@code dn[dOff]} on: group k's F32 {@code d} at {@code 2·L·k}, its
     * {@code dmin} L on (the F16 values exactly, {@link Widen#f16}'s way). Kept in memory, not registers: with them in
     * registers {@link #four}'s loop ran from cache at 0.74× the speed (spills).
     */
    private static void heads(MemorySegment m, long h, float[] dn, int dOff) {
        for (int k = 0; k < QUAD; k++) {
            IntVector v = IntVector.fromMemorySegment(I, m, h + 4L * L * k, LE);
            v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).intoArray(dn, dOff + 2 * L * k);
            v.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).intoArray(dn, dOff + 2 * L * k + L);
        }
    }
}
