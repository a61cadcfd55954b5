package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.hi;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.lo;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * {@link Q4_KLanes}' layout (below) and its kernels for one group of L rows at a time: a group a row range covers in
 * part, or the odd one at its end. The kernels for two and four groups are in {@link Q4_KLaneKernels}; both follow
 * the rules of that class's comment. The kernels are static, taking the layout's fields as arguments, as
 * {@link Q4_0LaneKernels}' are (the instance form ran slower on C2).
 *
 * <p>Layout, per group of L rows: per sub-block of 32 columns (8 per super-block) 16 runs of L bytes, all end to end
 * (run j of a sub-block holds byte j of each row of the group, value j of the sub-block in its low nibble, value
 * 16 + j in its high one: Q4_0's order), then per sub-block the L rows' 6-bit scales and their 6-bit mins as
 * bytes, then per super-block the L rows' F16 {@code d} and their F16 {@code dmin}, as in the file. Each
 * pass of groups forms their F32 {@code d·scale} and {@code dmin·min} into the scratch ({@link Q4_KLanes#factors}; the
 * float products, as {@link Q4_KTensor#dequantizeRow} takes them, so the same bits), which the kernels load where a
 * sub-block ends: 148 bytes per row and super-block against the file's 144. Storing the products as F32 (0.75 bytes
 * per weight) read a third more bytes than the file, and a lone token is bound by reading them (README, "Q4_K
 * decode: the file's scales").
 */
abstract sealed class Q4_KLaneLayout permits Q4_KLaneKernels {
    static final int BLOCK = 256;
    static final int SUB = 32;
    static final int SUBS = BLOCK / SUB;
    static final int HALF = 16;
    /** Bytes of one sub-block's runs. */
    static final long RUNS = 16L * L;
    /** Bytes of one sub-block's factors: L scales, then L mins, one byte each. */
    static final long FACTORS = 2L * L;
    /** Bytes of one super-block's L F16 {@code d}, then L F16 {@code dmin}, after all sub-blocks' factors. */
    static final long SUPER_FACTORS = 4L * L;

    /** Per group of L rows, its runs end to end, then its factors; groups one after another. */
    final MemorySegment packed;
    final int supers;
    /** Bytes of one group: {@link #RUNS} + {@link #FACTORS} per sub-block, {@link #SUPER_FACTORS} per super-block. */
    final long groupBytes;
    /**
     * Where a group's factors start within it: sub-block b's at {@code g·groupBytes + factors + FACTORS·b}, super-block
     * s's at {@code g·groupBytes + factors + FACTORS·subs + SUPER_FACTORS·s}.
     */
    final long factors;

    Q4_KLaneLayout(MemorySegment packed, int supers) {
        this.packed = packed;
        this.supers = supers;
        this.factors = supers * SUBS * RUNS;
        this.groupBytes = supers * (SUBS * (RUNS + FACTORS) + SUPER_FACTORS);
    }

    /** Offset in {@link #packed} of group {@code group}'s L F16 {@code d} of super-block {@code s} (their {@code dmin} 2·L bytes on). */
    long superFactors(int group, int s) {
        return group * groupBytes + factors + FACTORS * supers * SUBS + SUPER_FACTORS * s;
    }

    /** One group times one token: a group a row range covers in part. */
    static void one(MemorySegment packed, int fOff, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero;
        FloatVector c00 = zero, e00 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
        a00.intoArray(s, 0 * L);
    }

    /** One group times two tokens. */
    static void two(MemorySegment packed, int fOff, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a10 = zero;
        FloatVector c00 = zero, e00 = zero, c10 = zero, e10 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                int fb = fOff + b * 2 * L;
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
        a00.intoArray(s, 0 * L);
        a10.intoArray(s, 1 * L);
    }

    /** One group times four tokens. */
    static void four(MemorySegment packed, int fOff, int supers, long groupBytes, int gr, float[] xp, int xOff, int cols, float[] nx, int nOff, float[] s) {
        MemorySegment m = packed;
        int runs = supers * SUBS * HALF, subs = supers * SUBS;
        long base = gr * groupBytes;
        FloatVector zero = FloatVector.zero(F), a00 = zero, a10 = zero, a20 = zero, a30 = zero;
        FloatVector c00 = zero, e00 = zero, c10 = zero, e10 = zero, c20 = zero, e20 = zero, c30 = zero, e30 = zero;
        for (int i = 0; i < runs; i++) {
            long q = base + (long) i * L;
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
                int fb = fOff + b * 2 * L;
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
        a00.intoArray(s, 0 * L);
        a10.intoArray(s, 1 * L);
        a20.intoArray(s, 2 * L);
        a30.intoArray(s, 3 * L);
    }
}
