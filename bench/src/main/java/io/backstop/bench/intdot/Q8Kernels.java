package io.backstop.bench.intdot;

import static io.backstop.bench.intdot.Shapes.B128;
import static io.backstop.bench.intdot.Shapes.B256;
import static io.backstop.bench.intdot.Shapes.BLOCK;
import static io.backstop.bench.intdot.Shapes.F;
import static io.backstop.bench.intdot.Shapes.FLOAT_LE;
import static io.backstop.bench.intdot.Shapes.I512;
import static io.backstop.bench.intdot.Shapes.L;
import static io.backstop.bench.intdot.Shapes.LE;
import static io.backstop.bench.intdot.Shapes.S512;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0 kernels of the experiment, two rows per pass over the engine's repacked layout (per row pair and block:
 * row 0's 32 bytes, row 1's 32 bytes, their two F32 scales; {@code st} bytes per block), writing
 * {@code out[o]} and {@code out[o + 1]}.
 */
final class Q8Kernels {
    private Q8Kernels() {}

    /** The engine's float kernel: bytes widened to floats, FMA against F32 activations. */
    static void floatTwoRows(MemorySegment m, long q, long d, long st, int blocks, float[] x, int xOff, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector x0 = FloatVector.fromArray(F, x, xo);
            FloatVector s0 = s8(m, p).mul(x0), s1 = s8(m, p + BLOCK).mul(x0);
            FloatVector xk = FloatVector.fromArray(F, x, xo + L);
            s0 = s8(m, p + L).fma(xk, s0);
            s1 = s8(m, p + BLOCK + L).fma(xk, s1);
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
            FloatVector x0 = FloatVector.fromArray(F, x, xo);
            FloatVector s0 = s8(m, p).mul(x0), s1 = s8(m, p + BLOCK).mul(x0);
            FloatVector xk = FloatVector.fromArray(F, x, xo + L);
            s0 = s8(m, p + L).fma(xk, s0);
            s1 = s8(m, p + BLOCK + L).fma(xk, s1);
            a0 = s0.fma(FloatVector.broadcast(F, sc[so + 2 * b]), a0);
            a1 = s1.fma(FloatVector.broadcast(F, sc[so + 2 * b + 1]), a1);
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Integer kernel: 32 weight bytes widened to shorts (one vpmovsxbw), multiplied by the block's Q8 activations
     * (shorts, prepared once per product), the products' pairs summed into ints ({@link #pairs}), converted and
     * scaled by dw·dx. A short holds one product (|q| ≤ 127 on both sides: ≤ 16129), not a block's sum.
     */
    static void intTwoRows(MemorySegment m, long q, long d, long st, int blocks, Activations a, int t, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        short[] xs = a.q8;
        float[] xd = a.q8Scale;
        int xOff = t * a.cols, dOff = t * blocks;
        for (int b = 0; b < blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            ShortVector xv = ShortVector.fromArray(S512, xs, xOff + b * BLOCK);
            IntVector s0 = pairs(w16(m, p).mul(xv)), s1 = pairs(w16(m, p + BLOCK).mul(xv));
            float dx = xd[dOff + b];
            a0 = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps) * dx), a0);
            a1 = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4) * dx), a1);
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Sums of adjacent 16-bit lanes as 32-bit lanes. An int lane is hi·2^16 + lo (lo unsigned); adding it shifted
     * left by 16 puts (hi + lo) mod 2^16 in the upper half, and a sum of two int8 products (|·| ≤ 32258) fits a
     * signed short, so the arithmetic shift right by 16 gives it exactly: 3 instructions. (Measured no faster:
     * the same as a multiply by 2^16 + 1, and both halves converted with S2I and added.)
     */
    static IntVector pairs(ShortVector p) {
        IntVector v = p.reinterpretAsInts();
        return v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }

    /**
     * Plain Java for C2's SuperWord: tmp[i] = w[2i]·x[2i] + w[2i+1]·x[2i+1] over a whole row (the MulAddS2I
     * shape, vpmaddwd/vpdpwssd when vectorised), weights as shorts.
     */
    static void pairSums(short[] w, int wOff, short[] xs, int xOff, int[] tmp) {
        for (int i = 0; i < tmp.length; i++) tmp[i] = w[wOff + 2 * i] * xs[xOff + 2 * i] + w[wOff + 2 * i + 1] * xs[xOff + 2 * i + 1];
    }

    /** {@link #pairSums} with byte weights. */
    static void pairSums(byte[] w, int wOff, short[] xs, int xOff, int[] tmp) {
        for (int i = 0; i < tmp.length; i++) tmp[i] = w[wOff + 2 * i] * xs[xOff + 2 * i] + w[wOff + 2 * i + 1] * xs[xOff + 2 * i + 1];
    }

    /** After {@link #pairSums}: Σ_b (Σ of block b's 16 pair sums)·dw_b·dx_b. */
    static float scaleSums(int[] tmp, float[] sc, int sOff, float[] xd, int dOff, int blocks) {
        FloatVector a = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            FloatVector s = (FloatVector) IntVector.fromArray(I512, tmp, b * L).convert(VectorOperators.I2F, 0);
            a = s.fma(FloatVector.broadcast(F, sc[sOff + b] * xd[dOff + b]), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    static FloatVector s8(MemorySegment m, long p) {
        return (FloatVector) ByteVector.fromMemorySegment(B128, m, p, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector s8(byte[] m, int p) {
        return (FloatVector) ByteVector.fromArray(B128, m, p).convertShape(VectorOperators.B2F, F, 0);
    }

    private static ShortVector w16(MemorySegment m, long p) {
        return (ShortVector) ByteVector.fromMemorySegment(B256, m, p, LE).convertShape(VectorOperators.B2S, S512, 0);
    }
}
