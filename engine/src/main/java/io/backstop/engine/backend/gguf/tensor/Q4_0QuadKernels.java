package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.HALF;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.lo;
import static io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels.whole;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The lone-token kernels of {@link Q4_0Lanes}' one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}): groups of L rows
 * in quads of four, a quad's block b being {@link #BB} bytes, its 16 runs of the four groups' L bytes each ({@link #RS}
 * bytes per run, group g's at {@code g·L}), then the four groups' L scales (F32). The kernel over a whole quad reads one
 * sequential stream, a cache line per run, where the batch copy's groups one after another were four streams of
 * runs and four of scales: the lone token's product 1.15–1.3× faster streamed from memory (README, "One stream per
 * quad"); the batch copy now holds quads too, runs and scales apart (two streams), ~1.03× behind. The operations of {@link Q4_0LaneKernels}' kernels in their order, but for each run the low nibbles times
 * u_j = x_j − x_{16+j}/16 and the whole byte times x_{16+j}/16 ({@link Q4_0Lanes#split}): one shift fewer per run,
 * bits within float rounding of the batch copy's.
 *
 * <p>Addresses advance by a pointer that skips a block's scales where the block ends: not linear in the run index,
 * which costs the multi-token kernels C2's unrolling (1.2–1.5× slower written so); the one-sequence copy runs a batch
 * token by token through these kernels instead, a quad at a time, so later tokens find the quad in cache. They stay
 * apart from {@link Q4_0LaneKernels}' lone-token kernels, which differ in addressing and in the high nibble's form:
 * over the old batch copy in this pointer form those ran 0.93–0.97× (the stand-alone copy of the kernel, one JVM,
 * interleaved).
 */
final class Q4_0QuadKernels {
    /** Groups per quad. */
    static final int QUAD = 4;
    /** Bytes of one run of a quad: each of its groups' L bytes. */
    static final long RS = QUAD * L;
    /** Where a quad's block puts its groups' scales: after its 16 runs. */
    static final long SCALES = HALF * RS;
    /** Bytes of one block of a quad: 16 runs and the groups' F32 scales. */
    static final long BB = SCALES + QUAD * 4L * L;

    private Q4_0QuadKernels() {}

    /** A whole quad times one token: runs from {@code base}, scales from {@code sc} (block b's at {@code + b·BB}). */
    static void oneFourGroups(MemorySegment packed, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = packed;
        int runs = blocks * HALF;
        long gs = L, g2 = 2 * L, g3 = 3 * L, nsc = 4 * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0, a2 = a0, a3 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = c0, e1 = zero, f0 = c0, f1 = zero, h0 = c0, h1 = zero;
        long q = base - RS;
        for (int i = 0; i < runs; i++) {
            q += RS;
            FloatVector xl = FloatVector.broadcast(F, xp[xOff + 2 * i]), xh = FloatVector.broadcast(F, xp[xOff + 2 * i + 1]);
            IntVector w = Widen.u8(m, q);
            c0 = lo(w).fma(xl, c0);
            c1 = whole(w).fma(xh, c1);
            w = Widen.u8(m, q + gs);
            e0 = lo(w).fma(xl, e0);
            e1 = whole(w).fma(xh, e1);
            w = Widen.u8(m, q + g2);
            f0 = lo(w).fma(xl, f0);
            f1 = whole(w).fma(xh, f1);
            w = Widen.u8(m, q + g3);
            h0 = lo(w).fma(xl, h0);
            h1 = whole(w).fma(xh, h1);
            if ((i & (HALF - 1)) == HALF - 1) {
                q += BB - HALF * RS; // past the block's scales
                int b = i >> 4;
                long d = sc + (long) b * BB;
                a0 = c0.add(c1).fma(FloatVector.fromMemorySegment(F, ss, d, LE), a0);
                a1 = e0.add(e1).fma(FloatVector.fromMemorySegment(F, ss, d + nsc, LE), a1);
                a2 = f0.add(f1).fma(FloatVector.fromMemorySegment(F, ss, d + 2 * nsc, LE), a2);
                a3 = h0.add(h1).fma(FloatVector.fromMemorySegment(F, ss, d + 3 * nsc, LE), a3);
                c0 = FloatVector.broadcast(F, m8[mOff + Math.min(b + 1, blocks - 1)]);
                e0 = c0;
                f0 = c0;
                h0 = c0;
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

    /** Groups g, g + 1 of a quad (g even) times one token: runs from {@code base}, scales from {@code sc}. */
    static void oneTwoGroups(MemorySegment packed, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = packed;
        int runs = blocks * HALF;
        long next = L, nsc = 4 * L;
        FloatVector a0 = FloatVector.zero(F), zero = a0, a1 = a0;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero, e0 = c0, e1 = zero;
        long q = base - RS;
        for (int i = 0; i < runs; i++) {
            q += RS;
            IntVector w = Widen.u8(m, q), v = Widen.u8(m, q + next);
            FloatVector xl = FloatVector.broadcast(F, xp[xOff + 2 * i]), xh = FloatVector.broadcast(F, xp[xOff + 2 * i + 1]);
            c0 = lo(w).fma(xl, c0);
            c1 = whole(w).fma(xh, c1);
            e0 = lo(v).fma(xl, e0);
            e1 = whole(v).fma(xh, e1);
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

    /** One group of a quad times one token: runs from {@code base}, scales from {@code sc}. */
    static void one(MemorySegment packed, int blocks, long base, long sc, float[] xp, int xOff, float[] m8, int mOff, float[] s) {
        MemorySegment m = packed, ss = packed;
        int runs = blocks * HALF;
        FloatVector acc = FloatVector.zero(F), zero = acc;
        FloatVector c0 = FloatVector.broadcast(F, m8[mOff]), c1 = zero;
        long q = base - RS;
        for (int i = 0; i < runs; i++) {
            q += RS;
            IntVector w = Widen.u8(m, q);
            c0 = lo(w).fma(FloatVector.broadcast(F, xp[xOff + 2 * i]), c0);
            c1 = whole(w).fma(FloatVector.broadcast(F, xp[xOff + 2 * i + 1]), c1);
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
}
