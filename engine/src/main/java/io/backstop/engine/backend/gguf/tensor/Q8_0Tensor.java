package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0: blocks of 32 values, {@code d} (F16) then 32 signed bytes; value = d·q.
 *
 * <p>Repacked at load time ({@link RowGroups}): two rows' blocks side by side, scales as F32, so one
 * load of the activations serves two rows and no F16 is converted per block. The one-sequence copy
 * ({@link DecodeLayout#ONE_SEQUENCE}) is {@link Q8_0Lanes} instead (rows in lanes, each quad one stream); prefill
 * then decodes rows from the file ({@link #decodeFileRow}).
 */
public final class Q8_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 34;

    /** The row pairs ({@link DecodeLayout#BATCH}, or without vectors), or null. */
    private final RowGroups g;
    /** The one-sequence copy ({@link Q8_0Lanes}), or null. */
    private final Q8_0Lanes lanes;

    Q8_0Tensor(String name, MemorySegment data, int rows, int cols) {
        this(name, data, rows, cols, DecodeLayout.BATCH);
    }

    /** The row pairs for {@link DecodeLayout#BATCH}; {@link Q8_0Lanes}' quads for {@link DecodeLayout#ONE_SEQUENCE} (with vectors). */
    Q8_0Tensor(String name, MemorySegment data, int rows, int cols, DecodeLayout layout) {
        super(name, data, rows, cols);
        if (layout == DecodeLayout.ONE_SEQUENCE && Lanes.VECTOR) {
            lanes = Q8_0Lanes.repack(data, rows, cols / BLOCK);
            g = null;
            if (data.isMapped()) data.unload(); // read once; prefill decodes rows from the file again (decodeFileRow)
            return;
        }
        lanes = null;
        g = RowGroups.repack(data, rows, cols / BLOCK, BYTES, BLOCK);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        if (lanes != null) return lanes.dot(row, x, xOff);
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(row, 0), d = g.scale(row, 0);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < g.blocks; b++) { // one induction variable: C2 hoists the bounds checks
            long p = q + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector s = Widen.s8(m, p).mul(FloatVector.fromArray(F, x, xo));
            for (int k = L; k < BLOCK; k += L) s = Widen.s8(m, p + k).fma(FloatVector.fromArray(F, x, xo + k), s);
            acc = s.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, d + b * st)), acc);
        }
        return Lanes.sum(acc);
    }

    /**
     * Two rows per pass, four then two tokens per widened block, each row and token with the operations of {@link #dot}
     * (see {@link Q4_0Tensor#fusedRows}). The driver repeats Q4_0's on purpose: one shared driver would see both types'
     * kernels at its call sites, and C2 inlining two types' kernels into one compilation unit is what ran out of its
     * node budget and boxed the vectors of the 4×4 tile path (the {@code dontinline decodeRow} flag, README).
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
        boolean pairs = scratch.length >= SUMS;
        int t = 0;
        for (; FourTokens.APPLIES && scratch.length >= FourTokens.scratchFloats(cols) && t + 4 <= n; t += 4) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            FourTokens.interleave(x, xOff, cols, scratch);
            if ((r & 1) != 0 && r < to) oneRow(r++, x, t, 4, out, outOff, outStride, add);
            for (; r + 2 <= to; r += 2) {
                FourTokens.q8_0(g, r, scratch, FourTokens.SUMS, scratch);
                FourTokens.put(scratch, out, o + r, outStride, add);
            }
            if (r < to) oneRow(r, x, t, 4, out, outOff, outStride, add);
        }
        for (; pairs && t + 2 <= n; t += 2) {
            int o = outOff + t * outStride, xOff = t * cols, r = from;
            if ((r & 1) != 0 && r < to) oneRow(r++, x, t, 2, out, outOff, outStride, add);
            for (; r + 2 <= to; r += 2) {
                twoRowsTwoTokens(r, x, xOff, scratch);
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

    private void oneRow(int r, float[] x, int t0, int n, float[] out, int outOff, int outStride, boolean add) {
        for (int t = t0; t < t0 + n; t++) put(out, outOff + t * outStride + r, dot(r, x, t * cols), add);
    }

    /** Rows r, r + 1 times tokens at {@code xOff} and {@code xOff + cols}, each block widened once for both (see {@link Q4_0Tensor#twoRowsTwoTokens}). */
    private void twoRowsTwoTokens(int r, float[] x, int xOff, float[] sums) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        int c = cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector w0 = Widen.s8(m, p), w1 = Widen.s8(m, p + BLOCK);
            FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + c);
            FloatVector s00 = w0.mul(x0), s01 = w0.mul(x1), s10 = w1.mul(x0), s11 = w1.mul(x1);
            for (int k = L; k < BLOCK; k += L) {
                w0 = Widen.s8(m, p + k);
                w1 = Widen.s8(m, p + BLOCK + k);
                x0 = FloatVector.fromArray(F, x, xo + k);
                x1 = FloatVector.fromArray(F, x, xo + c + k);
                s00 = w0.fma(x0, s00);
                s10 = w1.fma(x0, s10);
                s01 = w0.fma(x1, s01);
                s11 = w1.fma(x1, s11);
            }
            FloatVector d0 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), d1 = FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4));
            a00 = s00.fma(d0, a00);
            a01 = s01.fma(d0, a01);
            a10 = s10.fma(d1, a10);
            a11 = s11.fma(d1, a11);
        }
        a00.intoArray(sums, 0);
        a10.intoArray(sums, L);
        a01.intoArray(sums, 2 * L);
        a11.intoArray(sums, 3 * L);
    }

    /** Small batches stay on {@link #fusedRows} (see {@link Q4_0Tensor#fusedBelow}); measured with AVX-512 only. */
    @Override
    int fusedBelow() {
        return L == 16 || lanes != null ? PAIRED_FUSED_BELOW : FUSED_BELOW;
    }

    @Override
    String fusedPath(int n, int scratchFloats) {
        return lanes != null ? L + " rows in lanes (quads, token by token) × " + n + (n == 1 ? " token" : " tokens") : super.fusedPath(n, scratchFloats);
    }

    private void twoRows(int r, float[] x, int xOff, float[] out, int o, boolean add) {
        MemorySegment m = g.packed;
        long st = g.stride;
        long q = g.quants(r, 0), d = g.scale(r, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            long ps = d + b * st;
            int xo = xOff + b * BLOCK;
            FloatVector x0 = FloatVector.fromArray(F, x, xo);
            FloatVector s0 = Widen.s8(m, p).mul(x0), s1 = Widen.s8(m, p + BLOCK).mul(x0);
            for (int k = L; k < BLOCK; k += L) {
                FloatVector xk = FloatVector.fromArray(F, x, xo + k);
                s0 = Widen.s8(m, p + k).fma(xk, s0);
                s1 = Widen.s8(m, p + BLOCK + k).fma(xk, s1);
            }
            a0 = s0.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, m.get(FLOAT_LE, ps + 4)), a1);
        }
        put(out, o, Lanes.sum(a0), add);
        put(out, o + 1, Lanes.sum(a1), add);
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
        long q = g.quants(row, 0), ds = g.scale(row, 0);
        for (int b = 0; b < g.blocks; b++) {
            long p = q + b * st;
            int o = outOff + b * BLOCK;
            float d = m.get(FLOAT_LE, ds + b * st);
            for (int k = 0; k < BLOCK; k += L) Widen.s8(m, p + k).mul(d).intoArray(out, o + k);
        }
    }

    /**
     * {@link #dequantizeRow}'s values from the file's blocks, L at a time: the row decoder of the lanes, whose rows lie
     * across vectors (prefill pages the file's blocks back in; they are clean pages). The Vector API's own methods
     * only, as Q6_K's {@code decodeFileRow}.
     */
    private void decodeFileRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            for (int k = 0; k < BLOCK; k += L) {
                ((FloatVector) ByteVector.fromMemorySegment(Lanes.B, data, p + 2 + k, Lanes.LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, outOff + b * BLOCK + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        if (g == null) { // the file's blocks: the same values as the row pairs' (an F16 d is exact in F32)
            long p = row * rowBytes;
            for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
                float d = f16(p);
                for (int j = 0; j < BLOCK; j++) out[outOff + b * BLOCK + j] = data.get(ValueLayout.JAVA_BYTE, p + 2 + j) * d;
            }
            return;
        }
        for (int b = 0; b < g.blocks; b++) {
            long p = g.quants(row, b);
            float d = g.packed.get(FLOAT_LE, g.scale(row, b));
            for (int j = 0; j < BLOCK; j++) out[outOff + b * BLOCK + j] = g.packed.get(ValueLayout.JAVA_BYTE, p + j) * d;
        }
    }
}
