package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.HALF;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The lone-token kernels of {@link Q4_0Lanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, a quad's block b being {@link #BB} bytes, its 16 runs of the four groups' L bytes each ({@link #RS}
 * bytes per run, interleaved: group g's row j at {@code 4·j + g}), then the four groups' L scales (F32). The kernel over
 * a whole quad reads one sequential stream, a cache line per run, where the batch copy's four groups one after another
 * are four streams of runs and four of scales: the lone token's product 1.15–1.3× faster streamed from memory (README,
 * "One stream per quad"). One load of L ints holds a run for all four groups (lane j: row j, group g's byte in bits 8g
 * to 8g + 7), where a widening load per group paid a bounds check and a shuffle each: 0.80× the time from cache, 0.98×
 * streamed from memory at one thread, where Q4_0 is already bound by reading (as {@link Q4_KQuadKernels}). Same
 * operations and order as {@link Q4_0LaneKernels}' kernels, so the same bits.
 *
 * <p>Addresses advance by a pointer that skips a block's scales where the block ends: not linear in the run index,
 * which costs the multi-token kernels C2's unrolling (1.2–1.5× slower written so); the one-sequence copy runs a batch
 * token by token through these kernels instead, a quad at a time, so later tokens find the quad in cache. They stay
 * apart from {@link Q4_0LaneKernels}' lone-token kernels, which differ in addressing only: over the batch copy in
 * this pointer form those ran 0.93–0.97× (the stand-alone copy of the kernel, one JVM, interleaved).
 */
final class Q4_0QuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one run of a quad: each of its groups' L bytes, interleaved (group g's row j at {@code 4·j + g}). */
    static final long RS = QUAD * L;
    /** Where a quad's block puts its groups' scales: after its 16 runs. */
    static final long SCALES = HALF * RS;
    /** Bytes of one block of a quad: 16 runs and the groups' F32 scales. */
    static final long BB = SCALES + QUAD * 4L * L;

    private Q4_0QuadKernels() {}

    /**
     * A whole quad times one token: runs from {@code base}, scales from {@code sc} (block b's at {@code + b·BB}). One
     * load of L ints per run; each nibble is masked in its place, so it converts to its value times 2^(4·k) exactly,
     * and each sum starts at {@code −8·Σx} times that power and carries it, exactly; a block's end takes it out again
     * ({@code c·2⁻ᵃ + e·2⁻ᵇ} rounds as {@code c + e} did), so the bits are those of {@link #one}. The top nibble shifts
     * down (masked it would be negative).
     */
    static void oneFourGroups(MemorySegment packed, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = packed;
        int runs = blocks * HALF;
        long nsc = 4 * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0;
        float m0 = m8[mOff];
        FloatVector c0 = FloatVector.broadcast(F, m0), c1 = zero, e0 = FloatVector.broadcast(F, m0 * 0x1p8f), e1 = zero;
        FloatVector f0 = FloatVector.broadcast(F, m0 * 0x1p16f), f1 = zero, h0 = FloatVector.broadcast(F, m0 * 0x1p24f), h1 = zero;
        long q = base - RS;
        for (int i = 0; i < runs; i++) {
            q += RS;
            FloatVector xl = FloatVector.broadcast(F, xp[xOff + 2 * i]), xh = FloatVector.broadcast(F, xp[xOff + 2 * i + 1]);
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE);
            c0 = toFloat(v.and(0xF)).fma(xl, c0);
            c1 = toFloat(v.and(0xF0)).fma(xh, c1);
            e0 = toFloat(v.and(0xF00)).fma(xl, e0);
            e1 = toFloat(v.and(0xF000)).fma(xh, e1);
            f0 = toFloat(v.and(0xF0000)).fma(xl, f0);
            f1 = toFloat(v.and(0xF00000)).fma(xh, f1);
            h0 = toFloat(v.and(0xF000000)).fma(xl, h0);
            h1 = toFloat(v.lanewise(LSHR, 28)).fma(xh, h1);
            if ((i & (HALF - 1)) == HALF - 1) {
                q += BB - HALF * RS; // past the block's scales
                int b = i >> 4;
                long d = sc + (long) b * BB;
                a0 = c0.add(c1.mul(0x1p-4f)).fma(FloatVector.fromMemorySegment(F, ss, d, LE), a0);
                a1 = e0.mul(0x1p-8f).add(e1.mul(0x1p-12f)).fma(FloatVector.fromMemorySegment(F, ss, d + nsc, LE), a1);
                a2 = f0.mul(0x1p-16f).add(f1.mul(0x1p-20f)).fma(FloatVector.fromMemorySegment(F, ss, d + 2 * nsc, LE), a2);
                a3 = h0.mul(0x1p-24f).add(h1).fma(FloatVector.fromMemorySegment(F, ss, d + 3 * nsc, LE), a3);
                m0 = m8[mOff + Math.min(b + 1, blocks - 1)];
                c0 = FloatVector.broadcast(F, m0);
                e0 = FloatVector.broadcast(F, m0 * 0x1p8f);
                f0 = FloatVector.broadcast(F, m0 * 0x1p16f);
                h0 = FloatVector.broadcast(F, m0 * 0x1p24f);
                c1 = zero;
                e1 = zero;
                f1 = zero;
                h1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
        a2.intoArray(s, 2 * L);
        a3.intoArray(s, 3 * L);
    }

    /** Groups g, g + 1 of a quad (g = {@code base & 3}, even; the run's ints from {@code base & −4}) times one token. */
    static void oneTwoGroups(MemorySegment packed, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = packed;
        int runs = blocks * HALF, sh = 8 * (int) (base & (QUAD - 1));
        long nsc = 4 * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = c0, e1 = zero;
        long q = (base & -QUAD) - RS;
        for (int i = 0; i < runs; i++) {
            q += RS;
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE).lanewise(LSHR, sh);
            FloatVector xl = FloatVector.broadcast(F, xp[xOff + 2 * i]), xh = FloatVector.broadcast(F, xp[xOff + 2 * i + 1]);
            c0 = nibble(v, 0).fma(xl, c0);
            c1 = nibble(v, 4).fma(xh, c1);
            e0 = nibble(v, 8).fma(xl, e0);
            e1 = nibble(v, 12).fma(xh, e1);
            if ((i & (HALF - 1)) == HALF - 1) {
                q += BB - HALF * RS; // past the block's scales
                int b = i >> 4;
                long d = sc + (long) b * BB;
                a0 = c0.add(c1).fma(FloatVector.fromMemorySegment(F, ss, d, LE), a0);
                a1 = e0.add(e1).fma(FloatVector.fromMemorySegment(F, ss, d + nsc, LE), a1);
                c0 = FloatVector.broadcast(F, m8[mOff + Math.min(b + 1, blocks - 1)]);
                e0 = c0;
                c1 = zero;
                e1 = zero;
            }
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, L);
    }

    /** One group of a quad ({@code base & 3}; the run's ints from {@code base & −4}) times one token. */
    static void one(MemorySegment packed, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = packed;
        int runs = blocks * HALF, sh = 8 * (int) (base & (QUAD - 1));
        FloatVector acc = FloatVector.zero(F), zero = acc;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero;
        long q = (base & -QUAD) - RS;
        for (int i = 0; i < runs; i++) {
            q += RS;
            IntVector v = IntVector.fromMemorySegment(I, m, q, LE).lanewise(LSHR, sh);
            c0 = nibble(v, 0).fma(FloatVector.broadcast(F, xp[xOff + 2 * i]), c0);
            c1 = nibble(v, 4).fma(FloatVector.broadcast(F, xp[xOff + 2 * i + 1]), c1);
            if ((i & (HALF - 1)) == HALF - 1) {
                q += BB - HALF * RS; // past the block's scales
                int b = i >> 4;
                acc = c0.add(c1).fma(FloatVector.fromMemorySegment(F, ss, sc + (long) b * BB, LE), acc);
                c0 = FloatVector.broadcast(F, m8[mOff + Math.min(b + 1, blocks - 1)]);
                c1 = zero;
            }
        }
        acc.intoArray(s, 0);
    }

    /** The nibble at bits {@code shift .. shift + 3} of each lane, as floats. */
    static FloatVector nibble(IntVector v, int shift) {
        return toFloat(v.lanewise(LSHR, shift).and(15));
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }
}
