package io.backstop.bench.intdot;

import static io.backstop.bench.intdot.Shapes.B128;
import static io.backstop.bench.intdot.Shapes.B256;
import static io.backstop.bench.intdot.Shapes.BLOCK;
import static io.backstop.bench.intdot.Shapes.F;
import static io.backstop.bench.intdot.Shapes.F64;
import static io.backstop.bench.intdot.Shapes.FLOAT_LE;
import static io.backstop.bench.intdot.Shapes.I512;
import static io.backstop.bench.intdot.Shapes.LE;
import static io.backstop.bench.intdot.Shapes.S512;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Q4_0 kernels of the experiment, two rows per pass over the engine's repacked layout (per row pair and block:
 * row 0's 16 bytes, row 1's 16 bytes, their two F32 scales; byte j holds value j in its low nibble and value
 * 16 + j in its high one; value = d·(q − 8)), writing {@code out[o]} and {@code out[o + 1]}.
 */
final class Q4Kernels {
    /** Lanes 0–7 from lane 0, 8–15 from lane 1: each row's scale over its half of the sums. */
    private static final VectorShuffle<Float> HALVES = VectorShuffle.fromOp(F, i -> i < 8 ? 0 : 1);
    private static final VectorMask<Float> LOW8 = VectorMask.fromLong(F, 0xFFL);

    private Q4Kernels() {}

    /** The engine's float kernel (AVX-512: one vector per half block; −8·Σx folded into the start of the sum). */
    static void floatTwoRows(MemorySegment m, long q, long d, long st, int blocks, float[] x, int xOff, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector xl = FloatVector.fromArray(F, x, xo), xh = FloatVector.fromArray(F, x, xo + 16);
            FloatVector m8 = xl.add(xh).mul(-8f);
            IntVector w0 = u8(m, p), w1 = u8(m, p + 16);
            FloatVector s0 = hi(w0).fma(xh, lo(w0).fma(xl, m8));
            FloatVector s1 = hi(w1).fma(xh, lo(w1).fma(xl, m8));
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), a1);
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
    }

    /** {@link #floatTwoRows} over the same layout in a heap byte[], scales from a float[] ([pair][block][2]). */
    static void heapTwoRows(byte[] m, float[] sc, int q, int so, int st, int blocks, float[] x, int xOff, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            int p = q + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector xl = FloatVector.fromArray(F, x, xo), xh = FloatVector.fromArray(F, x, xo + 16);
            FloatVector m8 = xl.add(xh).mul(-8f);
            IntVector w0 = u8(m, p), w1 = u8(m, p + 16);
            FloatVector s0 = hi(w0).fma(xh, lo(w0).fma(xl, m8));
            FloatVector s1 = hi(w1).fma(xh, lo(w1).fma(xl, m8));
            a0 = s0.fma(FloatVector.broadcast(F, sc[so + 2 * b]), a0);
            a1 = s1.fma(FloatVector.broadcast(F, sc[so + 2 * b + 1]), a1);
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Float kernel reading {@link Activations#fold}: a byte w = lo + 16·hi contributes w·x_lo + hi·(x_hi − 16·x_lo),
     * so no mask and no per-row −8·Σx (both prepared once per product), at the cost of a third load.
     */
    static void foldTwoRows(MemorySegment m, long q, long d, long st, int blocks, float[] f, int fOff, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int fo = fOff + b * 3 * BLOCK;
            FloatVector xl = FloatVector.fromArray(F, f, fo), xh = FloatVector.fromArray(F, f, fo + 16), m8 = FloatVector.fromArray(F, f, fo + 32);
            IntVector w0 = u8(m, p), w1 = u8(m, p + 16);
            FloatVector s0 = hi(w0).fma(xh, toFloat(w0).fma(xl, m8));
            FloatVector s1 = hi(w1).fma(xh, toFloat(w1).fma(xl, m8));
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), a1);
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Integer kernel: both rows' 16 bytes in one 32-lane short vector (row 0 in lanes 0–15, row 1 in 16–31),
     * nibbles masked and shifted, multiplied by the Q8 activations ({@link Activations#q4}: each lane is
     * (lo − 8)·x_lo + (hi − 8)·x_hi, |·| ≤ 2032), pairs summed into 16 int lanes (8 per row), converted and
     * scaled by [dw0·dx ×8, dw1·dx ×8].
     */
    static void intTwoRows(MemorySegment m, long q, long d, long st, int blocks, Activations a, int t, float[] out, int o) {
        FloatVector acc = FloatVector.zero(F);
        short[] qx = a.q4;
        float[] xd = a.q8Scale;
        int xOff = t * blocks * 3 * BLOCK, dOff = t * blocks;
        for (int b = 0; b < blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * 3 * BLOCK;
            ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B256, m, p, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S512, 0);
            ShortVector prod = w.and((short) 15).mul(ShortVector.fromArray(S512, qx, xo))
                    .add(w.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S512, qx, xo + BLOCK)))
                    .add(ShortVector.fromArray(S512, qx, xo + 2 * BLOCK));
            FloatVector dw = ((FloatVector) FloatVector.fromMemorySegment(F64, m, ps, LE).reinterpretShape(F, 0)).rearrange(HALVES);
            acc = ((FloatVector) Q8Kernels.pairs(prod).convert(VectorOperators.I2F, 0)).fma(dw.mul(xd[dOff + b]), acc);
        }
        out[o] = acc.reduceLanes(VectorOperators.ADD, LOW8);
        out[o + 1] = acc.reduceLanes(VectorOperators.ADD, LOW8.not());
    }

    private static IntVector u8(MemorySegment m, long p) {
        return (IntVector) ByteVector.fromMemorySegment(B128, m, p, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0);
    }

    private static IntVector u8(byte[] m, int p) {
        return (IntVector) ByteVector.fromArray(B128, m, p).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0);
    }

    private static FloatVector toFloat(IntVector w) {
        return (FloatVector) w.convert(VectorOperators.I2F, 0);
    }

    private static FloatVector lo(IntVector w) {
        return toFloat(w.and(15));
    }

    private static FloatVector hi(IntVector w) {
        return toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }
}
