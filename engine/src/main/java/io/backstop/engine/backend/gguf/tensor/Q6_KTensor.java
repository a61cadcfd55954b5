package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K: super-blocks of 256 values: 128 bytes {@code ql} (low 4 bits), 64 bytes {@code qh} (high 2
 * bits), 16 signed 8-bit scales (one per 16 values), then {@code d} (F16) last. Each half n (128
 * values) uses ql[64n ..], qh[32n ..]: for l &lt; 32, value 128n + l + 32i takes its low bits from the
 * low (i = 0, 1) or high (i = 2, 3) nibble of ql[64n + l + 32·(i mod 2)] and its high bits from bits
 * 2i, 2i + 1 of qh[32n + l]; value = d·scale·(q − 32).
 *
 * <p>Repacked at load ({@link KPairs}) into Q8_0's shape: two rows side by side, per block of 32 values one
 * signed byte {@code q − 32} per value (in value order) and the F32 factors {@code d·scale} of its two runs
 * of 16, so the kernel converts a byte to a float and multiplies: gathering 6 bits from two planes cost more
 * than the extra bytes (1.25 bytes per weight instead of the file's 0.82; JMH and end to end in the README's
 * engine-speed section). {@link #dequantizeRow} still reads the file's blocks: the reference the repacked
 * kernels are tested against.
 *
 * <p>The one-sequence copy ({@link DecodeLayout#ONE_SEQUENCE}) is {@link Q6_KLanes} instead: rows in vector lanes, a
 * byte per weight, a kernel call per super-block, so long rows cost no more per weight than short ones; prefill then
 * decodes rows from the file ({@link #decodeFileRow}).
 */
public final class Q6_KTensor extends WeightTensor {
    static final int BLOCK = 256;
    static final int BYTES = 210;
    private static final int SUB = 32;

    /** The row pairs' data, or null when {@link #lanes} holds the weights instead. */
    private final KPairs g;
    /** The one-sequence copy ({@link Q6_KLanes}: rows in lanes, a byte per weight), or null. */
    private final Q6_KLanes lanes;

    Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        this(name, data, rows, cols, DecodeLayout.BATCH);
    }

    /** The row pairs for {@link DecodeLayout#BATCH}; {@link Q6_KLanes}' quads for {@link DecodeLayout#ONE_SEQUENCE} (with vectors). */
    Q6_KTensor(String name, MemorySegment data, int rows, int cols, DecodeLayout layout) {
        super(name, data, rows, cols);
        if (layout == DecodeLayout.ONE_SEQUENCE && Lanes.VECTOR) {
            lanes = Q6_KLanes.repack(data, rows, cols / BLOCK);
            g = null;
            if (data.isMapped()) data.unload(); // read once; prefill decodes rows from the file again (decodeFileRow)
            return;
        }
        lanes = null;
        g = new KPairs(rows, cols / SUB, SUB, 2);
        MemorySegment m = g.packed;
        for (int r = 0; r < rows; r++) {
            int j = 0;
            for (long p = r * rowBytes, end = p + rowBytes; p < end; p += BYTES) {
                float d = f16(p + 208);
                for (int n = 0; n < 2; n++) {
                    long sc = p + 192 + 8L * n;
                    for (int i = 0; i < 4; i++, j++) { // value 128n + 32i + l, l < 32: block j
                        long q = g.quants(r, j), f = g.factors(r, j);
                        for (int l = 0; l < SUB; l++) m.set(ValueLayout.JAVA_BYTE, q + l, (byte) (value(data, p, 128 * n + 32 * i + l) - 32));
                        m.set(FLOAT_LE, f, d * s8(sc + 2L * i));
                        m.set(FLOAT_LE, f + 4, d * s8(sc + 2L * i + 1));
                    }
                }
            }
        }
        if (data.isMapped()) data.unload(); // read once; the copy is what the kernels use
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    /**
     * Each run of 16 values decoded as {@link #decodeRow} decodes it, {@code (d·scale)·(q − 32)}, then fused-multiplied with
     * the activations into one of two accumulators (runs alternate, off one FMA chain). The scale comes first so that
     * a kernel taking several tokens decodes a run once for all of them ({@link #twoRowsFourTokens}).
     */
    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        if (lanes != null) return lanes.dot(row, x, xOff);
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), f = g.factors(row, 0);
        FloatVector e = FloatVector.zero(F), o = e;
        for (int b = 0; b < g.blocks; b++) { // one induction variable: C2 hoists the bounds checks
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * SUB;
            FloatVector s0 = FloatVector.broadcast(F, m.get(FLOAT_LE, pf)), s1 = FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 4));
            for (int k = 0; k < 16; k += L) {
                e = Widen.s8(m, p + k).mul(s0).fma(FloatVector.fromArray(F, x, xo + k), e);
                o = Widen.s8(m, p + 16 + k).mul(s1).fma(FloatVector.fromArray(F, x, xo + 16 + k), o);
            }
        }
        return Lanes.sum(e.add(o));
    }

    /**
     * Two rows per pass (one load of the activations serves both); with AVX-512 four tokens per decoded run
     * ({@link #twoRowsFourTokens}), then two ({@link #twoRowsTwoTokens}), then one ({@link #twoRows}). Each row and token
     * gets the operations of {@link #dot} in its order, so its bits do not depend on the pairing or the batch.
     */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (!Lanes.VECTOR) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        if (lanes != null) {
            int need = lanes.scratchFloats();
            lanes.matmul(x, n, cols, out, outOff, outStride, from, to, add, scratch.length >= need ? scratch : new float[need]);
            return;
        }
        int t = 0;
        for (; FourTokens.APPLIES && scratch.length >= FourTokens.scratchFloats(cols) && t + 4 <= n; t += 4) {
            int o = outOff + t * outStride, r = from;
            FourTokens.interleave(x, t * cols, cols, scratch);
            if ((r & 1) != 0 && r < to) oneRow(r++, x, t, 4, out, outOff, outStride, add);
            for (; r + 2 <= to; r += 2) {
                twoRowsFourTokens(r, scratch, FourTokens.SUMS, scratch);
                FourTokens.put(scratch, out, o + r, outStride, add);
            }
            if (r < to) oneRow(r, x, t, 4, out, outOff, outStride, add);
        }
        for (; Lanes.L == 16 && scratch.length >= SUMS && t + 2 <= n; t += 2) {
            int o = outOff + t * outStride, r = from;
            if ((r & 1) != 0 && r < to) oneRow(r++, x, t, 2, out, outOff, outStride, add);
            for (; r + 2 <= to; r += 2) {
                twoRowsTwoTokens(r, x, t * cols, scratch);
                putSums(scratch, out, o + r, outStride, add);
            }
            if (r < to) oneRow(r, x, t, 2, out, outOff, outStride, add);
        }
        for (; t < n; t++) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            if ((r & 1) != 0 && r < to) put(out, o + r++, dot(r - 1, x, xOff), add);
            for (; r + 2 <= to; r += 2) twoRows(r, x, xOff, out, o + r, add);
            if (r < to) put(out, o + r, dot(r, x, xOff), add);
        }
    }

    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add) {
        fusedRows(x, n, out, outOff, outStride, from, to, add, new float[0]);
    }

    /**
     * Below the tile, batches stay on {@link #fusedRows}: the row pairs' kernels for four and two tokens are written for
     * AVX-512's 16 float lanes; the one-sequence copy takes them token by token.
     */
    @Override
    int fusedBelow() {
        return L == 16 || lanes != null ? PAIRED_FUSED_BELOW : FUSED_BELOW;
    }

    @Override
    String fusedPath(int n, int scratchFloats) {
        return lanes != null ? L + " rows in lanes (quads, token by token) × " + n + (n == 1 ? " token" : " tokens") : super.fusedPath(n, scratchFloats);
    }

    private void oneRow(int r, float[] x, int t0, int n, float[] out, int outOff, int outStride, boolean add) {
        for (int t = t0; t < t0 + n; t++) put(out, outOff + t * outStride + r, dot(r, x, t * cols), add);
    }

    private void twoRows(int r, float[] x, int xOff, float[] out, int o, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), f = g.factors(r, 0);
        FloatVector e0 = FloatVector.zero(F), o0 = e0, e1 = e0, o1 = e0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * SUB;
            FloatVector s0 = FloatVector.broadcast(F, m.get(FLOAT_LE, pf)), s1 = FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 4));
            FloatVector s2 = FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 8)), s3 = FloatVector.broadcast(F, m.get(FLOAT_LE, pf + 12));
            for (int k = 0; k < 16; k += L) {
                FloatVector xl = FloatVector.fromArray(F, x, xo + k), xh = FloatVector.fromArray(F, x, xo + 16 + k);
                e0 = Widen.s8(m, p + k).mul(s0).fma(xl, e0);
                o0 = Widen.s8(m, p + 16 + k).mul(s1).fma(xh, o0);
                e1 = Widen.s8(m, p + SUB + k).mul(s2).fma(xl, e1);
                o1 = Widen.s8(m, p + SUB + 16 + k).mul(s3).fma(xh, o1);
            }
        }
        KPairs.sums(e0.add(o0), e1.add(o1), out, o, add);
    }

    /**
     * Rows r, r + 1 times tokens at {@code xOff} and {@code xOff + cols} (L = 16: one vector per run), each run decoded
     * once for both; the accumulators' per-row sums to {@code sums} as {@link #putSums} reads them.
     */
    private void twoRowsTwoTokens(int r, float[] x, int xOff, float[] sums) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), f = g.factors(r, 0);
        int c = cols;
        FloatVector e00 = FloatVector.zero(F), o00 = e00, e10 = e00, o10 = e00, e01 = e00, o01 = e00, e11 = e00, o11 = e00;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * SUB;
            FloatVector u0 = Widen.s8(m, p).mul(m.get(FLOAT_LE, pf)), v0 = Widen.s8(m, p + 16).mul(m.get(FLOAT_LE, pf + 4));
            FloatVector u1 = Widen.s8(m, p + SUB).mul(m.get(FLOAT_LE, pf + 8)), v1 = Widen.s8(m, p + SUB + 16).mul(m.get(FLOAT_LE, pf + 12));
            FloatVector xl = FloatVector.fromArray(F, x, xo), xh = FloatVector.fromArray(F, x, xo + 16);
            e00 = u0.fma(xl, e00);
            o00 = v0.fma(xh, o00);
            e10 = u1.fma(xl, e10);
            o10 = v1.fma(xh, o10);
            xl = FloatVector.fromArray(F, x, xo + c);
            xh = FloatVector.fromArray(F, x, xo + c + 16);
            e01 = u0.fma(xl, e01);
            o01 = v0.fma(xh, o01);
            e11 = u1.fma(xl, e11);
            o11 = v1.fma(xh, o11);
        }
        e00.add(o00).intoArray(sums, 0);
        e10.add(o10).intoArray(sums, L);
        e01.add(o01).intoArray(sums, 2 * L);
        e11.add(o11).intoArray(sums, 3 * L);
    }

    /**
     * Rows r, r + 1 times four tokens' activations as {@link FourTokens#interleave} lays them out from {@code x[xOff]}
     * (L = 16): each run is decoded once ({@code (d·scale)·(q − 32)}) for the four tokens, 16 accumulators in registers;
     * their per-row sums to {@code sums} as {@link FourTokens#put} reads them.
     */
    private void twoRowsFourTokens(int r, float[] x, int xOff, float[] sums) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), f = g.factors(r, 0);
        FloatVector e00 = FloatVector.zero(F), o00 = e00, e10 = e00, o10 = e00, e01 = e00, o01 = e00, e11 = e00, o11 = e00;
        FloatVector e02 = e00, o02 = e00, e12 = e00, o12 = e00, e03 = e00, o03 = e00, e13 = e00, o13 = e00;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int xo = xOff + b * 4 * SUB;
            FloatVector u0 = Widen.s8(m, p).mul(m.get(FLOAT_LE, pf)), v0 = Widen.s8(m, p + 16).mul(m.get(FLOAT_LE, pf + 4));
            FloatVector u1 = Widen.s8(m, p + SUB).mul(m.get(FLOAT_LE, pf + 8)), v1 = Widen.s8(m, p + SUB + 16).mul(m.get(FLOAT_LE, pf + 12));
            FloatVector xl = FloatVector.fromArray(F, x, xo), xh = FloatVector.fromArray(F, x, xo + 16);
            e00 = u0.fma(xl, e00);
            o00 = v0.fma(xh, o00);
            e10 = u1.fma(xl, e10);
            o10 = v1.fma(xh, o10);
            xl = FloatVector.fromArray(F, x, xo + SUB);
            xh = FloatVector.fromArray(F, x, xo + SUB + 16);
            e01 = u0.fma(xl, e01);
            o01 = v0.fma(xh, o01);
            e11 = u1.fma(xl, e11);
            o11 = v1.fma(xh, o11);
            xl = FloatVector.fromArray(F, x, xo + 2 * SUB);
            xh = FloatVector.fromArray(F, x, xo + 2 * SUB + 16);
            e02 = u0.fma(xl, e02);
            o02 = v0.fma(xh, o02);
            e12 = u1.fma(xl, e12);
            o12 = v1.fma(xh, o12);
            xl = FloatVector.fromArray(F, x, xo + 3 * SUB);
            xh = FloatVector.fromArray(F, x, xo + 3 * SUB + 16);
            e03 = u0.fma(xl, e03);
            o03 = v0.fma(xh, o03);
            e13 = u1.fma(xl, e13);
            o13 = v1.fma(xh, o13);
        }
        e00.add(o00).intoArray(sums, 0);
        e10.add(o10).intoArray(sums, L);
        e01.add(o01).intoArray(sums, 2 * L);
        e11.add(o11).intoArray(sums, 3 * L);
        e02.add(o02).intoArray(sums, 4 * L);
        e12.add(o12).intoArray(sums, 5 * L);
        e03.add(o03).intoArray(sums, 6 * L);
        e13.add(o13).intoArray(sums, 7 * L);
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        if (lanes != null) {
            decodeFileRow(row, out, outOff);
            return;
        }
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), f = g.factors(row, 0);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st, pf = f + b * st;
            int o = outOff + b * SUB;
            float s0 = m.get(FLOAT_LE, pf), s1 = m.get(FLOAT_LE, pf + 4);
            for (int k = 0; k < 16; k += L) { // (d·scale)·(q − 32): the reference's operations
                Widen.s8(m, p + k).mul(s0).intoArray(out, o + k);
                Widen.s8(m, p + 16 + k).mul(s1).intoArray(out, o + 16 + k);
            }
        }
    }

    /**
     * {@link #dequantizeRow}'s operations on the file's blocks, L values of l at a time (so its bits): the row decoder of
     * the one-sequence copy, whose rows lie across vectors (prefill pages the file's blocks back in; they are clean
     * pages). The Vector API's own methods only, as Q4_K's {@code decodeFileRow}.
     */
    private void decodeFileRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64L * n, qh = p + 128 + 32L * n, sc = p + 192 + 8L * n;
                int o = outOff + b * BLOCK + 128 * n;
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(Lanes.B, data, ql + l, Lanes.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(Lanes.B, data, ql + 32 + l, Lanes.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(Lanes.B, data, qh + l, Lanes.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
                    float d0 = d * s8(sc + is), d1 = d * s8(sc + is + 2), d2 = d * s8(sc + is + 4), d3 = d * s8(sc + is + 6);
                    ((FloatVector) a.and(15).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0)).mul(d0).intoArray(out, o + l);
                    ((FloatVector) c.and(15).or(h.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0)).mul(d1).intoArray(out, o + l + 32);
                    ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).or(h.and(48)).sub(32).convert(VectorOperators.I2F, 0)).mul(d2).intoArray(out, o + l + 64);
                    ((FloatVector) c.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and(48)).sub(32).convert(VectorOperators.I2F, 0)).mul(d3).intoArray(out, o + l + 96);
                }
            }
        }
    }

    /** Value c's unsigned six-bit q (0..63) of the file's super-block at {@code p}: the repacked copies' source. */
    static int value(MemorySegment file, long p, int c) {
        int n = c / 128, l = c % 32, i = c % 128 / 32;
        int lo = (Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p + 64L * n + l + 32L * (i & 1))) >> 4 * (i >> 1)) & 15;
        int hi = (Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p + 128 + 32L * n + l)) >> 2 * i) & 3;
        return lo | hi << 4;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64L * n, qh = p + 128 + 32L * n, sc = p + 192 + 8L * n;
                int o = outOff + b * BLOCK + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = u8(ql + l), c = u8(ql + 32 + l), h = u8(qh + l);
                    out[o + l] = d * s8(sc + is) * (((a & 0xF) | ((h & 3) << 4)) - 32);
                    out[o + l + 32] = d * s8(sc + is + 2) * (((c & 0xF) | (((h >> 2) & 3) << 4)) - 32);
                    out[o + l + 64] = d * s8(sc + is + 4) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
                    out[o + l + 96] = d * s8(sc + is + 6) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }

    private int s8(long offset) {
        return data.get(ValueLayout.JAVA_BYTE, offset);
    }
}
