package io.backstop.engine.backend.gguf.tensor;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix of one GGUF tensor type, read in place from the file's mapping: {@code rows} rows of
 * {@code cols} values, each row a run of blocks. Every type has its own {@link #dot} on the Vector API
 * (weights decoded in registers, activations F32, fused multiply-add) and a scalar
 * {@link #dequantizeRow} that follows llama.cpp's block layout literally: the reference the tests hold
 * the vector kernels to. Immutable and thread-safe.
 */
public abstract sealed class WeightTensor
        permits F32Tensor, F16Tensor, Bf16Tensor, Q8_0Tensor, Q4_0Tensor, Q4_1Tensor, Q5_0Tensor, Q5_1Tensor,
                Q4_KTensor, Q5_KTensor, Q6_KTensor {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    final MemorySegment data;
    final int rows;
    final int cols;
    final long rowBytes;

    WeightTensor(String name, MemorySegment data, int rows, int cols) {
        this.name = name;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type().bytesFor(cols);
        if (data.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + " rows of " + rowBytes);
        }
    }

    public abstract GgmlType type();

    /** Σ_j W[row][j]·x[xOff + j] over the row's {@code cols} values. */
    public abstract float dot(int row, float[] x, int xOff);

    /** Writes row {@code row} as floats to {@code out[outOff ..]}: the scalar reference of this type. */
    public abstract void dequantizeRow(int row, float[] out, int outOff);

    public final String name() {
        return name;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    /** Bytes of one row. */
    public final long rowBytes() {
        return rowBytes;
    }

    public final long byteSize() {
        return rowBytes * rows;
    }

    /**
     * Writes row {@code row} as floats, vectorized where the type has a vector decoder; equal to
     * {@link #dequantizeRow} bit for bit (same float operations, no fused multiply-add).
     */
    public void decodeRow(int row, float[] out, int outOff) {
        dequantizeRow(row, out, outOff);
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)}: {@code out[outOff + t·outStride + r] (+)= W[r]·x[t·cols ..]}.
     * Fewer than {@link #fusedBelow} tokens: the fused kernel ({@link #fusedRows}: {@link #dot}'s operations
     * per row and token), so a sequence gets the same bits in a small batch as alone. More (a prompt chunk, a
     * large batch): rows are decoded once into {@code scratch} in panels and multiplied with all n tokens there. From
     * {@link #TILE_FROM} tokens on by {@link OuterProduct}'s register tile (with {@link #scratchFloats} of scratch), else
     * one row at a time in scalar code; both give every (row, token) the bits of one fused multiply-add chain over the
     * row ({@link OuterProduct#chain}), so a prompt token gets the same bits in any chunking of 16 or more tokens.
     * Between {@link #fusedBelow} and {@link #TILE_FROM} (types without a multi-token fused kernel), a 4×4 tile in
     * dot-product form ({@link Dot}), which gives a token the same bits in every batch of that range.
     *
     * @param add accumulate into {@code out} (a residual connection) instead of overwriting it
     */
    public final void matmul(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (n < fusedBelow()) {
            // A decode step of a few sequences: decoding into registers beats a round trip through scratch at
            // this width (2 tokens through scratch cost more than 2 single-token steps; see fusedBelow).
            fusedRows(x, n, out, outOff, outStride, from, to, add, scratch);
            return;
        }
        batched(x, n, out, outOff, outStride, from, to, add, scratch);
    }

    /**
     * {@link #matmul} for a decode step, whose n tokens are n different sequences' next ones: below {@link #decodeBelow}
     * tokens they take the fused kernel, so a decoding token gets the bits it gets alone in larger steps too. Prompt
     * chunks keep {@link #matmul} (a prompt token gets the tile's bits in any chunking of {@link #tileFrom} tokens or more).
     */
    public final void matmul(float[] x, int n, boolean decode, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (decode && n < decodeBelow()) fusedRows(x, n, out, outOff, outStride, from, to, add, scratch);
        else matmul(x, n, out, outOff, outStride, from, to, add, scratch);
    }

    /** Decode steps below this many tokens take {@link #fusedRows}; a type whose fused kernel beats the tile further up raises it. */
    int decodeBelow() {
        return fusedBelow();
    }

    /**
     * {@link #matmul} from {@link #fusedBelow} tokens on. Its own method so that {@code matmul}, which every decode
     * step's products go through, stays a few bytecodes for C2 to inline into the compute pool's tasks.
     */
    private void batched(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (n < TILE_FROM && scratch.length >= cols) {
            // 4–15 tokens of a type without a multi-token fused kernel: the tile would fill a fraction of its
            // token lanes and transpose for few tokens; rows decoded once, then dot-product form (Dot).
            int r = from;
            if (scratch.length >= smallTileScratch(cols)) r = fourRowsAtATime(x, n, out, outOff, outStride, from, to, add, scratch);
            oneRowFourTokens(x, n, out, outOff, outStride, r, to, add, scratch);
            scratch[scratch.length - TILE_META] = 0; // Dot's sums lie over the tile path's record of its transposed tokens
        } else if (Lanes.VECTOR && scratch.length >= tileScratch(OuterProduct.ROWS, cols)) {
            if (!sliced(x, n, out, outOff, outStride, from, to, add, scratch)) tiles(x, n, out, outOff, outStride, from, to, add, scratch);
        } else {
            oneRowAtATime(x, n, out, outOff, outStride, from, to, add, scratch);
        }
    }

    // The loops of matmul are separate methods, each its own small compilation unit for C2's inlining
    // budgets: with the fused loop written inside matmul, one load run's batched steps ran 6× slower. Fresh
    // JVMs still vary in batched throughput from run to run (the README's batching section says what the JIT
    // does there), so compare within a run.

    /**
     * Small batches ({@code n <} {@link #TILE_FROM}) four rows at a time against four tokens at a time (a 4×4 register
     * tile in dot-product form, {@link Dot#dot4x4}), in panels of up to {@link #SMALL_PANEL_ROWS} rows decoded once for
     * the n tokens; returns the first row not done. Each (row, token) gets {@link Dot#dot}'s bits.
     */
    private int fourRowsAtATime(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int sums = scratch.length - Dot.TILE_SUMS;
        int panel = Math.min(SMALL_PANEL_ROWS, sums / cols) & -4;
        int r = from;
        while (to - r >= 4) {
            int p = Math.min(panel, (to - r) & -4);
            for (int k = 0; k < p; k++) decodeRow(r + k, scratch, k * cols);
            for (int g = 0; g < p; g += 4) {
                int o = outOff + r + g, t = 0;
                for (; t + 4 <= n; t += 4) Dot.dot4x4(scratch, g * cols, x, t, cols, out, o, outStride, add, scratch, sums);
                for (; t < n; t++) {
                    for (int k = 0; k < 4; k++) put(out, o + t * outStride + k, Dot.dot(scratch, (g + k) * cols, x, t * cols, cols), add);
                }
            }
            r += p;
        }
        return r;
    }

    /** Small batches without room for the 4×4 tile, or its leftover rows: one decoded row against four tokens at a time, {@link Dot#dot}'s bits. */
    private void oneRowFourTokens(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        for (int r = from; r < to; r++) {
            decodeRow(r, scratch, 0);
            int t = 0;
            for (; t + 4 <= n; t += 4) Dot.dot4(scratch, x, t, cols, out, outOff + r, outStride, add);
            for (; t < n; t++) put(out, outOff + t * outStride + r, Dot.dot(scratch, 0, x, t * cols, cols), add);
        }
    }

    /** From this many tokens on, products run through the {@link OuterProduct} tile; below it (and from {@link #fusedBelow}), the small-batch path. */
    static final int TILE_FROM = 16;
    /** Rows the small-batch path decodes at once, given the scratch. */
    private static final int SMALL_PANEL_ROWS = 16;

    /** The least scratch for the small-batch 4×4 tile: four decoded rows and the tile's sums. */
    private static int smallTileScratch(int cols) {
        return 4 * cols + Dot.TILE_SUMS;
    }

    /** The first batch size that takes the {@link OuterProduct} tile. */
    final int tileFrom() {
        return Math.max(fusedBelow(), TILE_FROM);
    }

    /**
     * The tile path. Scratch: a panel of up to {@link #PANEL_ROWS} decoded rows, the tiles' accumulators, and up to
     * {@link #TILE_TOKENS} tokens transposed K-major ({@link OuterProduct#transpose}) with a copy of the activations they
     * came from. Each panel is decoded once for all those tokens and run K-block by K-block ({@link OuterProduct#KC}),
     * every token block against every row group of the panel, so the K-block's activations and rows stay in L1/L2.
     */
    private void tiles(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int p = scratch.length >= tileScratch(PANEL_ROWS, cols) ? PANEL_ROWS : OuterProduct.ROWS;
        int tokens = OuterProduct.TOKENS;
        int most = (scratch.length - TILE_META - p * cols) / (p + 2 * cols) / tokens * tokens; // the layout depends on the scratch and cols only
        int span = Math.min((n + tokens - 1) / tokens * tokens, most);
        int acc = p * cols, copy = acc + p * most, xt = copy + most * cols;
        for (int t0 = 0; t0 < n; t0 += span) {
            int t1 = Math.min(n, t0 + span);
            transposed(x, t0, t1, scratch, copy, xt);
            for (int r = from; r < to; r += p) panel(r, Math.min(p, to - r), t0, t1, out, outOff, outStride, add, scratch, acc, xt);
        }
    }

    /**
     * The tile path of a type that decodes K-slices of rows ({@link #decodeSlice}): per panel of up to
     * {@link #SLICE_ROWS} rows, each K-block's slice of every row is decoded just before the tiles use it
     * ({@link OuterProduct#sliceTile}), so decoded weights go to L1/L2 and back instead of a panel of whole rows
     * through L2/L3, and a panel can be taller (the activations stream from L3 once per panel). The transposition
     * sits where {@link #tiles} keeps it (the same copy, so either path may reuse the other's); the slice and the
     * accumulators sit below it. Same chains, same bits. Returns false (nothing done) when the type decodes no
     * slices or the scratch holds too few rows.
     */
    private boolean sliced(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int p = scratch.length >= tileScratch(PANEL_ROWS, cols) ? PANEL_ROWS : OuterProduct.ROWS;
        int tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, kc = OuterProduct.KC;
        int most = (scratch.length - TILE_META - p * cols) / (p + 2 * cols) / tokens * tokens; // as tiles(): the same copy and transposition
        int span = Math.min((n + tokens - 1) / tokens * tokens, most);
        int copy = p * cols + p * most, xt = copy + most * cols;
        int l = Lanes.L, room = copy / (kc + span);
        int colPanel = Math.min(Math.min(SLICE_ROWS, (to - from + l - 1) / l * l), room / l * l);
        boolean columns = from % l == 0 && colPanel >= l && decodeColumns(from, 0, 0, scratch, 0);
        int panel = columns ? colPanel : Math.min(Math.min(SLICE_ROWS, (to - from + height - 1) / height * height), room / height * height);
        if (!columns && (panel < height || !decodeSlice(from, 0, 0, scratch, 0))) return false;
        for (int t0 = 0; t0 < n; t0 += span) {
            int t1 = Math.min(n, t0 + span);
            transposed(x, t0, t1, scratch, copy, xt);
            for (int r = from; r < to; r += panel) {
                if (columns) columnPanel(r, Math.min(panel, to - r), t0, t1, out, outOff, outStride, add, scratch, panel * kc, xt);
                else slicedPanel(r, Math.min(panel, to - r), t0, t1, out, outOff, outStride, add, scratch, panel * kc, xt);
            }
        }
        return true;
    }

    /** Rows {@code [r, r + rows)} against the transposed tokens {@code [t0, t1)}, K-block by K-block from decoded slices at {@code scratch[0 ..]}. */
    private void slicedPanel(int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc, int xt) {
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, kc = OuterProduct.KC;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        java.util.Arrays.fill(scratch, acc, acc + groups * blocks * tile, 0f);
        for (int k0 = 0; k0 < cols; k0 += kc) {
            int k1 = Math.min(cols, k0 + kc), kn = k1 - k0;
            for (int i = 0; i < rows; i++) decodeSlice(r + i, k0, k1, scratch, i * kc);
            for (int b = 0; b < blocks; b++) {
                int x0 = xt + b * cols * tokens + k0 * tokens;
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
     * {@link #slicedPanel} for a type that decodes K-blocks of L rows at once, column by column ({@link #decodeColumns}):
     * each group of L rows' K-block lies k-major ({@code L} floats per k), and a tile's eight rows are eight neighbouring
     * lanes of it. Q4_0 decodes these from its lanes copy, which decoding reads anyway, instead of paging in the file's
     * blocks row by row: one widening load and one multiply-add give one value of L rows. Same chains, same bits.
     */
    private void columnPanel(int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc, int xt) {
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS, kc = OuterProduct.KC, l = Lanes.L;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        java.util.Arrays.fill(scratch, acc, acc + groups * blocks * tile, 0f);
        for (int k0 = 0; k0 < cols; k0 += kc) {
            int k1 = Math.min(cols, k0 + kc), kn = k1 - k0;
            for (int i = 0; i < rows; i += l) decodeColumns(r + i, k0, k1, scratch, i * kc);
            for (int b = 0; b < blocks; b++) {
                int x0 = xt + b * cols * tokens + k0 * tokens;
                boolean half = t1 - t0 - b * tokens <= l;
                for (int g = 0; g < groups; g++) {
                    int sums = acc + (g * blocks + b) * tile, w = g * height / l * l * kc + g * height % l;
                    if (half) OuterProduct.columnHalfTile(scratch, w, kn, scratch, x0, scratch, sums);
                    else OuterProduct.columnTile(scratch, w, kn, scratch, x0, scratch, sums);
                }
            }
        }
        putTiles(r, rows, t0, t1, out, outOff, outStride, add, scratch, acc);
    }

    /**
     * Writes values {@code [k0, k1)} of rows {@code [row, row + L)} ({@code row} a multiple of {@link Lanes#L}) as
     * {@link #decodeRow} writes them, value k of row {@code row + j} at {@code out[off + (k − k0)·L + j]}, and returns
     * true; or returns false if the type has no such decoder (then {@link #decodeSlice} or whole rows). Rows past the
     * tensor's decode as zeros. {@code k0}, {@code k1} as for {@link #decodeSlice}; {@code k0 == k1} only asks.
     */
    boolean decodeColumns(int row, int k0, int k1, float[] out, int off) {
        return false;
    }

    /** Rows a panel of the sliced tile path holds at most: its accumulators for 128 tokens weigh 64 KB. */
    static final int SLICE_ROWS = 128;

    /**
     * Writes values {@code [k0, k1)} of row {@code row} as {@link #decodeRow} writes them to {@code out[off ..]} and
     * returns true, or returns false if the type does not decode slices (then {@link #matmul} decodes whole rows).
     * {@code k0} is a multiple of {@link OuterProduct#KC}, {@code k1} one too or {@code cols}; {@code k0 == k1} only asks.
     */
    boolean decodeSlice(int row, int k0, int k1, float[] out, int off) {
        return false;
    }

    /**
     * Tokens {@code [t0, t1)} transposed at {@code scratch[xt ..]}, unless they already are: the q, k and v heads, and
     * gate and up, are separate products of the same activations, and a transposition costs a store per float (a
     * third of a 64-row head's product), while comparing with the copy at {@code copy} is a vectorized read. The
     * last {@link #TILE_META} floats say which tokens of which width the copy holds; the copy lies below the
     * transposition, so a kernel that used the scratch from its start spoils the copy first and never goes unseen.
     */
    private void transposed(float[] x, int t0, int t1, float[] scratch, int copy, int xt) {
        int meta = scratch.length - TILE_META, floats = (t1 - t0) * cols;
        if (scratch[meta] == cols && scratch[meta + 1] == t0 && scratch[meta + 2] == t1
                && java.util.Arrays.equals(x, t0 * cols, t1 * cols, scratch, copy, copy + floats)) return;
        scratch[meta] = 0; // invalid until both are written
        OuterProduct.transpose(x, t0, t1, cols, scratch, xt);
        System.arraycopy(x, t0 * cols, scratch, copy, floats);
        scratch[meta] = cols;
        scratch[meta + 1] = t0;
        scratch[meta + 2] = t1;
    }

    /** Floats at the end of the tile path's scratch saying what its transposed tokens are ({@link #transposed}). */
    private static final int TILE_META = 3;

    /**
     * Rows {@code [r, r + rows)} against the transposed tokens {@code [t0, t1)}. The last row group may reach past
     * {@code rows} into the panel's stale floats: those lanes are computed and never read.
     */
    private void panel(int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc, int xt) {
        for (int k = 0; k < rows; k++) decodeRow(r + k, scratch, k * cols);
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        java.util.Arrays.fill(scratch, acc, acc + groups * blocks * tile, 0f);
        for (int k0 = 0; k0 < cols; k0 += OuterProduct.KC) {
            int k1 = Math.min(cols, k0 + OuterProduct.KC);
            for (int b = 0; b < blocks; b++) {
                int x0 = xt + b * cols * tokens;
                boolean half = t1 - t0 - b * tokens <= Lanes.L; // every token of the block in its first vector
                for (int g = 0; g < groups; g++) {
                    int sums = acc + (g * blocks + b) * tile;
                    if (half) OuterProduct.halfTile(scratch, g * height * cols, cols, k0, k1, scratch, x0, scratch, sums);
                    else OuterProduct.tile(scratch, g * height * cols, cols, k0, k1, scratch, x0, scratch, sums);
                }
            }
        }
        putTiles(r, rows, t0, t1, out, outOff, outStride, add, scratch, acc);
    }

    /** The accumulators of a panel's tiles (row group g, token block b at {@code acc + (g·blocks + b)·TILE_FLOATS}) to {@code out}. */
    private static void putTiles(int r, int rows, int t0, int t1, float[] out, int outOff, int outStride, boolean add, float[] scratch, int acc) {
        int tile = OuterProduct.TILE_FLOATS, tokens = OuterProduct.TOKENS, height = OuterProduct.ROWS;
        int groups = (rows + height - 1) / height, blocks = (t1 - t0 + tokens - 1) / tokens;
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                int sums = acc + (g * blocks + b) * tile, tb = t0 + b * tokens;
                for (int i = 0; i < tokens && tb + i < t1; i++) {
                    int o = outOff + (tb + i) * outStride + r + g * height;
                    for (int h = 0; h < height && g * height + h < rows; h++) put(out, o + h, scratch[sums + h * tokens + i], add);
                }
            }
        }
    }

    /** Rows decoded at once for the tile path, given the scratch ({@link #scratchFloats}): a multiple of {@link OuterProduct#ROWS}. */
    static final int PANEL_ROWS = 32;
    /** Tokens transposed at once for the tile path, given the scratch: a prompt chunk's 128 tokens decode each row once. */
    static final int TILE_TOKENS = 128;

    /** Without room for the tile (or without vectors): each row decoded once, then {@link OuterProduct#chain} per token, the tile's bits. */
    private void oneRowAtATime(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        float[] row = scratch.length >= cols ? scratch : new float[cols];
        for (int r = from; r < to; r++) {
            decodeRow(r, row, 0);
            for (int t = 0; t < n; t++) put(out, outOff + t * outStride + r, OuterProduct.chain(row, 0, x, t * cols, cols), add);
        }
    }

    /**
     * Rows {@code [from, to)} times tokens {@code [0, n)} with the fused kernel, {@code n < fusedBelow()}:
     * {@code out[outOff + t·outStride + r] (+)= W[r]·x[t·cols ..]}. This default runs {@link #dot} per row and
     * token; a type overrides it to decode each block once for all n tokens (and/or several rows per pass).
     * An override must give every token exactly the bits {@link #dot} gives it alone (the same float
     * operations in the same order per token), so a sequence decodes the same tokens alone and in a batch.
     */
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add) {
        for (int r = from; r < to; r++) {
            for (int t = 0; t < n; t++) put(out, outOff + t * outStride + r, dot(r, x, t * cols), add);
        }
    }

    /**
     * {@link #fusedRows} with the caller's scratch, which a type's multi-token kernel may use to hand its
     * accumulators out of its own compilation unit (vectors passed to a call that C2 does not inline get boxed).
     * Same contract as {@link #fusedRows}; this default ignores the scratch.
     */
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        fusedRows(x, n, out, outOff, outStride, from, to, add);
    }

    /** Floats of scratch a two-rows × two-tokens kernel stores its four accumulator vectors in, for {@link #putSums}. */
    static final int SUMS = 4 * Lanes.L;

    /**
     * Writes the results of a two-rows × two-tokens kernel from its stored accumulators ({@code sums}: row 0
     * token 0, row 1 token 0, row 0 token 1, row 1 token 1), each reduced as {@link Lanes#sum} reduces it in registers.
     */
    static void putSums(float[] sums, float[] out, int o, int outStride, boolean add) {
        int l = Lanes.L;
        put(out, o, Lanes.sum(sums, 0), add);
        put(out, o + 1, Lanes.sum(sums, l), add);
        put(out, o + outStride, Lanes.sum(sums, 2 * l), add);
        put(out, o + outStride + 1, Lanes.sum(sums, 3 * l), add);
    }

    /** Writes a kernel's result: {@code out[o] = v}, or {@code out[o] += v} for a residual connection. */
    static void put(float[] out, int o, float v, boolean add) {
        out[o] = add ? out[o] + v : v;
    }

    /** Batches below this many tokens run the fused single-token kernel per token; from it on, rows are decoded once into scratch. */
    static final int FUSED_BELOW = 4;

    /**
     * Batches below this many tokens go to {@link #fusedRows}, larger ones through scratch and the tiles. A type
     * whose {@link #fusedRows} decodes each block once for several tokens moves it up to where its JMH A/B
     * (batch 1, 2, 4, 8) shows the tiles winning.
     */
    int fusedBelow() {
        return FUSED_BELOW;
    }

    /**
     * {@link #fusedBelow} of a type whose {@link #fusedRows} takes two rows × four tokens per pass ({@link FourTokens};
     * Q4_0, Q8_0 with AVX-512), then two × two: at 8 tokens it beat the tiles by 1.1–1.3× at 2048×2048, 5632×2048 and
     * 2048×5632 (the README's batching section), and it gives a token the bits of {@link #dot} in every batch below this.
     */
    static final int PAIRED_FUSED_BELOW = 16;

    /**
     * The path {@link #matmul} takes for {@code n} tokens with {@code scratchFloats} of scratch, named for
     * benchmark tables: the fused kernel (two rows × four tokens per pass, then two × two, for the types whose
     * {@link #fusedBelow} is {@link #PAIRED_FUSED_BELOW}, else the type's kernel token by token), the tile ({@link OuterProduct}: "8×32 tile"
     * with AVX-512), or one row at a time in scalar code.
     */
    public final String matmulPath(int n, int scratchFloats) {
        if (n < fusedBelow()) return fusedPath(n, scratchFloats);
        if (n < TILE_FROM && scratchFloats >= cols) return scratchFloats >= smallTileScratch(cols) ? "4×4 tile" : "1 row × 4 tokens";
        return Lanes.VECTOR && scratchFloats >= tileScratch(OuterProduct.ROWS, cols) ? OuterProduct.ROWS + "×" + OuterProduct.TOKENS + " tile" : "1 row, scalar";
    }

    /** {@link #matmulPath} below {@link #fusedBelow}: which fused kernel runs; a type with a kernel of its own names it. */
    String fusedPath(int n, int scratchFloats) {
        if (n == 1) return "fused, 1 token";
        if (fusedBelow() != PAIRED_FUSED_BELOW || scratchFloats < SUMS) return "fused, per token";
        return n >= FourTokens.TOKENS && FourTokens.APPLIES && scratchFloats >= FourTokens.scratchFloats(cols) ? "fused, 2 rows × 4 tokens" : "fused, 2 rows × 2 tokens";
    }

    /** Scratch for the tile path with panels of {@code rows} rows and one token block: the rows, the accumulators, the activations and their transposition. */
    static int tileScratch(int rows, int cols) {
        return rows * cols + OuterProduct.TOKENS * (rows + 2 * cols) + TILE_META;
    }

    /** Scratch floats per thread that let {@link #matmul} run a prompt chunk of {@link #TILE_TOKENS} tokens through the tile in full panels. */
    public static int scratchFloats(int cols) {
        return PANEL_ROWS * cols + TILE_TOKENS * (PANEL_ROWS + 2 * cols) + TILE_META;
    }

    /** The exact dot product (float64) of a row, from {@link #dequantizeRow}: what tests compare kernels with. */
    public final double referenceDot(int row, float[] x, int xOff) {
        float[] w = new float[cols];
        dequantizeRow(row, w, 0);
        double s = 0;
        for (int j = 0; j < cols; j++) s += (double) w[j] * x[xOff + j];
        return s;
    }

    /** The scalar path for machines without a usable vector unit (slow; allocates). */
    final float scalarDot(int row, float[] x, int xOff) {
        return (float) referenceDot(row, x, xOff);
    }

    final float f16(long offset) {
        return Float.float16ToFloat(data.get(SHORT_LE, offset));
    }

    final int u8(long offset) {
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, offset));
    }

    @Override
    public String toString() {
        return name + " " + type() + " [" + cols + ", " + rows + "]";
    }
}
