package io.backstop.engine.backend.gguf.tensor;

/**
 * {@link WeightTensor#matmul}'s tile path, from {@link WeightTensor#tileFrom} tokens on (a prompt chunk, a large batch):
 * rows decoded once into scratch in panels (whole rows, K-slices of rows, or K-blocks of L rows column by column, as the
 * type decodes them) and multiplied with every token there by {@link OuterProduct}'s register tile. Every (row, token)
 * gets the bits of one fused multiply-add chain over the row ({@link OuterProduct#chain}), whichever panel it took.
 */
final class TilePath {
    private TilePath() {}

    /**
     * The tile path. Scratch: a panel of up to {@link #PANEL_ROWS} decoded rows, the tiles' accumulators, and up to
     * {@link #TILE_TOKENS} tokens transposed K-major ({@link OuterProduct#transpose}) with a copy of the activations they
     * came from. Each panel is decoded once for all those tokens and run K-block by K-block ({@link OuterProduct#KC}),
     * every token block against every row group of the panel, so the K-block's activations and rows stay in L1/L2.
     */
    static void tiles(WeightTensor w, float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int p = scratch.length >= tileScratch(PANEL_ROWS, w.cols) ? PANEL_ROWS : OuterProduct.ROWS;
        int tokens = OuterProduct.TOKENS;
        int most = (scratch.length - TILE_META - p * w.cols) / (p + 2 * w.cols) / tokens * tokens; // the layout depends on the scratch and cols only
        int span = Math.min((n + tokens - 1) / tokens * tokens, most);
        int acc = p * w.cols, copy = acc + p * most, xt = copy + most * w.cols;
        for (int t0 = 0; t0 < n; t0 += span) {
            int t1 = Math.min(n, t0 + span);
            transposed(w, x, t0, t1, scratch, copy, xt);
            for (int r = from; r < to; r += p) panel(w, r, Math.min(p, to - r), t0, t1, out, outOff, outStride, add, scratch, acc, xt);
        }
    }

    /**
     * The tile path of a type that decodes K-slices of rows ({@link WeightTensor#decodeSlice}): per panel of up to
     * {@link #SLICE_ROWS} rows, each K-block's slice of every row is decoded just before the tiles use it
     * ({@link OuterProduct#sliceTile}), so decoded weights go to L1/L2 and back instead of a panel of whole rows
     * through L2/L3, and a panel can be taller (the activations stream from L3 once per panel). The transposition
     * sits where {@link #tiles} keeps it (the same copy, so either path may reuse the other's); the slice and the
     * accumulators sit below it. Same chains, same bits. Returns false (nothing done) when the type decodes no
     * slices or the scratch holds too few rows.
     */
    static boolean sliced(WeightTensor w, float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int p = scratch.length >= tileScratch(PANEL_ROWS, w.cols) ? PANEL_ROWS : OuterProduct.ROWS;
        int tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, kc = OuterProduct.KC;
        int most = (scratch.length - TILE_META - p * w.cols) / (p + 2 * w.cols) / tokens * tokens; // as tiles(): the same copy and transposition
        int span = Math.min((n + tokens - 1) / tokens * tokens, most);
        int copy = p * w.cols + p * most, xt = copy + most * w.cols;
        int l = Lanes.L, room = copy / (kc + span);
        int colPanel = Math.min(Math.min(SLICE_ROWS, (to - from + l - 1) / l * l), room / l * l);
        boolean columns = from % l == 0 && colPanel >= l && w.decodeColumns(from, 0, 0, scratch, 0);
        int panel = columns ? colPanel : Math.min(Math.min(SLICE_ROWS, (to - from + height - 1) / height * height), room / height * height);
        if (!columns && (panel < height || !w.decodeSlice(from, 0, 0, scratch, 0))) return false;
        for (int t0 = 0; t0 < n; t0 += span) {
            int t1 = Math.min(n, t0 + span);
            transposed(w, x, t0, t1, scratch, copy, xt);
            for (int r = from; r < to; r += panel) {
                if (columns) columnPanel(w, r, Math.min(panel, to - r), t0, t1, out, outOff, outStride, add, scratch, panel * kc, xt);
                else slicedPanel(w, r, Math.min(panel, to - r), t0, t1, out, outOff, outStride, add, scratch, panel * kc, xt);
            }
        }
        return true;
    }

    /** Rows {@code [r, r + rows)} against the transposed tokens {@code [t0, t1)}, K-block by K-block from decoded slices at {@code scratch[0 ..]}. */
    private static void slicedPanel(WeightTensor w, int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc, int xt) {
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, kc = OuterProduct.KC;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        java.util.Arrays.fill(scratch, acc, acc + groups * blocks * tile, 0f);
        for (int k0 = 0; k0 < w.cols; k0 += kc) {
            int k1 = Math.min(w.cols, k0 + kc), kn = k1 - k0;
            for (int i = 0; i < rows; i++) w.decodeSlice(r + i, k0, k1, scratch, i * kc);
            for (int b = 0; b < blocks; b++) {
                int x0 = xt + b * w.cols * tokens + k0 * tokens;
                boolean half = t1 - t0 - b * tokens <= Lanes.L;
                for (int g = 0; g < groups; g++) {
                    int sums = acc + (g * blocks + b) * tile;
                    if (half) OuterProduct.sliceHalfTile(scratch, g * height * kc, kn, scratch, x0, scratch, sums);
                    else OuterProduct.sliceTile(scratch, g * height * kc, kn, scratch, x0, scratch, sums);
                }
            }
        }
        putTiles(r, rows, t0, t1, out, outOff, outStride, add, scratch, acc);
    }

    /**
     * {@link #slicedPanel} for a type that decodes K-blocks of L rows at once, column by column ({@link WeightTensor#decodeColumns}):
     * each group of L rows' K-block lies k-major ({@code L} floats per k), and a tile's eight rows are eight neighbouring
     * lanes of it. Q4_0 decodes these from its lanes copy, which decoding reads anyway, instead of paging in the file's
     * blocks row by row: one widening load and one multiply-add give one value of L rows. Same chains, same bits.
     */
    private static void columnPanel(WeightTensor w, int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc, int xt) {
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, kc = OuterProduct.KC, l = Lanes.L;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        java.util.Arrays.fill(scratch, acc, acc + groups * blocks * tile, 0f);
        for (int k0 = 0; k0 < w.cols; k0 += kc) {
            int k1 = Math.min(w.cols, k0 + kc), kn = k1 - k0;
            for (int i = 0; i < rows; i += l) w.decodeColumns(r + i, k0, k1, scratch, i * kc);
            for (int b = 0; b < blocks; b++) {
                int x0 = xt + b * w.cols * tokens + k0 * tokens;
                boolean half = t1 - t0 - b * tokens <= l;
                for (int g = 0; g < groups; g++) {
                    int sums = acc + (g * blocks + b) * tile, wi = g * height / l * l * kc + g * height % l;
                    if (half) OuterProduct.columnHalfTile(scratch, wi, kn, scratch, x0, scratch, sums);
                    else OuterProduct.columnTile(scratch, wi, kn, scratch, x0, scratch, sums);
                }
            }
        }
        putTiles(r, rows, t0, t1, out, outOff, outStride, add, scratch, acc);
    }

    /** Rows a panel of the sliced tile path holds at most: its accumulators for 128 tokens weigh 64 KB. */
    static final int SLICE_ROWS = 128;

    /**
     * Tokens {@code [t0, t1)} transposed at {@code scratch[xt ..]}, unless they already are: the q, k and v heads, and
     * gate and up, are separate products of the same activations, and so are a product's chunks on one thread, and a
     * transposition costs a store per float (a third of a 64-row head's product). Under a declaration
     * ({@link #declare}) the record of the last transposition says whether it holds these activations; without one,
     * the copy at {@code copy} is compared with them (a vectorized read, but of every float: a 256-token chunk of a
     * 5632-wide product reads 5.8 MB per call, a sixth of the product's time in 16 chunks). The copy lies below the
     * transposition, so a kernel that used the scratch from its start spoils the copy first and never goes unseen;
     * products off the tile path {@link #forget} the record, so none trusts a transposition they may have overwritten.
     */
    private static void transposed(WeightTensor w, float[] x, int t0, int t1, float[] scratch, int copy, int xt) {
        int meta = scratch.length - TILE_META, floats = (t1 - t0) * w.cols;
        int declared = Float.floatToRawIntBits(scratch[meta + DECLARED]), held = Float.floatToRawIntBits(scratch[meta + HELD]);
        if (scratch[meta] == w.cols && scratch[meta + 1] == t0 && scratch[meta + 2] == t1
                && (declared != 0 ? held == declared
                        : held == 0 && java.util.Arrays.equals(x, t0 * w.cols, t1 * w.cols, scratch, copy, copy + floats))) return;
        scratch[meta] = 0; // invalid until written
        OuterProduct.transpose(x, t0, t1, w.cols, scratch, xt);
        if (declared == 0) System.arraycopy(x, t0 * w.cols, scratch, copy, floats);
        scratch[meta + HELD] = Float.intBitsToFloat(declared);
        scratch[meta + 1] = t0;
        scratch[meta + 2] = t1;
        scratch[meta] = w.cols;
    }

    /**
     * Floats at the end of the tile path's scratch saying what its transposed tokens are ({@link #transposed}): width,
     * first and end token, the declaration they were transposed under ({@link #HELD}, 0 for none: then the copy
     * holds them), and the declaration in force ({@link #DECLARED}).
     */
    static final int TILE_META = 5;
    private static final int HELD = 3, DECLARED = 4;

    /** See {@link WeightTensor#declareActivations}. */
    static void declare(float[] scratch, int version) {
        if (scratch.length >= TILE_META) scratch[scratch.length - TILE_META + DECLARED] = Float.intBitsToFloat(version);
    }

    /**
     * Makes the tile path transpose afresh and withdraws the declaration: a product off the tile path may have written
     * over the transposition and the record (left there, its values could pass for a declaration).
     */
    static void forget(float[] scratch) {
        if (scratch.length < TILE_META) return;
        int meta = scratch.length - TILE_META;
        scratch[meta] = 0;
        scratch[meta + HELD] = 0;
        scratch[meta + DECLARED] = 0;
    }

    /**
     * Rows {@code [r, r + rows)} against the transposed tokens {@code [t0, t1)}. The last row group may reach past
     * {@code rows} into the panel's stale floats: those lanes are computed and never read.
     */
    private static void panel(WeightTensor w, int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc, int xt) {
        for (int k = 0; k < rows; k++) w.decodeRow(r + k, scratch, k * w.cols);
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        java.util.Arrays.fill(scratch, acc, acc + groups * blocks * tile, 0f);
        for (int k0 = 0; k0 < w.cols; k0 += OuterProduct.KC) {
            int k1 = Math.min(w.cols, k0 + OuterProduct.KC);
            for (int b = 0; b < blocks; b++) {
                int x0 = xt + b * w.cols * tokens;
                boolean half = t1 - t0 - b * tokens <= Lanes.L; // every token of the block in its first vector
                for (int g = 0; g < groups; g++) {
                    int sums = acc + (g * blocks + b) * tile;
                    if (half) OuterProduct.halfTile(scratch, g * height * w.cols, w.cols, k0, k1, scratch, x0, scratch, sums);
                    else OuterProduct.tile(scratch, g * height * w.cols, w.cols, k0, k1, scratch, x0, scratch, sums);
                }
            }
        }
        putTiles(r, rows, t0, t1, out, outOff, outStride, add, scratch, acc);
    }

    /**
     * The accumulators of a panel's tiles (row group g, token block b at {@code acc + (g·blocks + b)·TILE_FLOATS}) to
     * {@code out}. Two full row groups' 16 tokens form a 16 × 16 square, transposed in registers to each token's 16
     * rows ({@link OuterProduct#square}); the rest (a last odd or partial group, or without 16 lanes) value by value.
     */
    private static void putTiles(int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc) {
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, l = Lanes.L;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        int g = 0;
        if (Lanes.VECTOR && l == 2 * height) {
            for (; (g + 2) * height <= rows; g += 2) {
                for (int b = 0; b < blocks; b++) {
                    int sums = acc + (g * blocks + b) * tile, next = sums + blocks * tile, tb = t0 + b * tokens;
                    for (int i = 0; i < tokens && tb + i < t1; i += l) { // tokens tb + i .. of the pair's 16 rows
                        OuterProduct.square(scratch, sums + i, next + i, tokens, l, out, outOff + (tb + i) * outStride + r + g * height, outStride, Math.min(l, t1 - tb - i), add);
                    }
                }
            }
        }
        for (; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                int sums = acc + (g * blocks + b) * tile, tb = t0 + b * tokens;
                for (int i = 0; i < tokens && tb + i < t1; i++) {
                    int o = outOff + (tb + i) * outStride + r + g * height;
                    for (int h = 0; h < height && g * height + h < rows; h++) WeightTensor.put(out, o + h, scratch[sums + h * tokens + i], add);
                }
            }
        }
    }

    /** Rows decoded at once for the tile path, given the scratch ({@link WeightTensor#scratchFloats}): a multiple of {@link OuterProduct#ROWS}. */
    static final int PANEL_ROWS = 32;
    /** Tokens transposed at once for the tile path, given the scratch: a prompt chunk's 256 tokens ({@code ForwardPass.CHUNK}) decode each row once. */
    static final int TILE_TOKENS = 256;

    /** Without room for the tile (or without vectors): each row decoded once, then {@link OuterProduct#chain} per token, the tile's bits. */
    static void oneRowAtATime(WeightTensor w, float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        float[] row = scratch.length >= w.cols ? scratch : new float[w.cols];
        for (int r = from; r < to; r++) {
            w.decodeRow(r, row, 0);
            for (int t = 0; t < n; t++) WeightTensor.put(out, outOff + t * outStride + r, OuterProduct.chain(row, 0, x, t * w.cols, w.cols), add);
        }
    }

    /** Scratch for the tile path with panels of {@code rows} rows and one token block: the rows, the accumulators, the activations and their transposition. */
    static int tileScratch(int rows, int cols) {
        return rows * cols + OuterProduct.TOKENS * (rows + 2 * cols) + TILE_META;
    }

    /** Scratch floats per thread that run a prompt chunk of {@link #TILE_TOKENS} tokens through the tile in full panels. */
    static int scratchFloats(int cols) {
        return PANEL_ROWS * cols + TILE_TOKENS * (PANEL_ROWS + 2 * cols) + TILE_META;
    }
}
