package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * The register tile of the batched path (a prompt chunk, a large decode batch): {@link #ROWS} decoded weight rows
 * against {@link #TOKENS} tokens in outer-product form. The tokens' activations are first transposed K-major
 * ({@link #transpose}: for each k, the values of {@link #TOKENS} tokens side by side), so per k the kernel loads two
 * vectors of activations (lanes = tokens), broadcasts one weight of each row and does sixteen multiply-adds into
 * sixteen accumulators: 10 loads per 16 FMAs, mostly from L1, where a dot-product tile needs 8 vector loads per 16
 * FMAs from L2.
 *
 * <p>Bits: each (row, token) result is one serial fused-multiply-add chain over k from +0,
 * {@code s = fma(w[k], x[k], s)}, whatever the tile, the K-block, the token block or padding lanes around it, so a
 * prompt token gets the same bits in any chunking and any batch on this path ({@link #chain} is that order in scalar
 * form, the reference of the tests and the path without scratch).
 */
final class OuterProduct {
    private OuterProduct() {}

    /** Rows of a tile (weights broadcast per k). */
    static final int ROWS = 8;
    /** Tokens of a tile: two vectors of lanes. */
    static final int TOKENS = 2 * L;
    /** Floats of one tile's accumulators. */
    static final int TILE_FLOATS = ROWS * TOKENS;
    /**
     * Values of k per pass over a tile's accumulators: a K-block of a token block's activations (KC × TOKENS floats,
     * 32 KB with AVX-512) and of a panel's rows stay in L1/L2 while every row group and token block of the panel uses them.
     */
    static final int KC = 256;

    /**
     * Tokens {@code [t0, t1)} of {@code x} (token t at {@code t·cols}) K-major into {@code xt[off ..]} in blocks of
     * {@link #TOKENS}: block b holds at {@code off + b·cols·TOKENS + k·TOKENS + i} the k-th activation of token
     * {@code t0 + b·TOKENS + i}, zero past t1 (lanes the tile computes and nobody reads). 
     */
    static void transpose(float[] x, int t0, int t1, int cols, float[] xt, int off) {
        for (int b = t0; b < t1; b += TOKENS) {
            int base = off + (b - t0) * cols, real = Math.min(TOKENS, t1 - b);
            int k0 = 0;
            if (L == SQUARE) { // 16 tokens × 16 values at a time, transposed in registers
                for (; k0 + SQUARE <= cols; k0 += SQUARE) {
                    square(x, b * cols + k0, (b + 8) * cols + k0, cols, real, xt, base + k0 * TOKENS, TOKENS, SQUARE, false);
                    square(x, (b + SQUARE) * cols + k0, (b + SQUARE + 8) * cols + k0, cols, real - SQUARE, xt, base + k0 * TOKENS + SQUARE, TOKENS, SQUARE, false);
                }
            }
            for (; k0 < cols; k0 += TRANSPOSE_K) { // a K-slice at a time: its lines of xt stay in L1 while every token fills them
                int k1 = Math.min(cols, k0 + TRANSPOSE_K);
                for (int i = 0; i < real; i++) {
                    int s = (b + i) * cols, d = base + i;
                    for (int k = k0; k < k1; k++) xt[d + k * TOKENS] = x[s + k];
                }
                for (int i = real; i < TOKENS; i++) {
                    for (int k = k0; k < k1; k++) xt[base + i + k * TOKENS] = 0;
                }
            }
        }
    }

    private static final int SQUARE = 16;
    /** Two-source permutes that swap the off-diagonal h × h blocks of each 2h × 2h block of a 16 × 16 square: rows a, a + h. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SWAP_LO = new VectorShuffle[4], SWAP_HI = new VectorShuffle[4];

    static {
        if (L == SQUARE) {
            for (int level = 0; level < 4; level++) {
                int h = 1 << level;
                int[] lo = new int[SQUARE], hi = new int[SQUARE];
                for (int i = 0; i < SQUARE; i++) {
                    lo[i] = (i & h) == 0 ? i : SQUARE + (i ^ h);
                    hi[i] = (i & h) != 0 ? SQUARE + i : (i ^ h);
                }
                SWAP_LO[level] = VectorShuffle.fromArray(F, lo, 0);
                SWAP_HI[level] = VectorShuffle.fromArray(F, hi, 0);
            }
        }
    }

    /**
     * A 16 × 16 square transposed in registers: its 16 rows of 16 floats (row t at {@code src[s0 + t·stride ..]} for
     * t &lt; 8, at {@code src[s1 + (t − 8)·stride ..]} after; rows from {@code real} on read as zeros) become column k at
     * {@code dst[d + k·dstStride ..]} for k &lt; {@code count}, stored or (with {@code add}) added to what is there:
     * 16 loads, 64 two-source rearranges, 16 stores, where scalar code does a load and a store per value. Used for the
     * tile's activations (tokens to K-major) and for its sums (two row groups' 16 tokens to token-major rows of out).
     */
    static void square(float[] src, int s0, int s1, int stride, int real, float[] dst, int d, int dstStride, int count, boolean add) {
        FloatVector r0 = real > 0 ? FloatVector.fromArray(F, src, s0 + 0 * stride) : FloatVector.zero(F);
        FloatVector r1 = real > 1 ? FloatVector.fromArray(F, src, s0 + 1 * stride) : FloatVector.zero(F);
        FloatVector r2 = real > 2 ? FloatVector.fromArray(F, src, s0 + 2 * stride) : FloatVector.zero(F);
        FloatVector r3 = real > 3 ? FloatVector.fromArray(F, src, s0 + 3 * stride) : FloatVector.zero(F);
        FloatVector r4 = real > 4 ? FloatVector.fromArray(F, src, s0 + 4 * stride) : FloatVector.zero(F);
        FloatVector r5 = real > 5 ? FloatVector.fromArray(F, src, s0 + 5 * stride) : FloatVector.zero(F);
        FloatVector r6 = real > 6 ? FloatVector.fromArray(F, src, s0 + 6 * stride) : FloatVector.zero(F);
        FloatVector r7 = real > 7 ? FloatVector.fromArray(F, src, s0 + 7 * stride) : FloatVector.zero(F);
        FloatVector r8 = real > 8 ? FloatVector.fromArray(F, src, s1 + 0 * stride) : FloatVector.zero(F);
        FloatVector r9 = real > 9 ? FloatVector.fromArray(F, src, s1 + 1 * stride) : FloatVector.zero(F);
        FloatVector r10 = real > 10 ? FloatVector.fromArray(F, src, s1 + 2 * stride) : FloatVector.zero(F);
        FloatVector r11 = real > 11 ? FloatVector.fromArray(F, src, s1 + 3 * stride) : FloatVector.zero(F);
        FloatVector r12 = real > 12 ? FloatVector.fromArray(F, src, s1 + 4 * stride) : FloatVector.zero(F);
        FloatVector r13 = real > 13 ? FloatVector.fromArray(F, src, s1 + 5 * stride) : FloatVector.zero(F);
        FloatVector r14 = real > 14 ? FloatVector.fromArray(F, src, s1 + 6 * stride) : FloatVector.zero(F);
        FloatVector r15 = real > 15 ? FloatVector.fromArray(F, src, s1 + 7 * stride) : FloatVector.zero(F);
        VectorShuffle<Float> lo = SWAP_LO[0], hi = SWAP_HI[0];
        FloatVector u, v;
        u = r0.rearrange(lo, r1); v = r0.rearrange(hi, r1); r0 = u; r1 = v;
        u = r2.rearrange(lo, r3); v = r2.rearrange(hi, r3); r2 = u; r3 = v;
        u = r4.rearrange(lo, r5); v = r4.rearrange(hi, r5); r4 = u; r5 = v;
        u = r6.rearrange(lo, r7); v = r6.rearrange(hi, r7); r6 = u; r7 = v;
        u = r8.rearrange(lo, r9); v = r8.rearrange(hi, r9); r8 = u; r9 = v;
        u = r10.rearrange(lo, r11); v = r10.rearrange(hi, r11); r10 = u; r11 = v;
        u = r12.rearrange(lo, r13); v = r12.rearrange(hi, r13); r12 = u; r13 = v;
        u = r14.rearrange(lo, r15); v = r14.rearrange(hi, r15); r14 = u; r15 = v;
        lo = SWAP_LO[1];
        hi = SWAP_HI[1];
        u = r0.rearrange(lo, r2); v = r0.rearrange(hi, r2); r0 = u; r2 = v;
        u = r1.rearrange(lo, r3); v = r1.rearrange(hi, r3); r1 = u; r3 = v;
        u = r4.rearrange(lo, r6); v = r4.rearrange(hi, r6); r4 = u; r6 = v;
        u = r5.rearrange(lo, r7); v = r5.rearrange(hi, r7); r5 = u; r7 = v;
        u = r8.rearrange(lo, r10); v = r8.rearrange(hi, r10); r8 = u; r10 = v;
        u = r9.rearrange(lo, r11); v = r9.rearrange(hi, r11); r9 = u; r11 = v;
        u = r12.rearrange(lo, r14); v = r12.rearrange(hi, r14); r12 = u; r14 = v;
        u = r13.rearrange(lo, r15); v = r13.rearrange(hi, r15); r13 = u; r15 = v;
        lo = SWAP_LO[2];
        hi = SWAP_HI[2];
        u = r0.rearrange(lo, r4); v = r0.rearrange(hi, r4); r0 = u; r4 = v;
        u = r1.rearrange(lo, r5); v = r1.rearrange(hi, r5); r1 = u; r5 = v;
        u = r2.rearrange(lo, r6); v = r2.rearrange(hi, r6); r2 = u; r6 = v;
        u = r3.rearrange(lo, r7); v = r3.rearrange(hi, r7); r3 = u; r7 = v;
        u = r8.rearrange(lo, r12); v = r8.rearrange(hi, r12); r8 = u; r12 = v;
        u = r9.rearrange(lo, r13); v = r9.rearrange(hi, r13); r9 = u; r13 = v;
        u = r10.rearrange(lo, r14); v = r10.rearrange(hi, r14); r10 = u; r14 = v;
        u = r11.rearrange(lo, r15); v = r11.rearrange(hi, r15); r11 = u; r15 = v;
        lo = SWAP_LO[3];
        hi = SWAP_HI[3];
        u = r0.rearrange(lo, r8); v = r0.rearrange(hi, r8); r0 = u; r8 = v;
        u = r1.rearrange(lo, r9); v = r1.rearrange(hi, r9); r1 = u; r9 = v;
        u = r2.rearrange(lo, r10); v = r2.rearrange(hi, r10); r2 = u; r10 = v;
        u = r3.rearrange(lo, r11); v = r3.rearrange(hi, r11); r3 = u; r11 = v;
        u = r4.rearrange(lo, r12); v = r4.rearrange(hi, r12); r4 = u; r12 = v;
        u = r5.rearrange(lo, r13); v = r5.rearrange(hi, r13); r5 = u; r13 = v;
        u = r6.rearrange(lo, r14); v = r6.rearrange(hi, r14); r6 = u; r14 = v;
        u = r7.rearrange(lo, r15); v = r7.rearrange(hi, r15); r7 = u; r15 = v;
        if (add) {
            if (count > 0) r0.add(FloatVector.fromArray(F, dst, d + 0 * dstStride)).intoArray(dst, d + 0 * dstStride);
            if (count > 1) r1.add(FloatVector.fromArray(F, dst, d + 1 * dstStride)).intoArray(dst, d + 1 * dstStride);
            if (count > 2) r2.add(FloatVector.fromArray(F, dst, d + 2 * dstStride)).intoArray(dst, d + 2 * dstStride);
            if (count > 3) r3.add(FloatVector.fromArray(F, dst, d + 3 * dstStride)).intoArray(dst, d + 3 * dstStride);
            if (count > 4) r4.add(FloatVector.fromArray(F, dst, d + 4 * dstStride)).intoArray(dst, d + 4 * dstStride);
            if (count > 5) r5.add(FloatVector.fromArray(F, dst, d + 5 * dstStride)).intoArray(dst, d + 5 * dstStride);
            if (count > 6) r6.add(FloatVector.fromArray(F, dst, d + 6 * dstStride)).intoArray(dst, d + 6 * dstStride);
            if (count > 7) r7.add(FloatVector.fromArray(F, dst, d + 7 * dstStride)).intoArray(dst, d + 7 * dstStride);
            if (count > 8) r8.add(FloatVector.fromArray(F, dst, d + 8 * dstStride)).intoArray(dst, d + 8 * dstStride);
            if (count > 9) r9.add(FloatVector.fromArray(F, dst, d + 9 * dstStride)).intoArray(dst, d + 9 * dstStride);
            if (count > 10) r10.add(FloatVector.fromArray(F, dst, d + 10 * dstStride)).intoArray(dst, d + 10 * dstStride);
            if (count > 11) r11.add(FloatVector.fromArray(F, dst, d + 11 * dstStride)).intoArray(dst, d + 11 * dstStride);
            if (count > 12) r12.add(FloatVector.fromArray(F, dst, d + 12 * dstStride)).intoArray(dst, d + 12 * dstStride);
            if (count > 13) r13.add(FloatVector.fromArray(F, dst, d + 13 * dstStride)).intoArray(dst, d + 13 * dstStride);
            if (count > 14) r14.add(FloatVector.fromArray(F, dst, d + 14 * dstStride)).intoArray(dst, d + 14 * dstStride);
            if (count > 15) r15.add(FloatVector.fromArray(F, dst, d + 15 * dstStride)).intoArray(dst, d + 15 * dstStride);
            return;
        }
        if (count > 0) r0.intoArray(dst, d + 0 * dstStride);
        if (count > 1) r1.intoArray(dst, d + 1 * dstStride);
        if (count > 2) r2.intoArray(dst, d + 2 * dstStride);
        if (count > 3) r3.intoArray(dst, d + 3 * dstStride);
        if (count > 4) r4.intoArray(dst, d + 4 * dstStride);
        if (count > 5) r5.intoArray(dst, d + 5 * dstStride);
        if (count > 6) r6.intoArray(dst, d + 6 * dstStride);
        if (count > 7) r7.intoArray(dst, d + 7 * dstStride);
        if (count > 8) r8.intoArray(dst, d + 8 * dstStride);
        if (count > 9) r9.intoArray(dst, d + 9 * dstStride);
        if (count > 10) r10.intoArray(dst, d + 10 * dstStride);
        if (count > 11) r11.intoArray(dst, d + 11 * dstStride);
        if (count > 12) r12.intoArray(dst, d + 12 * dstStride);
        if (count > 13) r13.intoArray(dst, d + 13 * dstStride);
        if (count > 14) r14.intoArray(dst, d + 14 * dstStride);
        if (count > 15) r15.intoArray(dst, d + 15 * dstStride);
    }

    /** Values of k per slice of {@link #transpose}: 64 × {@link #TOKENS} floats, 8 KB with AVX-512. */
    private static final int TRANSPOSE_K = 64;

    /**
     * One tile over {@code k ∈ [k0, k1)}: rows {@code w[wOff + r·cols ..]} (r &lt; {@link #ROWS}) against a token block
     * at {@code xt[xtOff ..]} ({@link #transpose}'s layout), continuing the accumulators stored at {@code acc[accOff ..]}
     * ({@link #TILE_FLOATS}: row r's {@link #TOKENS} sums at {@code accOff + r·TOKENS}) and storing them back.
     * Its own small method: C2 must inline every vector operation here or it boxes them.
     */
    static void tile(float[] w, int wOff, int cols, int k0, int k1, float[] xt, int xtOff, float[] acc, int accOff) {
        int w0 = wOff, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols, w4 = w3 + cols, w5 = w4 + cols, w6 = w5 + cols, w7 = w6 + cols;
        FloatVector a00 = FloatVector.fromArray(F, acc, accOff), a01 = FloatVector.fromArray(F, acc, accOff + L);
        FloatVector a10 = FloatVector.fromArray(F, acc, accOff + 2 * L), a11 = FloatVector.fromArray(F, acc, accOff + 3 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, accOff + 4 * L), a21 = FloatVector.fromArray(F, acc, accOff + 5 * L);
        FloatVector a30 = FloatVector.fromArray(F, acc, accOff + 6 * L), a31 = FloatVector.fromArray(F, acc, accOff + 7 * L);
        FloatVector a40 = FloatVector.fromArray(F, acc, accOff + 8 * L), a41 = FloatVector.fromArray(F, acc, accOff + 9 * L);
        FloatVector a50 = FloatVector.fromArray(F, acc, accOff + 10 * L), a51 = FloatVector.fromArray(F, acc, accOff + 11 * L);
        FloatVector a60 = FloatVector.fromArray(F, acc, accOff + 12 * L), a61 = FloatVector.fromArray(F, acc, accOff + 13 * L);
        FloatVector a70 = FloatVector.fromArray(F, acc, accOff + 14 * L), a71 = FloatVector.fromArray(F, acc, accOff + 15 * L);
        for (int k = k0; k < k1; k++) {
            int xi = xtOff + k * TOKENS;
            FloatVector y0 = FloatVector.fromArray(F, xt, xi), y1 = FloatVector.fromArray(F, xt, xi + L);
            FloatVector b = FloatVector.broadcast(F, w[w0 + k]);
            a00 = y0.fma(b, a00);
            a01 = y1.fma(b, a01);
            b = FloatVector.broadcast(F, w[w1 + k]);
            a10 = y0.fma(b, a10);
            a11 = y1.fma(b, a11);
            b = FloatVector.broadcast(F, w[w2 + k]);
            a20 = y0.fma(b, a20);
            a21 = y1.fma(b, a21);
            b = FloatVector.broadcast(F, w[w3 + k]);
            a30 = y0.fma(b, a30);
            a31 = y1.fma(b, a31);
            b = FloatVector.broadcast(F, w[w4 + k]);
            a40 = y0.fma(b, a40);
            a41 = y1.fma(b, a41);
            b = FloatVector.broadcast(F, w[w5 + k]);
            a50 = y0.fma(b, a50);
            a51 = y1.fma(b, a51);
            b = FloatVector.broadcast(F, w[w6 + k]);
            a60 = y0.fma(b, a60);
            a61 = y1.fma(b, a61);
            b = FloatVector.broadcast(F, w[w7 + k]);
            a70 = y0.fma(b, a70);
            a71 = y1.fma(b, a71);
        }
        a00.intoArray(acc, accOff); a01.intoArray(acc, accOff + L);
        a10.intoArray(acc, accOff + 2 * L); a11.intoArray(acc, accOff + 3 * L);
        a20.intoArray(acc, accOff + 4 * L); a21.intoArray(acc, accOff + 5 * L);
        a30.intoArray(acc, accOff + 6 * L); a31.intoArray(acc, accOff + 7 * L);
        a40.intoArray(acc, accOff + 8 * L); a41.intoArray(acc, accOff + 9 * L);
        a50.intoArray(acc, accOff + 10 * L); a51.intoArray(acc, accOff + 11 * L);
        a60.intoArray(acc, accOff + 12 * L); a61.intoArray(acc, accOff + 13 * L);
        a70.intoArray(acc, accOff + 14 * L); a71.intoArray(acc, accOff + 15 * L);
    }

    /**
     * {@link #tile} for a token block whose tokens all sit in its first vector of lanes (16 or fewer with AVX-512: a
     * small batch, the end of a chunk): the same chains, without the multiply-adds of the empty second vector.
     * (Sixteen rows per pass, to hide the multiply-add's latency better, ran slower: C2 kept the sixteen row bases on the stack.)
     */
    static void halfTile(float[] w, int wOff, int cols, int k0, int k1, float[] xt, int xtOff, float[] acc, int accOff) {
        int w0 = wOff, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols, w4 = w3 + cols, w5 = w4 + cols, w6 = w5 + cols, w7 = w6 + cols;
        FloatVector a0 = FloatVector.fromArray(F, acc, accOff), a1 = FloatVector.fromArray(F, acc, accOff + 2 * L);
        FloatVector a2 = FloatVector.fromArray(F, acc, accOff + 4 * L), a3 = FloatVector.fromArray(F, acc, accOff + 6 * L);
        FloatVector a4 = FloatVector.fromArray(F, acc, accOff + 8 * L), a5 = FloatVector.fromArray(F, acc, accOff + 10 * L);
        FloatVector a6 = FloatVector.fromArray(F, acc, accOff + 12 * L), a7 = FloatVector.fromArray(F, acc, accOff + 14 * L);
        for (int k = k0; k < k1; k++) {
            FloatVector y = FloatVector.fromArray(F, xt, xtOff + k * TOKENS);
            a0 = y.fma(FloatVector.broadcast(F, w[w0 + k]), a0);
            a1 = y.fma(FloatVector.broadcast(F, w[w1 + k]), a1);
            a2 = y.fma(FloatVector.broadcast(F, w[w2 + k]), a2);
            a3 = y.fma(FloatVector.broadcast(F, w[w3 + k]), a3);
            a4 = y.fma(FloatVector.broadcast(F, w[w4 + k]), a4);
            a5 = y.fma(FloatVector.broadcast(F, w[w5 + k]), a5);
            a6 = y.fma(FloatVector.broadcast(F, w[w6 + k]), a6);
            a7 = y.fma(FloatVector.broadcast(F, w[w7 + k]), a7);
        }
        a0.intoArray(acc, accOff); a1.intoArray(acc, accOff + 2 * L);
        a2.intoArray(acc, accOff + 4 * L); a3.intoArray(acc, accOff + 6 * L);
        a4.intoArray(acc, accOff + 8 * L); a5.intoArray(acc, accOff + 10 * L);
        a6.intoArray(acc, accOff + 12 * L); a7.intoArray(acc, accOff + 14 * L);
    }

    /**
     * {@link #tile} over one K-block of a decoded slice ({@link WeightTensor}'s sliced path): row r's {@code n} values
     * at {@code w[wOff + r·KC ..]}, against the token block's K-block at {@code xt[xtOff ..]}. The rows' constant stride
     * lets C2 address all eight from one base (a displacement each) where {@link #tile} keeps eight bases and spills
     * five to the stack. The same chains in the same order, so the same bits.
     */
    static void sliceTile(float[] w, int wOff, int n, float[] xt, int xtOff, float[] acc, int accOff) {
        FloatVector a00 = FloatVector.fromArray(F, acc, accOff), a01 = FloatVector.fromArray(F, acc, accOff + L);
        FloatVector a10 = FloatVector.fromArray(F, acc, accOff + 2 * L), a11 = FloatVector.fromArray(F, acc, accOff + 3 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, accOff + 4 * L), a21 = FloatVector.fromArray(F, acc, accOff + 5 * L);
        FloatVector a30 = FloatVector.fromArray(F, acc, accOff + 6 * L), a31 = FloatVector.fromArray(F, acc, accOff + 7 * L);
        FloatVector a40 = FloatVector.fromArray(F, acc, accOff + 8 * L), a41 = FloatVector.fromArray(F, acc, accOff + 9 * L);
        FloatVector a50 = FloatVector.fromArray(F, acc, accOff + 10 * L), a51 = FloatVector.fromArray(F, acc, accOff + 11 * L);
        FloatVector a60 = FloatVector.fromArray(F, acc, accOff + 12 * L), a61 = FloatVector.fromArray(F, acc, accOff + 13 * L);
        FloatVector a70 = FloatVector.fromArray(F, acc, accOff + 14 * L), a71 = FloatVector.fromArray(F, acc, accOff + 15 * L);
        for (int k = 0; k < n; k++) {
            int xi = xtOff + k * TOKENS, wi = wOff + k;
            FloatVector y0 = FloatVector.fromArray(F, xt, xi), y1 = FloatVector.fromArray(F, xt, xi + L);
            FloatVector b = FloatVector.broadcast(F, w[wi]);
            a00 = y0.fma(b, a00);
            a01 = y1.fma(b, a01);
            b = FloatVector.broadcast(F, w[wi + KC]);
            a10 = y0.fma(b, a10);
            a11 = y1.fma(b, a11);
            b = FloatVector.broadcast(F, w[wi + 2 * KC]);
            a20 = y0.fma(b, a20);
            a21 = y1.fma(b, a21);
            b = FloatVector.broadcast(F, w[wi + 3 * KC]);
            a30 = y0.fma(b, a30);
            a31 = y1.fma(b, a31);
            b = FloatVector.broadcast(F, w[wi + 4 * KC]);
            a40 = y0.fma(b, a40);
            a41 = y1.fma(b, a41);
            b = FloatVector.broadcast(F, w[wi + 5 * KC]);
            a50 = y0.fma(b, a50);
            a51 = y1.fma(b, a51);
            b = FloatVector.broadcast(F, w[wi + 6 * KC]);
            a60 = y0.fma(b, a60);
            a61 = y1.fma(b, a61);
            b = FloatVector.broadcast(F, w[wi + 7 * KC]);
            a70 = y0.fma(b, a70);
            a71 = y1.fma(b, a71);
        }
        a00.intoArray(acc, accOff); a01.intoArray(acc, accOff + L);
        a10.intoArray(acc, accOff + 2 * L); a11.intoArray(acc, accOff + 3 * L);
        a20.intoArray(acc, accOff + 4 * L); a21.intoArray(acc, accOff + 5 * L);
        a30.intoArray(acc, accOff + 6 * L); a31.intoArray(acc, accOff + 7 * L);
        a40.intoArray(acc, accOff + 8 * L); a41.intoArray(acc, accOff + 9 * L);
        a50.intoArray(acc, accOff + 10 * L); a51.intoArray(acc, accOff + 11 * L);
        a60.intoArray(acc, accOff + 12 * L); a61.intoArray(acc, accOff + 13 * L);
        a70.intoArray(acc, accOff + 14 * L); a71.intoArray(acc, accOff + 15 * L);
    }

    /** {@link #sliceTile} for a token block whose tokens all sit in its first vector of lanes, as {@link #halfTile}. */
    static void sliceHalfTile(float[] w, int wOff, int n, float[] xt, int xtOff, float[] acc, int accOff) {
        FloatVector a0 = FloatVector.fromArray(F, acc, accOff), a1 = FloatVector.fromArray(F, acc, accOff + 2 * L);
        FloatVector a2 = FloatVector.fromArray(F, acc, accOff + 4 * L), a3 = FloatVector.fromArray(F, acc, accOff + 6 * L);
        FloatVector a4 = FloatVector.fromArray(F, acc, accOff + 8 * L), a5 = FloatVector.fromArray(F, acc, accOff + 10 * L);
        FloatVector a6 = FloatVector.fromArray(F, acc, accOff + 12 * L), a7 = FloatVector.fromArray(F, acc, accOff + 14 * L);
        for (int k = 0; k < n; k++) {
            int wi = wOff + k;
            FloatVector y = FloatVector.fromArray(F, xt, xtOff + k * TOKENS);
            a0 = y.fma(FloatVector.broadcast(F, w[wi]), a0);
            a1 = y.fma(FloatVector.broadcast(F, w[wi + KC]), a1);
            a2 = y.fma(FloatVector.broadcast(F, w[wi + 2 * KC]), a2);
            a3 = y.fma(FloatVector.broadcast(F, w[wi + 3 * KC]), a3);
            a4 = y.fma(FloatVector.broadcast(F, w[wi + 4 * KC]), a4);
            a5 = y.fma(FloatVector.broadcast(F, w[wi + 5 * KC]), a5);
            a6 = y.fma(FloatVector.broadcast(F, w[wi + 6 * KC]), a6);
            a7 = y.fma(FloatVector.broadcast(F, w[wi + 7 * KC]), a7);
        }
        a0.intoArray(acc, accOff); a1.intoArray(acc, accOff + 2 * L);
        a2.intoArray(acc, accOff + 4 * L); a3.intoArray(acc, accOff + 6 * L);
        a4.intoArray(acc, accOff + 8 * L); a5.intoArray(acc, accOff + 10 * L);
        a6.intoArray(acc, accOff + 12 * L); a7.intoArray(acc, accOff + 14 * L);
    }

    /**
     * {@link #sliceTile} over a K-block decoded column by column ({@link WeightTensor}'s column panels): value k of row r
     * at {@code w[wOff + k·L + r]}, so the eight rows' weights of one k sit side by side. The same chains in the same
     * order, so the same bits.
     */
    static void columnTile(float[] w, int wOff, int n, float[] xt, int xtOff, float[] acc, int accOff) {
        FloatVector a00 = FloatVector.fromArray(F, acc, accOff), a01 = FloatVector.fromArray(F, acc, accOff + L);
        FloatVector a10 = FloatVector.fromArray(F, acc, accOff + 2 * L), a11 = FloatVector.fromArray(F, acc, accOff + 3 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, accOff + 4 * L), a21 = FloatVector.fromArray(F, acc, accOff + 5 * L);
        FloatVector a30 = FloatVector.fromArray(F, acc, accOff + 6 * L), a31 = FloatVector.fromArray(F, acc, accOff + 7 * L);
        FloatVector a40 = FloatVector.fromArray(F, acc, accOff + 8 * L), a41 = FloatVector.fromArray(F, acc, accOff + 9 * L);
        FloatVector a50 = FloatVector.fromArray(F, acc, accOff + 10 * L), a51 = FloatVector.fromArray(F, acc, accOff + 11 * L);
        FloatVector a60 = FloatVector.fromArray(F, acc, accOff + 12 * L), a61 = FloatVector.fromArray(F, acc, accOff + 13 * L);
        FloatVector a70 = FloatVector.fromArray(F, acc, accOff + 14 * L), a71 = FloatVector.fromArray(F, acc, accOff + 15 * L);
        for (int k = 0; k < n; k++) {
            int xi = xtOff + k * TOKENS, wi = wOff + k * L;
            FloatVector y0 = FloatVector.fromArray(F, xt, xi), y1 = FloatVector.fromArray(F, xt, xi + L);
            FloatVector b = FloatVector.broadcast(F, w[wi]);
            a00 = y0.fma(b, a00);
            a01 = y1.fma(b, a01);
            b = FloatVector.broadcast(F, w[wi + 1]);
            a10 = y0.fma(b, a10);
            a11 = y1.fma(b, a11);
            b = FloatVector.broadcast(F, w[wi + 2]);
            a20 = y0.fma(b, a20);
            a21 = y1.fma(b, a21);
            b = FloatVector.broadcast(F, w[wi + 3]);
            a30 = y0.fma(b, a30);
            a31 = y1.fma(b, a31);
            b = FloatVector.broadcast(F, w[wi + 4]);
            a40 = y0.fma(b, a40);
            a41 = y1.fma(b, a41);
            b = FloatVector.broadcast(F, w[wi + 5]);
            a50 = y0.fma(b, a50);
            a51 = y1.fma(b, a51);
            b = FloatVector.broadcast(F, w[wi + 6]);
            a60 = y0.fma(b, a60);
            a61 = y1.fma(b, a61);
            b = FloatVector.broadcast(F, w[wi + 7]);
            a70 = y0.fma(b, a70);
            a71 = y1.fma(b, a71);
        }
        a00.intoArray(acc, accOff); a01.intoArray(acc, accOff + L);
        a10.intoArray(acc, accOff + 2 * L); a11.intoArray(acc, accOff + 3 * L);
        a20.intoArray(acc, accOff + 4 * L); a21.intoArray(acc, accOff + 5 * L);
        a30.intoArray(acc, accOff + 6 * L); a31.intoArray(acc, accOff + 7 * L);
        a40.intoArray(acc, accOff + 8 * L); a41.intoArray(acc, accOff + 9 * L);
        a50.intoArray(acc, accOff + 10 * L); a51.intoArray(acc, accOff + 11 * L);
        a60.intoArray(acc, accOff + 12 * L); a61.intoArray(acc, accOff + 13 * L);
        a70.intoArray(acc, accOff + 14 * L); a71.intoArray(acc, accOff + 15 * L);
    }

    /** {@link #columnTile} for a token block whose tokens all sit in its first vector of lanes, as {@link #halfTile}. */
    static void columnHalfTile(float[] w, int wOff, int n, float[] xt, int xtOff, float[] acc, int accOff) {
        FloatVector a0 = FloatVector.fromArray(F, acc, accOff), a1 = FloatVector.fromArray(F, acc, accOff + 2 * L);
        FloatVector a2 = FloatVector.fromArray(F, acc, accOff + 4 * L), a3 = FloatVector.fromArray(F, acc, accOff + 6 * L);
        FloatVector a4 = FloatVector.fromArray(F, acc, accOff + 8 * L), a5 = FloatVector.fromArray(F, acc, accOff + 10 * L);
        FloatVector a6 = FloatVector.fromArray(F, acc, accOff + 12 * L), a7 = FloatVector.fromArray(F, acc, accOff + 14 * L);
        for (int k = 0; k < n; k++) {
            int wi = wOff + k * L;
            FloatVector y = FloatVector.fromArray(F, xt, xtOff + k * TOKENS);
            a0 = y.fma(FloatVector.broadcast(F, w[wi]), a0);
            a1 = y.fma(FloatVector.broadcast(F, w[wi + 1]), a1);
            a2 = y.fma(FloatVector.broadcast(F, w[wi + 2]), a2);
            a3 = y.fma(FloatVector.broadcast(F, w[wi + 3]), a3);
            a4 = y.fma(FloatVector.broadcast(F, w[wi + 4]), a4);
            a5 = y.fma(FloatVector.broadcast(F, w[wi + 5]), a5);
            a6 = y.fma(FloatVector.broadcast(F, w[wi + 6]), a6);
            a7 = y.fma(FloatVector.broadcast(F, w[wi + 7]), a7);
        }
        a0.intoArray(acc, accOff); a1.intoArray(acc, accOff + 2 * L);
        a2.intoArray(acc, accOff + 4 * L); a3.intoArray(acc, accOff + 6 * L);
        a4.intoArray(acc, accOff + 8 * L); a5.intoArray(acc, accOff + 10 * L);
        a6.intoArray(acc, accOff + 12 * L); a7.intoArray(acc, accOff + 14 * L);
    }

    /** Σ_k w[wOff + k]·x[xOff + k] as the tile computes each (row, token): one fused multiply-add chain from +0 in k order. */
    static float chain(float[] w, int wOff, float[] x, int xOff, int n) {
        float s = 0;
        for (int k = 0; k < n; k++) s = Math.fma(w[wOff + k], x[xOff + k], s);
        return s;
    }
}
