package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.SUB;
import static io.backstop.engine.backend.gguf.tensor.Q4_KLaneLayout.SUBS;
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
 * The lone-token kernels of {@link Q4_KLanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, 4-bit weights times 8-bit activations ({@link Q8Activations}) in 16-bit lanes. A full-width short
 * vector holds a pair of groups (lane {@code 2·j} row j of the first, lane {@code 2·j + 1} row j of the second), each
 * lane four weights of its row, one per nibble: so one load and a shift and a mask give four columns for 2·L rows, each
 * multiplied by its activation's broadcast, 2·L products per instruction and no conversion to float per weight. The
 * float path (widen each nibble to an int, convert, FMA: 8 conversions and 8 FMAs per load of 64 bytes) ran the same
 * rows at 0.4–0.7× the speed from cache (a standalone loop, one thread). A sub-block's 32 products per row are summed
 * exactly in two short accumulators (16 products each, at most 16·15·127 = 30,480), which its end adds as ints and
 * scales once: {@code fma(dmin·min, −Σx₈·dₓ, fma(float(Σ q·x₈), (d·scale)·dₓ, acc))}, the rounded activations' sum
 * in the min term too ({@link Q8Activations#quantize}).
 *
 * <p>A quad's stream, in the order the kernels read it: per super-block a head ({@link #HEAD}: per group L ints, row
 * j's F16 {@code d} in the low half and {@code dmin} in the high one), then per sub-block 8 runs ({@link #RUN}: the two
 * pairs' vectors, weights of columns {@code 2i, 16 + 2i, 2i + 1, 17 + 2i} in run i's nibbles, lowest first: the
 * activations' order after {@link Q4_0Lanes#interleave}) and its factors ({@link #FACTS}: per pair of groups L ints,
 * row j's 6-bit scale and min of the pair's first group, then of its second, a byte each). So a kernel reads one
 * sequential stream over a whole row, forward only, and forms each sub-block's factors where it ends. Only same-shape
 * vector operations serve the sums and factors: a ShortVector-to-IntVector conversion in these long kernels was left a
 * call by C2 (the kernel then boxed every vector, 20× slower), so a pair's int sums come from its short accumulator
 * reinterpreted as ints, shifted.
 *
 * <p>{@link Q4_KLanes#dot} computes a row with the same integers and float operations, so the same bits.
 */
final class Q4_KQuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one pair's vector in a run: 2·L shorts. */
    static final long PAIR = 4L * L;
    /** Bytes of one run of a quad: its two pairs' vectors, four columns of the quad's rows. */
    static final long RUN = 2 * PAIR;
    /** Runs per sub-block (32 columns, four per run). */
    static final int SUB_RUNS = SUB / 4;
    /** Runs per super-block. */
    static final int SUPER_RUNS = SUBS * SUB_RUNS;
    /** Bytes of a quad's super-block head: per group L ints, row j's F16 {@code d} in the low half, its {@code dmin} in the high one. */
    static final long HEAD = QUAD * 4L * L;
    /** Bytes of a sub-block's factors in a quad: per pair of groups L ints, row j's scale, min, the next group's scale, min. */
    static final long FACTS = 2 * 4L * L;
    /** Bytes of a quad's sub-block: its runs, then its factors. */
    static final long SUB_BYTES = SUB_RUNS * RUN + FACTS;
    /** Bytes of a quad's super-block: its head, then its 8 sub-blocks. */
    static final long SUPER_BYTES = HEAD + SUBS * SUB_BYTES;
    /** The sign, exponent and mantissa of an F16 moved into an F32's places ({@link Widen#f16}). */
    private static final int F16_BITS = 0x8FFFE000;
    /** Shorts filling a vector: two groups' rows. */
    static final VectorSpecies<Short> S2 = F.withLanes(short.class);

    private Q4_KQuadKernels() {}

    /**
     * The byte of row {@code lane} of group {@code k} (0 to 3) of a quad's sub-block at {@code sub} holding the weights
     * of columns j and 16 + j (low and high nibble, Q4_0's order) of that sub-block.
     */
    static long byteOf(long sub, int k, int lane, int j) {
        return sub + (j >> 1) * RUN + (k >> 1) * PAIR + 2L * (2 * lane + (k & 1)) + (j & 1);
    }

    /**
     * Pair {@code p} (groups 2p and 2p + 1) of the quad at {@code q0} times one token, a whole row: sums into
     * {@code s[sOff]} (the first group's L) and on. {@code xq[xOff]}: the token's activations interleaved and
     * quantized, {@code xd[dOff]}: their scales, {@code nx[nOff]}: −Σx per sub-block, {@code dn}: scratch for the heads.
     */
    static void pair(MemorySegment packed, long q0, int p, int supers, float[] xq, int xOff, float[] xd, int dOff, float[] nx, int nOff, float[] dn, int hOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS, h0 = hOff + 4 * L * p;
        long pv = p * PAIR, fp = 4L * L * p;
        FloatVector zero = FloatVector.zero(F);
        ShortVector none = ShortVector.zero(S2);
        FloatVector a0 = zero, a1 = zero;
        ShortVector c0 = none, e0 = none;
        long q = q0;
        for (int i = 0; i < runs; i++) {
            if ((i & (SUPER_RUNS - 1)) == 0) {
                heads(m, q, dn, hOff);
                q += HEAD;
            }
            ShortVector v = ShortVector.fromMemorySegment(S2, m, q + pv, LE);
            q += RUN;
            int x = xOff + 4 * i;
            ShortVector x0 = FloatVector.broadcast(F, xq[x]).reinterpretAsShorts(), x1 = FloatVector.broadcast(F, xq[x + 1]).reinterpretAsShorts();
            ShortVector x2 = FloatVector.broadcast(F, xq[x + 2]).reinterpretAsShorts(), x3 = FloatVector.broadcast(F, xq[x + 3]).reinterpretAsShorts();
            c0 = c0.add(v.and((short) 15).mul(x0)).add(v.lanewise(LSHR, 8).and((short) 15).mul(x2));
            e0 = e0.add(v.lanewise(LSHR, 4).and((short) 15).mul(x1)).add(v.lanewise(LSHR, 12).mul(x3));
            if ((i & (SUB_RUNS - 1)) == SUB_RUNS - 1) {
                int b = i / SUB_RUNS;
                float db = xd[dOff + b];
                IntVector f = IntVector.fromMemorySegment(I, m, q + fp, LE);
                FloatVector y = FloatVector.broadcast(F, nx[nOff + b]);
                IntVector ci = c0.reinterpretAsInts(), ei = e0.reinterpretAsInts();
                IntVector g0 = ci.lanewise(LSHL, 16).lanewise(ASHR, 16).add(ei.lanewise(LSHL, 16).lanewise(ASHR, 16)), g1 = ci.lanewise(ASHR, 16).add(ei.lanewise(ASHR, 16));
                FloatVector s0 = ((FloatVector) f.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, h0)).mul(db);
                FloatVector u0 = ((FloatVector) f.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, h0 + L));
                a0 = u0.fma(y, ((FloatVector) g0.convert(I2F, 0)).fma(s0, a0));
                FloatVector s1 = ((FloatVector) f.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, h0 + 2 * L)).mul(db);
                FloatVector u1 = ((FloatVector) f.lanewise(LSHR, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, h0 + 3 * L));
                a1 = u1.fma(y, ((FloatVector) g1.convert(I2F, 0)).fma(s1, a1));
                c0 = none;
                e0 = none;
                q += FACTS;
            }
        }
        a0.intoArray(s, sOff);
        a1.intoArray(s, sOff + L);
    }

    /** The quad at {@code q0}'s four groups times one token, a whole row: sums into {@code s[sOff]} on ({@link #pair}'s arguments). */
    static void quad(MemorySegment packed, long q0, int supers, float[] xq, int xOff, float[] xd, int dOff, float[] nx, int nOff, float[] dn, int hOff, float[] s, int sOff) {
        MemorySegment m = packed;
        int runs = supers * SUPER_RUNS;
        FloatVector zero = FloatVector.zero(F);
        ShortVector none = ShortVector.zero(S2);
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        ShortVector c0 = none, e0 = none, c1 = none, e1 = none;
        long q = q0;
        for (int i = 0; i < runs; i++) {
            if ((i & (SUPER_RUNS - 1)) == 0) {
                heads(m, q, dn, hOff);
                q += HEAD;
            }
            ShortVector v = ShortVector.fromMemorySegment(S2, m, q, LE), w = ShortVector.fromMemorySegment(S2, m, q + PAIR, LE);
            q += RUN;
            int x = xOff + 4 * i;
            ShortVector x0 = FloatVector.broadcast(F, xq[x]).reinterpretAsShorts(), x1 = FloatVector.broadcast(F, xq[x + 1]).reinterpretAsShorts();
            ShortVector x2 = FloatVector.broadcast(F, xq[x + 2]).reinterpretAsShorts(), x3 = FloatVector.broadcast(F, xq[x + 3]).reinterpretAsShorts();
            c0 = c0.add(v.and((short) 15).mul(x0)).add(v.lanewise(LSHR, 8).and((short) 15).mul(x2));
            e0 = e0.add(v.lanewise(LSHR, 4).and((short) 15).mul(x1)).add(v.lanewise(LSHR, 12).mul(x3));
            c1 = c1.add(w.and((short) 15).mul(x0)).add(w.lanewise(LSHR, 8).and((short) 15).mul(x2));
            e1 = e1.add(w.lanewise(LSHR, 4).and((short) 15).mul(x1)).add(w.lanewise(LSHR, 12).mul(x3));
            if ((i & (SUB_RUNS - 1)) == SUB_RUNS - 1) {
                int b = i / SUB_RUNS;
                float db = xd[dOff + b];
                IntVector f = IntVector.fromMemorySegment(I, m, q, LE), r = IntVector.fromMemorySegment(I, m, q + 4 * L, LE);
                FloatVector y = FloatVector.broadcast(F, nx[nOff + b]);
                IntVector ci = c0.reinterpretAsInts(), ei = e0.reinterpretAsInts();
                IntVector g0 = ci.lanewise(LSHL, 16).lanewise(ASHR, 16).add(ei.lanewise(LSHL, 16).lanewise(ASHR, 16)), g1 = ci.lanewise(ASHR, 16).add(ei.lanewise(ASHR, 16));
                FloatVector s0 = ((FloatVector) f.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff)).mul(db);
                FloatVector u0 = ((FloatVector) f.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + L));
                a0 = u0.fma(y, ((FloatVector) g0.convert(I2F, 0)).fma(s0, a0));
                FloatVector s1 = ((FloatVector) f.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + 2 * L)).mul(db);
                FloatVector u1 = ((FloatVector) f.lanewise(LSHR, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + 3 * L));
                a1 = u1.fma(y, ((FloatVector) g1.convert(I2F, 0)).fma(s1, a1));
                ci = c1.reinterpretAsInts();
                ei = e1.reinterpretAsInts();
                g0 = ci.lanewise(LSHL, 16).lanewise(ASHR, 16).add(ei.lanewise(LSHL, 16).lanewise(ASHR, 16));
                g1 = ci.lanewise(ASHR, 16).add(ei.lanewise(ASHR, 16));
                FloatVector s2 = ((FloatVector) r.and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + 4 * L)).mul(db);
                FloatVector u2 = ((FloatVector) r.lanewise(LSHR, 8).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + 5 * L));
                a2 = u2.fma(y, ((FloatVector) g0.convert(I2F, 0)).fma(s2, a2));
                FloatVector s3 = ((FloatVector) r.lanewise(LSHR, 16).and(0xFF).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + 6 * L)).mul(db);
                FloatVector u3 = ((FloatVector) r.lanewise(LSHR, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F, dn, hOff + 7 * L));
                a3 = u3.fma(y, ((FloatVector) g1.convert(I2F, 0)).fma(s3, a3));
                c0 = none;
                e0 = none;
                c1 = none;
                e1 = none;
                q += FACTS;
            }
        }
        a0.intoArray(s, sOff);
        a1.intoArray(s, sOff + L);
        a2.intoArray(s, sOff + 2 * L);
        a3.intoArray(s, sOff + 3 * L);
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
