package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Widen.hi;
import static io.backstop.engine.backend.gguf.tensor.Widen.lo;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * {@link Q4_KLanes}' layout (below) and its kernels for one group of L rows at a time: a group a row range covers in
 * part, or the odd one at its end. The kernels for two and four groups are in {@link Q4_KLaneKernels}; both follow
 * the rules of that class's comment. The kernels are static, taking the layout's fields as arguments, as
 * {@link Q4_0QuadKernels}' are (the instance form ran slower on C2).
 *
 * <p>Layout: first the runs, per group of L rows, per sub-block of 32 columns (8 per super-block) 16 runs of L bytes,
 * all end to end (run j of a sub-block holds byte j of each row of the group, value j of the sub-block in its low
 * nibble, value 16 + j in its high one: Q4_0's order); then the factors, per super-block and, within it, per group
 * ({@link #SUPER_FACTOR_BYTES} each): the L rows' 6-bit scales of its 8 sub-blocks as bytes, then their 6-bit mins,
 * then the rows' F16 {@code d} and F16 {@code dmin}, as in the file (148 bytes per row and super-block against the
 * file's 144). A pass over some groups forms their F32 {@code d·scale} and {@code dmin·min} into the scratch, for a
 * lone token one super-block ahead of its kernels ({@link Q4_KLanes#form}; the float products, as
 * {@link Q4_KTensor#dequantizeRow} takes them, so the same bits), which read them where a sub-block ends: a pass's
 * groups' factors for one super-block lie side by side, one short read. Storing the products as F32 (0.75 bytes per weight) read a third
 * more bytes than the file, and a lone token is bound by reading them (README, "Q4_K decode: the file's scales").
 *
 * <p>The one-sequence copy ({@link #quads}) holds the same bytes otherwise: quad after quad (four groups), per
 * super-block its head of F16 {@code d} and {@code dmin}, then per sub-block its runs and its scales and mins, a run
 * four columns of a quad's rows in 16-bit lanes for its 8-bit-activation kernels (the layout and why:
 * {@link Q4_KQuadKernels}).
 */
abstract sealed class Q4_KLaneLayout permits Q4_KLaneKernels {
    static final int BLOCK = 256;
    static final int SUB = 32;
    static final int SUBS = BLOCK / SUB;
    static final int HALF = 16;
    /** Runs of one super-block of a group: a kernel call's trip count. */
    static final int SUPER_RUNS = SUBS * HALF;
    /** Bytes of one sub-block's runs. */
    static final long RUNS = 16L * L;
    /** Bytes of one group's factors for one super-block: L scales and L mins per sub-block, then L F16 {@code d}, L F16 {@code dmin}. */
    static final long SUPER_FACTOR_BYTES = SUBS * 2L * L + 4L * L;
    /** Floats of one group's formed factors for one super-block in the scratch: per sub-block L {@code d·scale}, then L {@code dmin·min}. */
    static final int GROUP_FACTORS = SUBS * 2 * L;
    /** Floats of one super-block's formed factors for a pass of up to four groups. */
    static final int SLOT = 4 * GROUP_FACTORS;

    /** The runs, group after group, then the factors, super-block after super-block; or in quads, quad after quad. */
    final MemorySegment packed;
    final int supers;
    /** Groups laid out: a multiple of four in quads. */
    final int groups;
    /** Bytes of one group's runs: {@link #RUNS} per sub-block. */
    final long groupBytes;
    /** Where the batch copy's factors start: group g's for super-block s at {@code factors + (s·groups + g)·SUPER_FACTOR_BYTES}. */
    final long factors;
    /** Whether the runs lie in quads ({@link DecodeLayout#ONE_SEQUENCE}, {@link Q4_KQuadKernels}); otherwise each group's runs lie end to end. */
    final boolean quads;

    Q4_KLaneLayout(MemorySegment packed, int groups, int supers, boolean quads) {
        this.packed = packed;
        this.supers = supers;
        this.groups = groups;
        this.quads = quads;
        this.groupBytes = supers * SUBS * RUNS;
        this.factors = groups * groupBytes;
    }

    /** Bytes of the copy of {@code groups} groups of {@code supers} super-blocks. */
    static long bytes(int groups, int supers) {
        return (long) groups * supers * (SUBS * RUNS + SUPER_FACTOR_BYTES);
    }

    /** In the batch copy, offset in {@link #packed} of group {@code group}'s factors for super-block {@code s}. */
    long factorsOf(int group, int s) {
        return factors + ((long) s * groups + group) * SUPER_FACTOR_BYTES;
    }

    /** In the batch copy, offset in {@link #packed} of group {@code group}'s first run of super-block {@code s}. */
    long runsOf(int group, int s) {
        return group * groupBytes + (long) s * SUPER_RUNS * L;
    }

    /** In quads, where the quad of {@code group} has super-block {@code s} ({@link Q4_KQuadKernels#SUPER_BYTES} each). */
    long quadSuper(int group, int s) {
        return ((long) (group >> 2) * supers + s) * Q4_KQuadKernels.SUPER_BYTES;
    }

    /**
     * Offset of the byte of row {@code lane} of group {@code group} holding the weights of columns j (low nibble) and
     * 16 + j (high nibble) of sub-block {@code sb} of super-block {@code s}.
     */
    long runByte(int group, int s, int sb, int lane, int j) {
        if (quads) return Q4_KQuadKernels.byteOf(quadSuper(group, s) + Q4_KQuadKernels.HEAD + sb * Q4_KQuadKernels.SUB_BYTES, group & 3, lane, j);
        return runsOf(group, s) + ((long) sb * HALF + j) * L + lane;
    }

    /** Offset of the 6-bit scale of sub-block {@code sb} of super-block {@code s}, row {@code lane} of group {@code group} (its min at {@link #minOf}). */
    long scaleOf(int group, int s, int sb, int lane) {
        if (quads) return quadSuper(group, s) + Q4_KQuadKernels.HEAD + (sb + 1) * Q4_KQuadKernels.SUB_BYTES - Q4_KQuadKernels.FACTS + (group & 2) * 2L * L + 4L * lane + (group & 1) * 2L;
        return factorsOf(group, s) + (long) sb * L + lane;
    }

    long minOf(int group, int s, int sb, int lane) {
        return scaleOf(group, s, sb, lane) + (quads ? 1 : SUBS * (long) L);
    }

    /** Offset of the F16 {@code d} of super-block {@code s}, row {@code lane} of group {@code group} (its {@code dmin} at {@link #dminOf}). */
    long dOf(int group, int s, int lane) {
        if (quads) return quadSuper(group, s) + (group & 3) * 4L * L + 4L * lane;
        return factorsOf(group, s) + SUBS * 2L * L + 2L * lane;
    }

    long dminOf(int group, int s, int lane) {
        return dOf(group, s, lane) + (quads ? 2 : 2L * L);
    }

    /** One group times one token, one super-block: a group a row range covers in part, or the odd one at its end. */
    static void one(MemorySegment packed, long q0, float[] xp, int xOff, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = FloatVector.fromArray(F, s, sOff);
        FloatVector c00 = zero, e00 = zero;
        for (int i = 0; i < SUPER_RUNS; i++) {
            long q = q0 + (long) i * L;
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

    /** One group times two tokens, a whole row. */
    static void two(MemorySegment packed, long q0, int supers, float[] xp, int xOff, int cols, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, subs = supers * SUBS;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a10 = zero;
        FloatVector c00 = zero, e00 = zero, c10 = zero, e10 = zero;
        for (int i = 0; i < runs; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q);
            FloatVector l0 = lo(w0), h0 = hi(w0);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c00 = l0.fma(xv, c00);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            e00 = h0.fma(xv, e00);
            xv = FloatVector.broadcast(F, xp[k + cols]);
            c10 = l0.fma(xv, c10);
            xv = FloatVector.broadcast(F, xp[k + cols + 1]);
            e10 = h0.fma(xv, e10);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + (b >> 3) * SLOT + (b & 7) * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                FloatVector y1 = FloatVector.broadcast(F, nx[nOff + b + subs]);
                a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
                c00 = zero;
                e00 = zero;
                c10 = zero;
                e10 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a10.intoArray(s, sOff + L);
    }

    /** One group times four tokens, a whole row. */
    static void four(MemorySegment packed, long q0, int supers, float[] xp, int xOff, int cols, float[] nx, int fOff, int nOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, subs = supers * SUBS;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a10 = zero, a20 = zero, a30 = zero;
        FloatVector c00 = zero, e00 = zero, c10 = zero, e10 = zero, c20 = zero, e20 = zero, c30 = zero, e30 = zero;
        for (int i = 0; i < runs; i++) {
            long q = q0 + (long) i * L;
            int k = xOff + 2 * i;
            IntVector w0 = Widen.u8(m, q);
            FloatVector l0 = lo(w0), h0 = hi(w0);
            FloatVector xv = FloatVector.broadcast(F, xp[k]);
            c00 = l0.fma(xv, c00);
            xv = FloatVector.broadcast(F, xp[k + 1]);
            e00 = h0.fma(xv, e00);
            xv = FloatVector.broadcast(F, xp[k + cols]);
            c10 = l0.fma(xv, c10);
            xv = FloatVector.broadcast(F, xp[k + cols + 1]);
            e10 = h0.fma(xv, e10);
            xv = FloatVector.broadcast(F, xp[k + 2 * cols]);
            c20 = l0.fma(xv, c20);
            xv = FloatVector.broadcast(F, xp[k + 2 * cols + 1]);
            e20 = h0.fma(xv, e20);
            xv = FloatVector.broadcast(F, xp[k + 3 * cols]);
            c30 = l0.fma(xv, c30);
            xv = FloatVector.broadcast(F, xp[k + 3 * cols + 1]);
            e30 = h0.fma(xv, e30);
            if ((i & (HALF - 1)) == HALF - 1) {
                int b = i >> 4;
                int fb = fOff + (b >> 3) * SLOT + (b & 7) * 2 * L;
                FloatVector s0 = FloatVector.fromArray(F, nx, fb);
                FloatVector u0 = FloatVector.fromArray(F, nx, fb + L);
                FloatVector y0 = FloatVector.broadcast(F, nx[nOff + b]);
                a00 = u0.fma(y0, c00.add(e00).fma(s0, a00));
                FloatVector y1 = FloatVector.broadcast(F, nx[nOff + b + subs]);
                a10 = u0.fma(y1, c10.add(e10).fma(s0, a10));
                FloatVector y2 = FloatVector.broadcast(F, nx[nOff + b + 2 * subs]);
                a20 = u0.fma(y2, c20.add(e20).fma(s0, a20));
                FloatVector y3 = FloatVector.broadcast(F, nx[nOff + b + 3 * subs]);
                a30 = u0.fma(y3, c30.add(e30).fma(s0, a30));
                c00 = zero;
                e00 = zero;
                c10 = zero;
                e10 = zero;
                c20 = zero;
                e20 = zero;
                c30 = zero;
                e30 = zero;
            }
        }
        a00.intoArray(s, sOff);
        a10.intoArray(s, sOff + L);
        a20.intoArray(s, sOff + 2 * L);
        a30.intoArray(s, sOff + 3 * L);
    }

}
