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
    /**
     * The tensor's bytes, a native view of the file's mapping ({@link #nativeView}); constructors that copy the weights
     * unload the mapped slice they were given.
     */
    final MemorySegment data;
    final int rows;
    final int cols;
    final long rowBytes;

    WeightTensor(String name, MemorySegment data, int rows, int cols) {
        this.name = name;
        this.data = nativeView(data);
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type().bytesFor(cols);
        if (data.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + " rows of " + rowBytes);
        }
    }

    public abstract GgmlType type();

    /**
     * The same bytes, scope and access mode as a segment of the native kind. Kernels read both repacked copies (native)
     * and the file (mapped) through the same Vector API loads, whose type profile is shared: with both kinds in it, C2
     * speculated on the mapped kind in the Q4_K decode kernels, trapped on the copies, and recompiled them with the
     * bounds and liveness checks inside the loop (README, "One kind of segment"). A view is free: no copy, no mapping.
     */
    static MemorySegment nativeView(MemorySegment data) {
        return data.isMapped() ? data.reinterpret(data.byteSize()) : data;
    }

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
     * per row and token), so a sequence gets the same bits in a small batch as alone, unless those kernels round the
     * activations ({@link #roundsActivations}: then as for more). More (a prompt chunk, a
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
        if (n < fusedBelow() && roundsActivations()) {
            promptRows(x, n, out, outOff, outStride, from, to, add, scratch);
            TilePath.forget(scratch);
            return;
        }
        if (n < fusedBelow()) {
            // A decode step of a few sequences: decoding into registers beats a round trip through scratch at
            // this width (2 tokens through scratch cost more than 2 single-token steps; see fusedBelow).
            fusedRows(x, n, out, outOff, outStride, from, to, add, scratch);
            TilePath.forget(scratch);
            return;
        }
        batched(x, n, out, outOff, outStride, from, to, add, scratch);
    }

    /**
     * Declares that, until the next declaration on {@code scratch}, every product given that scratch with the same
     * width and tokens multiplies the same activations (the same array, unchanged), named {@code version}: the tile
     * path then keeps its transposition of them from one call to the next (gate and up, q/k/v, a product's chunks on
     * one thread) without comparing the activations with a copy of them, which for a prompt chunk of a wide product
     * cost a sixth of its time. Each declaration on a scratch names a new version (a counter); 0 withdraws it, and so
     * does every product off the tile path (it may have written over the scratch's end).
     */
    public static void declareActivations(float[] scratch, int version) {
        TilePath.declare(scratch, version);
    }

    /**
     * {@link #matmul} for a decode step, whose n tokens are n different sequences' next ones: below {@link #decodeBelow}
     * tokens they take the fused kernel, so a decoding token gets the bits it gets alone in larger steps too. Prompt
     * chunks keep {@link #matmul} (a prompt token gets the tile's bits in any chunking of {@link #tileFrom} tokens or more).
     */
    public final void matmul(float[] x, int n, boolean decode, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (decode && n < decodeBelow()) {
            fusedRows(x, n, out, outOff, outStride, from, to, add, scratch);
            TilePath.forget(scratch);
        } else matmul(x, n, out, outOff, outStride, from, to, add, scratch);
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
            TilePath.forget(scratch); // Dot's sums lie over the tile path's record of its transposed tokens
        } else if (Lanes.VECTOR && scratch.length >= TilePath.tileScratch(OuterProduct.ROWS, cols)) {
            if (!TilePath.sliced(this, x, n, out, outOff, outStride, from, to, add, scratch)) TilePath.tiles(this, x, n, out, outOff, outStride, from, to, add, scratch);
        } else {
            TilePath.oneRowAtATime(this, x, n, out, outOff, outStride, from, to, add, scratch);
            TilePath.forget(scratch);
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
    public static final int TILE_FROM = 16;
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
     * Writes values {@code [k0, k1)} of rows {@code [row, row + L)} ({@code row} a multiple of {@link Lanes#L}) as
     * {@link #decodeRow} writes them, value k of row {@code row + j} at {@code out[off + (k − k0)·L + j]}, and returns
     * true; or returns false if the type has no such decoder (then {@link #decodeSlice} or whole rows). Rows past the
     * tensor's decode as zeros. {@code k0}, {@code k1} as for {@link #decodeSlice}; {@code k0 == k1} only asks.
     */
    boolean decodeColumns(int row, int k0, int k1, float[] out, int off) {
        return false;
    }

    /**
     * Writes values {@code [k0, k1)} of row {@code row} as {@link #decodeRow} writes them to {@code out[off ..]} and
     * returns true, or returns false if the type does not decode slices (then {@link #matmul} decodes whole rows).
     * {@code k0} is a multiple of {@link OuterProduct#KC}, {@code k1} one too or {@code cols}; {@code k0 == k1} only asks.
     */
    boolean decodeSlice(int row, int k0, int k1, float[] out, int off) {
        return false;
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

    /** Writes the sums of rows {@code r0 .. r0 + rows} ({@code sums[0 ..]}) that lie in {@code [from, to)} to {@code out[o + r]}, as {@link #put}. */
    static void putRows(float[] sums, int r0, int rows, int from, int to, float[] out, int o, boolean add) {
        for (int r = Math.max(from, r0), end = Math.min(to, r0 + rows); r < end; r++) put(out, o + r, sums[r - r0], add);
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
        if (n < fusedBelow() && roundsActivations()) return promptPath(n, scratchFloats);
        if (n < fusedBelow()) return fusedPath(n, scratchFloats);
        return batchedPath(n, scratchFloats);
    }

    /** {@link #matmulPath} of the panels of decoded rows ({@link #batched}). */
    private String batchedPath(int n, int scratchFloats) {
        if (n < TILE_FROM && scratchFloats >= cols) return scratchFloats >= smallTileScratch(cols) ? "4×4 tile" : "1 row × 4 tokens";
        return Lanes.VECTOR && scratchFloats >= TilePath.tileScratch(OuterProduct.ROWS, cols) ? OuterProduct.ROWS + "×" + OuterProduct.TOKENS + " tile" : "1 row, scalar";
    }

    /**
     * Whether the fused (decode) kernels ({@link #fusedRows}) multiply the activations rounded to 8 bits per block of 32
     * ({@link Q8Activations}), as llama.cpp's integer dot products do: a row's product then moves by up to half a step
     * per activation ({@code max|x| / 254} of its block) from the float one. Such a tensor's prompt form of
     * {@link #matmul} never takes them (a prompt's tokens stay in floats however the prompt is chunked); decode steps
     * ({@link #matmul}'s decode form) do.
     */
    public boolean roundsActivations() {
        return false;
    }

    /**
     * The prompt form of {@link #matmul} below {@link #fusedBelow} tokens for a tensor whose fused kernels round
     * activations: in floats. By default the small batches' path of the other types (rows decoded into the scratch);
     * a type with float kernels over its decode copy overrides it.
     */
    void promptRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        batched(x, n, out, outOff, outStride, from, to, add, scratch);
    }

    /** {@link #matmulPath} of the decode form of {@link #matmul}: the fused kernel below {@link #decodeBelow} tokens. */
    public final String decodePath(int n, int scratchFloats) {
        return n < decodeBelow() ? fusedPath(n, scratchFloats) : matmulPath(n, scratchFloats);
    }

    /** {@link #matmulPath} of {@link #promptRows}. */
    String promptPath(int n, int scratchFloats) {
        return batchedPath(n, scratchFloats);
    }

    /** {@link #matmulPath} below {@link #fusedBelow}: which fused kernel runs; a type with a kernel of its own names it. */
    String fusedPath(int n, int scratchFloats) {
        if (n == 1) return "fused, 1 token";
        if (fusedBelow() != PAIRED_FUSED_BELOW || scratchFloats < SUMS) return "fused, per token";
        return n >= FourTokens.TOKENS && FourTokens.APPLIES && scratchFloats >= FourTokens.scratchFloats(cols) ? "fused, 2 rows × 4 tokens" : "fused, 2 rows × 2 tokens";
    }

    /** Scratch floats per thread that let {@link #matmul} run a prompt chunk of {@link TilePath#TILE_TOKENS} tokens through the tile in full panels. */
    public static int scratchFloats(int cols) {
        return TilePath.scratchFloats(cols);
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
