package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lone-token kernels of {@link Q4_0Lanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, 4-bit weights times 8-bit activations ({@link Q8Activations}) in 16-bit lanes, as
 * {@link Q4_KQuadKernels} (which says why). A quad's block b is {@link #BB} bytes: 8 runs ({@link #RUN}: per pair of
 * groups a vector of 2·L shorts, lane {@code 2·j} row j of the pair's first group, lane {@code 2·j + 1} of its second,
 * the weights of columns {@code 2i, 16 + 2i, 2i + 1, 17 + 2i} of run i in its nibbles, lowest first), then per pair
 * L ints, row j's F16 scale of the first group in the low half and of the second in the high one: 18 bytes per row and
 * block, the file's (the F32 scales of the float kernels read 20). So the kernel over a quad reads one sequential
 * stream. Per block and row: {@code acc = fma(float(Σ q·x₈) − 8·Σx₈, d·dₓ, acc)}, the two sums exact integers.
 *
 * <p>{@link Q4_0Lanes#dot} computes a row with the same integers and float operations, so the same bits. A prompt's
 * tokens take the float kernels at the end ({@code pairFloats}, {@link #quadFloats1}) over the same bytes. Every
 * kernel is written out for its shape, not looped over accumulators or built from helpers of ours: C2 keeps an array
 * of vectors in memory and boxes vectors passed to a method it does not inline (README, "What C2 made of the kernels").
 */
final class Q4_0QuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one pair's vector in a run: 2·L shorts. */
    static final long PAIR = 4L * L;
    /** Bytes of one run of a quad: its two pairs' vectors, four columns of the quad's rows. */
    static final long RUN = 2 * PAIR;
    /** Runs per block (32 columns, four per run). */
    static final int BLOCK_RUNS = 8;
    /** Where a quad's block puts its groups' scales: after its runs. */
    static final long SCALES = BLOCK_RUNS * RUN;
    /** Bytes of one block of a quad: its runs and its groups' F16 scales. */
    static final long BB = SCALES + 2 * 4L * L;
    /** Shorts filling a vector: two groups' rows. */
    static final VectorSpecies<Short> S2 = F.withLanes(short.class);
    /** The sign, exponent and mantissa of an F16 moved into an F32's places ({@link Widen#f16}). */
    private static final int F16_BITS = 0x8FFFE000;

    private Q4_0QuadKernels() {}

    /** The byte of row {@code lane} of group {@code k} (0 to 3) of a quad's block at {@code block} holding columns j and 16 + j (low and high nibble). */
    static long byteOf(long block, int k, int lane, int j) {
        return block + (j >> 1) * RUN + (k >> 1) * PAIR + 2L * (2 * lane + (k & 1)) + (j & 1);
    }

    /** The F16 scale of row {@code lane} of group {@code k} of a quad's block at {@code block}. */
    static long scaleOf(long block, int k, int lane) {
        return block + SCALES + (k >> 1) * 4L * L + 4L * lane + 2L * (k & 1);
    }

    /** A pair's L F16 scales (L ints at a block's scales) as F32, the first group's ({@code half} 0) or the second's, exactly. */
    static FloatVector scales(IntVector f, int half) {
        IntVector v = half == 0 ? f.lanewise(LSHL, 16) : f;
        return v.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
    }

    /**
     * Pair {@code p} (groups 2p and 2p + 1) of the quad whose block 0 is at {@code base} times one token: sums into
     * {@code s[0 .. 2L)}. {@code xq[xOff]}: the token's activations interleaved and quantized, {@code xd[dOff]}: their
     * scales, {@code m8[mOff]}: −8·Σx₈ per block.
     */
    static void pair(MemorySegment packed, int blocks, long base, int p, float[] xq, int xOff, float[] xd, int dOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        int runs = blocks * BLOCK_RUNS;
        long pv = p * PAIR, sp = SCALES + 4L * L * p - RUN * BLOCK_RUNS;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        ShortVector none = ShortVector.zero(S2), c0 = none, e0 = none;
        long q = base;
        for (int i = 0; i < runs; i++) {
            ShortVector v = ShortVector.fromMemorySegment(S2, m, q + pv, LE);
            q += RUN;
            int x = xOff + 4 * i;
            ShortVector x0 = FloatVector.broadcast(F, xq[x]).reinterpretAsShorts(), x1 = FloatVector.broadcast(F, xq[x + 1]).reinterpretAsShorts();
            ShortVector x2 = FloatVector.broadcast(F, xq[x + 2]).reinterpretAsShorts(), x3 = FloatVector.broadcast(F, xq[x + 3]).reinterpretAsShorts();
            c0 = c0.add(v.and((short) 15).mul(x0)).add(v.lanewise(LSHR, 8).and((short) 15).mul(x2));
            e0 = e0.add(v.lanewise(LSHR, 4).and((short) 15).mul(x1)).add(v.lanewise(LSHR, 12).mul(x3));
            if ((i & (BLOCK_RUNS - 1)) == BLOCK_RUNS - 1) {
                int b = i / BLOCK_RUNS;
                float db = xd[dOff + b];
                FloatVector m8b = FloatVector.broadcast(F, m8[mOff + b]);
                IntVector f = IntVector.fromMemorySegment(I, m, q + sp, LE);
                IntVector ci = c0.reinterpretAsInts(), ei = e0.reinterpretAsInts();
                IntVector g0 = ci.lanewise(LSHL, 16).lanewise(ASHR, 16).add(ei.lanewise(LSHL, 16).lanewise(ASHR, 16)), g1 = ci.lanewise(ASHR, 16).add(ei.lanewise(ASHR, 16));
                FloatVector d0 = f.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).mul(db);
                FloatVector d1 = f.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).mul(db);
                a0 = ((FloatVector) g0.convert(I2F, 0)).add(m8b).fma(d0, a0);
                a1 = ((FloatVector) g1.convert(I2F, 0)).add(m8b).fma(d1, a1);
                c0 = none;
                e0 = none;
                q += BB - SCALES;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
    }

    /** The quad whose block 0 is at {@code base}, its four groups times one token: sums into {@code s[0 .. 4L)} ({@link #pair}'s arguments). */
    static void quad(MemorySegment packed, int blocks, long base, float[] xq, int xOff, float[] xd, int dOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        int runs = blocks * BLOCK_RUNS;
        long sp = SCALES - RUN * BLOCK_RUNS;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        ShortVector none = ShortVector.zero(S2), c0 = none, e0 = none, c1 = none, e1 = none;
        long q = base;
        for (int i = 0; i < runs; i++) {
            ShortVector v = ShortVector.fromMemorySegment(S2, m, q, LE), w = ShortVector.fromMemorySegment(S2, m, q + PAIR, LE);
            q += RUN;
            int x = xOff + 4 * i;
            ShortVector x0 = FloatVector.broadcast(F, xq[x]).reinterpretAsShorts(), x1 = FloatVector.broadcast(F, xq[x + 1]).reinterpretAsShorts();
            ShortVector x2 = FloatVector.broadcast(F, xq[x + 2]).reinterpretAsShorts(), x3 = FloatVector.broadcast(F, xq[x + 3]).reinterpretAsShorts();
            c0 = c0.add(v.and((short) 15).mul(x0)).add(v.lanewise(LSHR, 8).and((short) 15).mul(x2));
            e0 = e0.add(v.lanewise(LSHR, 4).and((short) 15).mul(x1)).add(v.lanewise(LSHR, 12).mul(x3));
            c1 = c1.add(w.and((short) 15).mul(x0)).add(w.lanewise(LSHR, 8).and((short) 15).mul(x2));
            e1 = e1.add(w.lanewise(LSHR, 4).and((short) 15).mul(x1)).add(w.lanewise(LSHR, 12).mul(x3));
            if ((i & (BLOCK_RUNS - 1)) == BLOCK_RUNS - 1) {
                int b = i / BLOCK_RUNS;
                float db = xd[dOff + b];
                FloatVector m8b = FloatVector.broadcast(F, m8[mOff + b]);
                IntVector f = IntVector.fromMemorySegment(I, m, q + sp, LE), r = IntVector.fromMemorySegment(I, m, q + sp + 4 * L, LE);
                IntVector ci = c0.reinterpretAsInts(), ei = e0.reinterpretAsInts();
                IntVector g0 = ci.lanewise(LSHL, 16).lanewise(ASHR, 16).add(ei.lanewise(LSHL, 16).lanewise(ASHR, 16)), g1 = ci.lanewise(ASHR, 16).add(ei.lanewise(ASHR, 16));
                FloatVector d0 = f.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).mul(db);
                FloatVector d1 = f.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).mul(db);
                a0 = ((FloatVector) g0.convert(I2F, 0)).add(m8b).fma(d0, a0);
                a1 = ((FloatVector) g1.convert(I2F, 0)).add(m8b).fma(d1, a1);
                ci = c1.reinterpretAsInts();
                ei = e1.reinterpretAsInts();
                g0 = ci.lanewise(LSHL, 16).lanewise(ASHR, 16).add(ei.lanewise(LSHL, 16).lanewise(ASHR, 16));
                g1 = ci.lanewise(ASHR, 16).add(ei.lanewise(ASHR, 16));
                d0 = r.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).mul(db);
                d1 = r.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE).mul(db);
                a2 = ((FloatVector) g0.convert(I2F, 0)).add(m8b).fma(d0, a2);
                a3 = ((FloatVector) g1.convert(I2F, 0)).add(m8b).fma(d1, a3);
                c0 = none;
                e0 = none;
                c1 = none;
                e1 = none;
                q += BB - SCALES;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }
    /**
     * Pair {@code p} of the quad whose block 0 is at {@code base} times 1 prompt token(s), in floats (a prompt's
     * products never round their activations: {@link WeightTensor#roundsActivations}): token t's activations
     * interleaved at {@code xp[xOff + t·cols]}, its −8·Σx per block at {@code m8[mOff + t·blocks]}; sums added into
     * {@code s[2·L·t ..]} (the pair's two groups). Per token, group and block two FMA chains over the block's columns
     * (a run's first and third column in one, its second and fourth in the other: half the depth of one chain), then
     * {@code acc = fma(c + e + m8, d, acc)}: the same operations in every such kernel.
     */
    static void pairFloats1(MemorySegment packed, int blocks, long base, int p, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        int runs = blocks * BLOCK_RUNS;
        long pv = p * PAIR, sp = SCALES + 4L * L * p - RUN * BLOCK_RUNS;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a0 = zero, c0 = zero, b0 = zero, e0 = zero;
        long q = base;
        for (int i = 0; i < runs; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, q + pv, LE);
            q += RUN;
            FloatVector f0 = (FloatVector) v.and(15).convert(I2F, 0), f1 = (FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0);
            FloatVector f2 = (FloatVector) v.lanewise(LSHR, 8).and(15).convert(I2F, 0), f3 = (FloatVector) v.lanewise(LSHR, 12).and(15).convert(I2F, 0);
            FloatVector g0 = (FloatVector) v.lanewise(LSHR, 16).and(15).convert(I2F, 0), g1 = (FloatVector) v.lanewise(LSHR, 20).and(15).convert(I2F, 0);
            FloatVector g2 = (FloatVector) v.lanewise(LSHR, 24).and(15).convert(I2F, 0), g3 = (FloatVector) v.lanewise(LSHR, 28).convert(I2F, 0);
            int x0 = xOff + 0 * cols + 4 * i;
            FloatVector y00 = FloatVector.broadcast(F, xp[x0]), y01 = FloatVector.broadcast(F, xp[x0 + 1]), y02 = FloatVector.broadcast(F, xp[x0 + 2]), y03 = FloatVector.broadcast(F, xp[x0 + 3]);
            a0 = f2.fma(y02, f0.fma(y00, a0));
            c0 = f3.fma(y03, f1.fma(y01, c0));
            b0 = g2.fma(y02, g0.fma(y00, b0));
            e0 = g3.fma(y03, g1.fma(y01, e0));
            if ((i & (BLOCK_RUNS - 1)) == BLOCK_RUNS - 1) {
                int b = i / BLOCK_RUNS;
                IntVector f = IntVector.fromMemorySegment(I, m, q + sp, LE);
                FloatVector d0 = f.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
                FloatVector d1 = f.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
                FloatVector m0 = FloatVector.broadcast(F, m8[mOff + 0 * blocks + b]);
                a0.add(c0).add(m0).fma(d0, FloatVector.fromArray(F, s, 0 * L)).intoArray(s, 0 * L);
                b0.add(e0).add(m0).fma(d1, FloatVector.fromArray(F, s, 1 * L)).intoArray(s, 1 * L);
                a0 = zero;
                c0 = zero;
                b0 = zero;
                e0 = zero;
                q += BB - SCALES;
            }
        }
    }

    /**
     * Pair {@code p} of the quad whose block 0 is at {@code base} times 2 prompt token(s), in floats (a prompt's
     * products never round their activations: {@link WeightTensor#roundsActivations}): token t's activations
     * interleaved at {@code xp[xOff + t·cols]}, its −8·Σx per block at {@code m8[mOff + t·blocks]}; sums added into
     * {@code s[2·L·t ..]} (the pair's two groups). Per token, group and block two FMA chains over the block's columns
     * (a run's first and third column in one, its second and fourth in the other: half the depth of one chain), then
     * {@code acc = fma(c + e + m8, d, acc)}: the same operations in every such kernel.
     */
    static void pairFloats2(MemorySegment packed, int blocks, long base, int p, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        int runs = blocks * BLOCK_RUNS;
        long pv = p * PAIR, sp = SCALES + 4L * L * p - RUN * BLOCK_RUNS;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a0 = zero, c0 = zero, b0 = zero, e0 = zero, a1 = zero, c1 = zero, b1 = zero, e1 = zero;
        long q = base;
        for (int i = 0; i < runs; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, q + pv, LE);
            q += RUN;
            FloatVector f0 = (FloatVector) v.and(15).convert(I2F, 0), f1 = (FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0);
            FloatVector f2 = (FloatVector) v.lanewise(LSHR, 8).and(15).convert(I2F, 0), f3 = (FloatVector) v.lanewise(LSHR, 12).and(15).convert(I2F, 0);
            FloatVector g0 = (FloatVector) v.lanewise(LSHR, 16).and(15).convert(I2F, 0), g1 = (FloatVector) v.lanewise(LSHR, 20).and(15).convert(I2F, 0);
            FloatVector g2 = (FloatVector) v.lanewise(LSHR, 24).and(15).convert(I2F, 0), g3 = (FloatVector) v.lanewise(LSHR, 28).convert(I2F, 0);
            int x0 = xOff + 0 * cols + 4 * i;
            FloatVector y00 = FloatVector.broadcast(F, xp[x0]), y01 = FloatVector.broadcast(F, xp[x0 + 1]), y02 = FloatVector.broadcast(F, xp[x0 + 2]), y03 = FloatVector.broadcast(F, xp[x0 + 3]);
            a0 = f2.fma(y02, f0.fma(y00, a0));
            c0 = f3.fma(y03, f1.fma(y01, c0));
            b0 = g2.fma(y02, g0.fma(y00, b0));
            e0 = g3.fma(y03, g1.fma(y01, e0));
            int x1 = xOff + 1 * cols + 4 * i;
            FloatVector y10 = FloatVector.broadcast(F, xp[x1]), y11 = FloatVector.broadcast(F, xp[x1 + 1]), y12 = FloatVector.broadcast(F, xp[x1 + 2]), y13 = FloatVector.broadcast(F, xp[x1 + 3]);
            a1 = f2.fma(y12, f0.fma(y10, a1));
            c1 = f3.fma(y13, f1.fma(y11, c1));
            b1 = g2.fma(y12, g0.fma(y10, b1));
            e1 = g3.fma(y13, g1.fma(y11, e1));
            if ((i & (BLOCK_RUNS - 1)) == BLOCK_RUNS - 1) {
                int b = i / BLOCK_RUNS;
                IntVector f = IntVector.fromMemorySegment(I, m, q + sp, LE);
                FloatVector d0 = f.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
                FloatVector d1 = f.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
                FloatVector m0 = FloatVector.broadcast(F, m8[mOff + 0 * blocks + b]);
                a0.add(c0).add(m0).fma(d0, FloatVector.fromArray(F, s, 0 * L)).intoArray(s, 0 * L);
                b0.add(e0).add(m0).fma(d1, FloatVector.fromArray(F, s, 1 * L)).intoArray(s, 1 * L);
                a0 = zero;
                c0 = zero;
                b0 = zero;
                e0 = zero;
                FloatVector m1 = FloatVector.broadcast(F, m8[mOff + 1 * blocks + b]);
                a1.add(c1).add(m1).fma(d0, FloatVector.fromArray(F, s, 2 * L)).intoArray(s, 2 * L);
                b1.add(e1).add(m1).fma(d1, FloatVector.fromArray(F, s, 3 * L)).intoArray(s, 3 * L);
                a1 = zero;
                c1 = zero;
                b1 = zero;
                e1 = zero;
                q += BB - SCALES;
            }
        }
    }

    /**
     * Pair {@code p} of the quad whose block 0 is at {@code base} times 4 prompt token(s), in floats (a prompt's
     * products never round their activations: {@link WeightTensor#roundsActivations}): token t's activations
     * interleaved at {@code xp[xOff + t·cols]}, its −8·Σx per block at {@code m8[mOff + t·blocks]}; sums added into
     * {@code s[2·L·t ..]} (the pair's two groups). Per token, group and block two FMA chains over the block's columns
     * (a run's first and third column in one, its second and fourth in the other: half the depth of one chain), then
     * {@code acc = fma(c + e + m8, d, acc)}: the same operations in every such kernel.
     */
    static void pairFloats4(MemorySegment packed, int blocks, long base, int p, float[] xp, int xOff, int cols, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        int runs = blocks * BLOCK_RUNS;
        long pv = p * PAIR, sp = SCALES + 4L * L * p - RUN * BLOCK_RUNS;
        FloatVector zero = FloatVector.zero(F);
        FloatVector a0 = zero, c0 = zero, b0 = zero, e0 = zero, a1 = zero, c1 = zero, b1 = zero, e1 = zero, a2 = zero, c2 = zero, b2 = zero, e2 = zero, a3 = zero, c3 = zero, b3 = zero, e3 = zero;
        long q = base;
        for (int i = 0; i < runs; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, q + pv, LE);
            q += RUN;
            FloatVector f0 = (FloatVector) v.and(15).convert(I2F, 0), f1 = (FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0);
            FloatVector f2 = (FloatVector) v.lanewise(LSHR, 8).and(15).convert(I2F, 0), f3 = (FloatVector) v.lanewise(LSHR, 12).and(15).convert(I2F, 0);
            FloatVector g0 = (FloatVector) v.lanewise(LSHR, 16).and(15).convert(I2F, 0), g1 = (FloatVector) v.lanewise(LSHR, 20).and(15).convert(I2F, 0);
            FloatVector g2 = (FloatVector) v.lanewise(LSHR, 24).and(15).convert(I2F, 0), g3 = (FloatVector) v.lanewise(LSHR, 28).convert(I2F, 0);
            int x0 = xOff + 0 * cols + 4 * i;
            FloatVector y00 = FloatVector.broadcast(F, xp[x0]), y01 = FloatVector.broadcast(F, xp[x0 + 1]), y02 = FloatVector.broadcast(F, xp[x0 + 2]), y03 = FloatVector.broadcast(F, xp[x0 + 3]);
            a0 = f2.fma(y02, f0.fma(y00, a0));
            c0 = f3.fma(y03, f1.fma(y01, c0));
            b0 = g2.fma(y02, g0.fma(y00, b0));
            e0 = g3.fma(y03, g1.fma(y01, e0));
            int x1 = xOff + 1 * cols + 4 * i;
            FloatVector y10 = FloatVector.broadcast(F, xp[x1]), y11 = FloatVector.broadcast(F, xp[x1 + 1]), y12 = FloatVector.broadcast(F, xp[x1 + 2]), y13 = FloatVector.broadcast(F, xp[x1 + 3]);
            a1 = f2.fma(y12, f0.fma(y10, a1));
            c1 = f3.fma(y13, f1.fma(y11, c1));
            b1 = g2.fma(y12, g0.fma(y10, b1));
            e1 = g3.fma(y13, g1.fma(y11, e1));
            int x2 = xOff + 2 * cols + 4 * i;
            FloatVector y20 = FloatVector.broadcast(F, xp[x2]), y21 = FloatVector.broadcast(F, xp[x2 + 1]), y22 = FloatVector.broadcast(F, xp[x2 + 2]), y23 = FloatVector.broadcast(F, xp[x2 + 3]);
            a2 = f2.fma(y22, f0.fma(y20, a2));
            c2 = f3.fma(y23, f1.fma(y21, c2));
            b2 = g2.fma(y22, g0.fma(y20, b2));
            e2 = g3.fma(y23, g1.fma(y21, e2));
            int x3 = xOff + 3 * cols + 4 * i;
            FloatVector y30 = FloatVector.broadcast(F, xp[x3]), y31 = FloatVector.broadcast(F, xp[x3 + 1]), y32 = FloatVector.broadcast(F, xp[x3 + 2]), y33 = FloatVector.broadcast(F, xp[x3 + 3]);
            a3 = f2.fma(y32, f0.fma(y30, a3));
            c3 = f3.fma(y33, f1.fma(y31, c3));
            b3 = g2.fma(y32, g0.fma(y30, b3));
            e3 = g3.fma(y33, g1.fma(y31, e3));
            if ((i & (BLOCK_RUNS - 1)) == BLOCK_RUNS - 1) {
                int b = i / BLOCK_RUNS;
                IntVector f = IntVector.fromMemorySegment(I, m, q + sp, LE);
                FloatVector d0 = f.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
                FloatVector d1 = f.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE);
                FloatVector m0 = FloatVector.broadcast(F, m8[mOff + 0 * blocks + b]);
                a0.add(c0).add(m0).fma(d0, FloatVector.fromArray(F, s, 0 * L)).intoArray(s, 0 * L);
                b0.add(e0).add(m0).fma(d1, FloatVector.fromArray(F, s, 1 * L)).intoArray(s, 1 * L);
                a0 = zero;
                c0 = zero;
                b0 = zero;
                e0 = zero;
                FloatVector m1 = FloatVector.broadcast(F, m8[mOff + 1 * blocks + b]);
                a1.add(c1).add(m1).fma(d0, FloatVector.fromArray(F, s, 2 * L)).intoArray(s, 2 * L);
                b1.add(e1).add(m1).fma(d1, FloatVector.fromArray(F, s, 3 * L)).intoArray(s, 3 * L);
                a1 = zero;
                c1 = zero;
                b1 = zero;
                e1 = zero;
                FloatVector m2 = FloatVector.broadcast(F, m8[mOff + 2 * blocks + b]);
                a2.add(c2).add(m2).fma(d0, FloatVector.fromArray(F, s, 4 * L)).intoArray(s, 4 * L);
                b2.add(e2).add(m2).fma(d1, FloatVector.fromArray(F, s, 5 * L)).intoArray(s, 5 * L);
                a2 = zero;
                c2 = zero;
                b2 = zero;
                e2 = zero;
                FloatVector m3 = FloatVector.broadcast(F, m8[mOff + 3 * blocks + b]);
                a3.add(c3).add(m3).fma(d0, FloatVector.fromArray(F, s, 6 * L)).intoArray(s, 6 * L);
                b3.add(e3).add(m3).fma(d1, FloatVector.fromArray(F, s, 7 * L)).intoArray(s, 7 * L);
                a3 = zero;
                c3 = zero;
                b3 = zero;
                e3 = zero;
                q += BB - SCALES;
            }
        }
    }

    /**
     * The quad whose block 0 is at {@code base}, its four groups times one prompt token in floats ({@link #pairFloats1}'s
     * arguments and operations per group, so the same bits): a lone token's eight independent chains where a pair has four.
     */
    static void quadFloats1(MemorySegment packed, int blocks, long base, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed;
        int runs = blocks * BLOCK_RUNS;
        long sp = SCALES - RUN * BLOCK_RUNS;
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero, c0 = zero, c1 = zero, c2 = zero, c3 = zero;
        long q = base;
        for (int i = 0; i < runs; i++) {
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE), w = IntVector.fromMemorySegment(I, m, q + PAIR, LE);
            q += RUN;
            int x = xOff + 4 * i;
            FloatVector y0 = FloatVector.broadcast(F, xp[x]), y1 = FloatVector.broadcast(F, xp[x + 1]), y2 = FloatVector.broadcast(F, xp[x + 2]), y3 = FloatVector.broadcast(F, xp[x + 3]);
            a0 = ((FloatVector) v.lanewise(LSHR, 8).and(15).convert(I2F, 0)).fma(y2, ((FloatVector) v.and(15).convert(I2F, 0)).fma(y0, a0));
            c0 = ((FloatVector) v.lanewise(LSHR, 12).and(15).convert(I2F, 0)).fma(y3, ((FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0)).fma(y1, c0));
            a1 = ((FloatVector) v.lanewise(LSHR, 24).and(15).convert(I2F, 0)).fma(y2, ((FloatVector) v.lanewise(LSHR, 16).and(15).convert(I2F, 0)).fma(y0, a1));
            c1 = ((FloatVector) v.lanewise(LSHR, 28).convert(I2F, 0)).fma(y3, ((FloatVector) v.lanewise(LSHR, 20).and(15).convert(I2F, 0)).fma(y1, c1));
            a2 = ((FloatVector) w.lanewise(LSHR, 8).and(15).convert(I2F, 0)).fma(y2, ((FloatVector) w.and(15).convert(I2F, 0)).fma(y0, a2));
            c2 = ((FloatVector) w.lanewise(LSHR, 12).and(15).convert(I2F, 0)).fma(y3, ((FloatVector) w.lanewise(LSHR, 4).and(15).convert(I2F, 0)).fma(y1, c2));
            a3 = ((FloatVector) w.lanewise(LSHR, 24).and(15).convert(I2F, 0)).fma(y2, ((FloatVector) w.lanewise(LSHR, 16).and(15).convert(I2F, 0)).fma(y0, a3));
            c3 = ((FloatVector) w.lanewise(LSHR, 28).convert(I2F, 0)).fma(y3, ((FloatVector) w.lanewise(LSHR, 20).and(15).convert(I2F, 0)).fma(y1, c3));
            if ((i & (BLOCK_RUNS - 1)) == BLOCK_RUNS - 1) {
                int b = i / BLOCK_RUNS;
                IntVector f = IntVector.fromMemorySegment(I, m, q + sp, LE), r = IntVector.fromMemorySegment(I, m, q + sp + 4 * L, LE);
                FloatVector mb = FloatVector.broadcast(F, m8[mOff + b]);
                a0.add(c0).add(mb).fma(f.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE), FloatVector.fromArray(F, s, 0)).intoArray(s, 0);
                a1.add(c1).add(mb).fma(f.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE), FloatVector.fromArray(F, s, L)).intoArray(s, L);
                a2.add(c2).add(mb).fma(r.lanewise(LSHL, 16).lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE), FloatVector.fromArray(F, s, 2 * L)).intoArray(s, 2 * L);
                a3.add(c3).add(mb).fma(r.lanewise(ASHR, 3).and(F16_BITS).reinterpretAsFloats().mul(Widen.F16_RESCALE), FloatVector.fromArray(F, s, 3 * L)).intoArray(s, 3 * L);
                a0 = zero;
                a1 = zero;
                a2 = zero;
                a3 = zero;
                c0 = zero;
                c1 = zero;
                c2 = zero;
                c3 = zero;
                q += BB - SCALES;
            }
        }
    }

}
