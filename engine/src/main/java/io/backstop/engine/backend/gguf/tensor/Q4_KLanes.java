package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Q4_KTensor}'s layout with rows in lanes (opt-in, {@link #ENABLED}). Q4_K: super-blocks of 256 values: {@code d}, {@code dmin} (F16), 12 bytes of 6-bit scales and mins
 * ({@link KScales}), 128 bytes of nibbles. Each 32-byte run c holds sub-block 2c in its low nibbles and
 * 2c + 1 in its high nibbles; value = d·scale·q − dmin·min.
 *
 * <p>Repacked at load with rows in lanes ({@link KLanes}): per group of L rows, spans of 128 values, each the L
 * rows' F32 {@code d}, their 6-bit scales of the span's four sub-blocks (one byte per row), then 16 vectors of
 * L ints: nibble i of row r's int c is value c + 16·i of the span (sub-block i / 2); after the spans, per
 * super-block the rows' F32 {@code dmin} and their mins, one byte per sub-block. The decode kernel
 * ({@link #group}) sums {@code q·x} per sub-block for L rows at once (per int vector and nibble position one
 * unpacking and one FMA with a broadcast activation), applies the integer scales per sub-block and {@code d}
 * per span as vectors, and subtracts {@code Σ dmin·min·Σx} (the mins against the token's sums of 32
 * activations): no lane sums, one stream per group. Addresses are linear in each loop's counter, so C2 hoists
 * the segment bounds checks. 0.61 bytes per weight (the file's 0.5625), whose pages are dropped.
 * {@link #dequantizeRow} still reads the file's blocks: the reference the repacked kernels are tested against.
 *
 * <p>The trade (README, issue 14): with the weights streamed from memory (decoding) a product costs ~20 % less CPU
 * than the row pairs; resident in cache ~20 % more. A row lies across the group's vectors, so prefill and batches of
 * 4–15 tokens decode rows from the file's blocks instead ({@link Q4_KTensor#decodeRow}): gathering a row's ints here
 * cost 2× the row pairs' time per product at batch 4.
 */
final class Q4_KLanes {
    /**
     * Whether Q4_K tensors load in this layout ({@code -Dbackstop.gguf.q4k=lanes}) instead of the row pairs ({@link KPairs}):
     * opt-in, since on a quiet machine it decodes one sequence 1.14–1.4× faster but steps of 4–8 sequences 0.75–0.85×
     * (their rows decode from the file's blocks; README, issue 14).
     */
    static final boolean ENABLED = "lanes".equals(System.getProperty("backstop.gguf.q4k"));

    static final int BLOCK = 256;
    static final int BYTES = 144;
    private static final int SUB = 32;
    private static final int SPAN_VALUES = 128;
    /** A span's bytes per group: d, four sub-blocks' scales, 16 int vectors. */
    private static final long SPAN = 72L * L;
    private static final long SCALES = 4L * L, QUANTS = 8L * L;
    /** A super-block's min bytes per group: dmin, eight sub-blocks' mins. */
    private static final long MIN_BLOCK = 12L * L, MINS = 4L * L;

    private final KLanes g;
    private final int supers;

    private final MemorySegment data;
    private final long rowBytes;
    private final int cols;

    Q4_KLanes(MemorySegment data, long rowBytes, int rows, int cols) {
        this.data = data;
        this.rowBytes = rowBytes;
        this.cols = cols;
        supers = cols / BLOCK;
        g = new KLanes(rows, supers * (2 * SPAN + MIN_BLOCK));
        MemorySegment m = g.packed;
        for (int r = 0; r < rows; r++) {
            int lane = r % L;
            long mb = g.group(r) + 2L * supers * SPAN;
            for (int s = 0; s < supers; s++) {
                long p = r * rowBytes + (long) s * BYTES, mo = mb + s * MIN_BLOCK;
                m.set(WeightTensor.FLOAT_LE, mo + 4L * lane, f16(p + 2));
                for (int sub = 0; sub < 8; sub++) m.set(ValueLayout.JAVA_BYTE, mo + MINS + (long) sub * L + lane, (byte) KScales.min(data, p + 4, sub));
                for (int h = 0; h < 2; h++) {
                    long o = g.group(r) + (2L * s + h) * SPAN;
                    m.set(WeightTensor.FLOAT_LE, o + 4L * lane, f16(p));
                    for (int i = 0; i < 4; i++) m.set(ValueLayout.JAVA_BYTE, o + SCALES + (long) i * L + lane, (byte) KScales.scale(data, p + 4, 4 * h + i));
                    for (int c = 0; c < KLanes.SPAN_INTS; c++) {
                        int v = 0;
                        for (int i = 0; i < 8; i++) v |= nibble(p, SPAN_VALUES * h + c + 16 * i) << (4 * i);
                        m.set(WeightTensor.INT_LE, o + QUANTS + 4L * (c * L + lane), v);
                    }
                }
            }
        }
    }

    private float f16(long offset) {
        return Float.float16ToFloat(data.get(WeightTensor.SHORT_LE, offset));
    }

    private int u8(long offset) {
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, offset));
    }

    /** The 4-bit code of value j (0–255) of the file's super-block at p. */
    private int nibble(long p, int j) {
        int sub = j / SUB, l = j % SUB;
        return (u8(p + 16 + 32L * (sub >> 1) + l) >> (4 * (sub & 1))) & 15;
    }

    /** The fused kernel's operations for one row and token: its group's, one lane kept (allocates: not a hot path). */
    float dot(int row, float[] x, int xOff) {
        int sums = supers * 8;
        float[] xs = new float[sums + L];
        xsums(x, xOff, xs);
        group(g.group(row), x, xOff, xs, xs, sums);
        return xs[sums + row % L];
    }

    /**
     * Groups of L rows per pass, token by token; each row gets the operations of {@link #dot}, so its bits depend
     * on neither the batch nor the rows a chunk starts at. The token's sums of 32 activations go to the scratch.
     */
    /** Scratch floats {@link #fusedRows} needs: the token's sums of 32 activations and one group's results. */
    int scratchFloats() {
        return supers * 8 + L;
    }

    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int sums = supers * 8;
        for (int t = 0; t < n; t++) {
            int o = outOff + t * outStride, xOff = t * cols;
            xsums(x, xOff, scratch);
            for (int r0 = from - from % L; r0 < to; r0 += L) {
                if (r0 >= from && r0 + L <= to && !add) {
                    group(g.group(r0), x, xOff, scratch, out, o + r0);
                } else {
                    group(g.group(r0), x, xOff, scratch, scratch, sums);
                    for (int r = Math.max(from, r0); r < Math.min(to, r0 + L); r++) WeightTensor.put(out, o + r, scratch[sums + r - r0], add);
                }
            }
        }
    }

    /** {@code xs[sub]} = the sum of the token's 32 activations of sub-block sub. */
    private void xsums(float[] x, int xOff, float[] xs) {
        for (int b = 0; b < supers * 8; b++) {
            int xo = xOff + b * SUB;
            FloatVector v = FloatVector.fromArray(F, x, xo).add(FloatVector.fromArray(F, x, xo + 16));
            for (int k = L; k < 16; k += L) v = v.add(FloatVector.fromArray(F, x, xo + k)).add(FloatVector.fromArray(F, x, xo + 16 + k));
            xs[b] = Lanes.sum(v);
        }
    }

    /**
     * The L rows of the group at {@code base} times the token, to {@code out[o ..]} (lane i: row i): per sub-block
     * Σ q·x lane-wise (four accumulators), times the rows' scales, per span times their {@code d}; minus the
     * mins' share, Σ (dmin·min)·Σx. Written to memory, not returned: this is not inlined, and a returned vector is boxed.
     */
    private void group(long base, float[] x, int xOff, float[] xs, float[] out, int o) {
        MemorySegment m = g.packed;
        FloatVector z = FloatVector.zero(F), acc = z;
        int spans = 2 * supers;
        for (int h = 0; h < spans; h++) { // the addresses are linear in h (and i, c): C2 hoists the bounds checks
            long p = base + h * SPAN;
            FloatVector t = z;
            for (int i = 0; i < 4; i++) { // sub-block i of the span: nibbles 2i, 2i + 1
                int xo = xOff + SPAN_VALUES * h + SUB * i;
                FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
                for (int c = 0; c < KLanes.SPAN_INTS; c += 2) {
                    IntVector w0 = IntVector.fromMemorySegment(I, m, p + QUANTS + 4L * L * c, Lanes.LE).lanewise(VectorOperators.LSHR, 8 * i);
                    IntVector w1 = IntVector.fromMemorySegment(I, m, p + QUANTS + 4L * L * (c + 1), Lanes.LE).lanewise(VectorOperators.LSHR, 8 * i);
                    a0 = Widen.toFloat(w0.and(15)).fma(FloatVector.broadcast(F, x[xo + c]), a0);
                    a1 = Widen.toFloat(w0.lanewise(VectorOperators.LSHR, 4).and(15)).fma(FloatVector.broadcast(F, x[xo + 16 + c]), a1);
                    a2 = Widen.toFloat(w1.and(15)).fma(FloatVector.broadcast(F, x[xo + c + 1]), a2);
                    a3 = Widen.toFloat(w1.lanewise(VectorOperators.LSHR, 4).and(15)).fma(FloatVector.broadcast(F, x[xo + 17 + c]), a3);
                }
                t = a0.add(a2).add(a1.add(a3)).fma(Widen.toFloat(Widen.u8(m, p + SCALES + (long) L * i)), t);
            }
            acc = t.fma(FloatVector.fromMemorySegment(F, m, p, Lanes.LE), acc);
        }
        long mb = base + spans * SPAN;
        FloatVector mn = z;
        for (int s = 0; s < supers; s++) {
            long q = mb + s * MIN_BLOCK;
            FloatVector mp = z;
            for (int sub = 0; sub < 8; sub++) mp = Widen.toFloat(Widen.u8(m, q + MINS + (long) L * sub)).fma(FloatVector.broadcast(F, xs[8 * s + sub]), mp);
            mn = mp.fma(FloatVector.fromMemorySegment(F, m, q, Lanes.LE), mn);
        }
        acc.sub(mn).intoArray(out, o);
    }

    /**
     * Σ q·x of one sub-block for the group's L rows, to {@code out[o ..]}: nibbles {@code shift / 4} and
     * {@code shift / 4 + 1} of the span's 16 int vectors at {@code q} times activations {@code xo + c} and
     * {@code xo + 16 + c}, in eight accumulators (four int vectors per pass) summed in a fixed order. Its own
     * method, so that C2's inlining budget holds its eight FMA chains; stored, not returned (a returned vector is boxed).
     */
    private static void subBlock(MemorySegment m, long q, int shift, float[] x, int xo, float[] out, int o) {
        FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int c = 0; c < KLanes.SPAN_INTS; c += 4) {
            long p = q + 4L * L * c;
            IntVector w0 = IntVector.fromMemorySegment(I, m, p, Lanes.LE).lanewise(VectorOperators.LSHR, shift);
            IntVector w1 = IntVector.fromMemorySegment(I, m, p + 4L * L, Lanes.LE).lanewise(VectorOperators.LSHR, shift);
            IntVector w2 = IntVector.fromMemorySegment(I, m, p + 8L * L, Lanes.LE).lanewise(VectorOperators.LSHR, shift);
            IntVector w3 = IntVector.fromMemorySegment(I, m, p + 12L * L, Lanes.LE).lanewise(VectorOperators.LSHR, shift);
            a0 = Widen.toFloat(w0.and(15)).fma(FloatVector.broadcast(F, x[xo + c]), a0);
            a1 = Widen.toFloat(w0.lanewise(VectorOperators.LSHR, 4).and(15)).fma(FloatVector.broadcast(F, x[xo + 16 + c]), a1);
            a2 = Widen.toFloat(w1.and(15)).fma(FloatVector.broadcast(F, x[xo + c + 1]), a2);
            a3 = Widen.toFloat(w1.lanewise(VectorOperators.LSHR, 4).and(15)).fma(FloatVector.broadcast(F, x[xo + 17 + c]), a3);
            b0 = Widen.toFloat(w2.and(15)).fma(FloatVector.broadcast(F, x[xo + c + 2]), b0);
            b1 = Widen.toFloat(w2.lanewise(VectorOperators.LSHR, 4).and(15)).fma(FloatVector.broadcast(F, x[xo + 18 + c]), b1);
            b2 = Widen.toFloat(w3.and(15)).fma(FloatVector.broadcast(F, x[xo + c + 3]), b2);
            b3 = Widen.toFloat(w3.lanewise(VectorOperators.LSHR, 4).and(15)).fma(FloatVector.broadcast(F, x[xo + 19 + c]), b3);
        }
        a0.add(b0).add(a2.add(b2)).add(a1.add(b1).add(a3.add(b3))).intoArray(out, o);
    }
}
