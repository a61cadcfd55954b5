package io.backstop.engine.backend.gguf.model;

import static io.backstop.engine.backend.gguf.kernel.ComputePool.end;
import static io.backstop.engine.backend.gguf.kernel.ComputePool.start;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.kernel.Split;
import io.backstop.engine.backend.gguf.kernel.VectorMath;
import io.backstop.engine.backend.gguf.tensor.Lanes;
import io.backstop.engine.backend.gguf.tensor.WeightTensor;

/**
 * A forward pass (llama2.c's {@code forward}, batched) over a batch of rows, each row one token of some
 * sequence at that sequence's next position: one decode token for each of several sequences, chunks of
 * prompts, or a single sequence's prompt. Every matrix product takes all rows at once (a weight row is
 * read once for the whole batch), split by rows across the compute pool; attention runs per row over
 * its own sequence's {@link KvCache}. Activations are allocated up front for {@code capacity} rows, so
 * decoding allocates nothing per token. Not thread-safe: the caller holds the pool's turn lock.
 *
 * <p>The single-sequence form ({@link Transformer#newSequence}) owns one KV cache and keeps its position.
 */
public final class ForwardPass {
    /**
     * Tokens per forward pass of a single sequence: a prompt goes through in chunks of this many. Prefill
     * decodes each weight row once per chunk. Larger chunks gave nothing while the tile streamed every
     * chunk's activations from L3 once per four rows; with the tile's row panels and token blocks
     * ({@link WeightTensor#matmul}) 128 beat 32 (README, issue 14), and 256 beat 128: each row's decoding
     * (Q4_0's column panels were an eighth of prefill's samples) serves twice the tokens. pp512 tok/s, medians
     * of alternated runs: Q4_0 116.6–122.0 against 102.1–110.8, Q4_K_M 95.0–95.9 against 57.8–75.8; 512 gave
     * 107.5–112.0 against 110.3–115.5 (README, "One load per run, and prompt chunks of 256").
     */
    public static final int CHUNK = 256;
    /** Rows per unit of work when a matrix product is split between threads. */
    private static final int GRAIN = 16;
    private static final int CHUNKS_PER_THREAD = 8;

    private final ModelConfig c;
    private final Weights w;
    private final ComputePool pool;
    private final int capacity;
    /** The sequence of the single-sequence form; null for a batch pass. */
    private final KvCache own;
    /** Activations, [row][...]: residual stream, its normalized copy, queries, keys, values, attention output, MLP. */
    private final float[] x, xb, q, k, v, att, gate, up;
    /** cos and sin of each RoPE pair's angle, [row][pair]. */
    private final float[] cos, sin;
    /** Attention scores, one row per compute thread. */
    private float[][] scores;
    /** A decoded weight row per compute thread (batched matrix products). */
    private final float[][] rows;
    private final float attnScale;
    /**
     * How each product's rows (q/k/v: heads) are cut into chunks: guided ({@link Split#guided}) for passes of a few tokens,
     * equal for prefill's ({@link Split#equal}); attention keeps equal chunks.
     */
    private record Splits(Split qkv, Split dim, Split ffn, Split vocab) {
        Splits(int heads, int dim, int ffn, int vocab, java.util.function.IntFunction<Split> split) {
            this(split.apply(heads), split.apply(dim), split.apply(ffn), split.apply(vocab));
        }
    }

    private final Splits fewTokens, manyTokens;
    /** The pass in progress's. */
    private Splits splits;

    // the pass in progress, read by the tasks
    private int n;
    private final KvCache[] rowSeq;
    private final int[] rowPos;
    private final int[] outRows;
    private int outs;
    /** Whether every row of the pass is a different sequence's one token (a decode step; see {@link WeightTensor#matmul}'s decode form). */
    private boolean decode;
    /** A step mixing rows in the decode form and prompt rows, multiplied apart where a tensor rounds activations. */
    private final MixedStep mixed;
    private Weights.Layer layer;
    private int layerIndex;
    private float[] logits;

    /** Phases of a pass a profile splits its time into (index into {@link #profile}'s array). */
    public static final int EMBED = 0, NORMS = 1, QKV = 2, KV_STORE = 3, ATTENTION = 4, ATTN_OUT = 5, FFN_IN = 6, FFN_OUT = 7, LOGITS = 8,
            CALLER_WAIT = 9, MEMBERS_IDLE = 10, PHASES = 11;
    /** The last two are not phases but what the ones before spent at their joins (caller waiting; the other members idle, summed). */
    public static final java.util.List<String> PHASE_NAMES = java.util.List.of("embed+rope", "rmsnorm", "q/k/v", "kv store", "attention", "wo",
            "gate+up+silu", "down", "norm+logits", "(in the above) caller waiting at joins", "(in the above) other members idle at joins");

    /** When not null, each pass adds the nanoseconds of each phase to it (bench step profiling); null in service. */
    private long[] profile;
    private final long[] waits = new long[2];

    private final ComputePool.Task qkv = this::qkv;
    private final ComputePool.Task attention = this::attention;
    private final ComputePool.Task attnOut = this::attnOut;
    private final ComputePool.Task ffnIn = this::ffnIn;
    private final ComputePool.Task ffnOut = this::ffnOut;
    private final ComputePool.Task logitsTask = this::logits;

    /** A single sequence with a KV cache of its own that grows freely up to the context length. */
    ForwardPass(ModelConfig c, Weights w, ComputePool pool) {
        this(c, w, pool, CHUNK);
    }

    ForwardPass(ModelConfig c, Weights w, ComputePool pool, int chunk) {
        this(c, w, pool, chunk, new KvCache(new KvBlocks(c, Integer.MAX_VALUE), c.contextLength()));
    }

    /** A pass for batches of up to {@code capacity} rows of sequences whose caches come from a shared {@link KvBlocks}. */
    public static ForwardPass forBatches(Transformer t, ComputePool pool, int capacity) {
        return new ForwardPass(t.config(), t.weights(), pool, capacity, null);
    }

    private ForwardPass(ModelConfig c, Weights w, ComputePool pool, int capacity, KvCache own) {
        if (capacity < 1) throw new IllegalArgumentException("batch capacity " + capacity);
        this.c = c;
        this.w = w;
        this.pool = pool;
        this.capacity = capacity;
        this.own = own;
        int b = capacity;
        this.x = new float[b * c.dim()];
        this.xb = new float[b * c.dim()];
        this.q = new float[b * c.qDim()];
        this.k = new float[b * c.kvDim()];
        this.v = new float[b * c.vDim()];
        this.att = new float[b * c.heads() * c.headDimV()];
        this.gate = new float[b * c.ffn()];
        this.up = new float[b * c.ffn()];
        this.mixed = new MixedStep(w, b, Math.max(Math.max(c.dim(), c.ffn()), c.heads() * c.headDimV()));
        this.cos = new float[b * c.rope().frequencies().length];
        this.sin = new float[b * c.rope().frequencies().length];
        this.scores = new float[pool.size()][64];
        int widest = Math.max(Math.max(c.dim(), c.ffn()), c.heads() * c.headDimV());
        this.rows = new float[pool.size()][WeightTensor.scratchFloats(widest)]; // room for the 4×4 prefill tile (WeightTensor.matmul)
        this.attnScale = (float) (1 / Math.sqrt(c.headDimK()));
        int threads = pool.size(), heads = c.heads() + 2 * c.kvHeads();
        // q/k/v's units are heads (four groups of 16 rows and more): align 1; the others' are groups, as the copies take them
        int align = w.layout().chunkGroups();
        this.fewTokens = new Splits(Split.guided(heads, threads, 1), Split.guided(grains(c.dim()), threads, align),
                Split.guided(grains(c.ffn()), threads, align), Split.guided(grains(c.vocab()), threads, align));
        this.manyTokens = new Splits(heads, grains(c.dim()), grains(c.ffn()), grains(c.vocab()), u -> Split.equal(u, chunks(u)));
        this.rowSeq = new KvCache[b];
        this.rowPos = new int[b];
        this.outRows = new int[b];
    }

    /**
     * Makes every following pass add its time per phase ({@link #EMBED} .. {@link #LOGITS}) to {@code nanos}
     * (at least {@link #PHASES} long); null stops it. For benchmarks: a phase is timed around its fork/join,
     * so a matrix product's figure includes handing the work to the pool and waiting for the last chunk.
     */
    public void profile(long[] nanos) {
        if (nanos != null && nanos.length < PHASES) throw new IllegalArgumentException("profile of " + nanos.length + " phases");
        this.profile = nanos;
        pool.timeWaits(nanos == null ? null : waits);
    }

    /** Rows a batch may have. */
    public int capacity() {
        return capacity;
    }

    /** Positions computed so far (single-sequence form). */
    public int position() {
        return own.position();
    }

    /** Memory held by the KV cache now (single-sequence form). */
    public long kvBytes() {
        return own.bytes(c);
    }

    /**
     * Runs {@code tokens[off .. off + n)} of the own sequence at its next n positions.
     *
     * @param logitsFrom   first token (0-based within the n) whose next-token logits are wanted; n for none
     * @param logitsOut    receives them, [token − logitsFrom][vocab]
     * @param hiddenSum    when not null, the final normalized hidden state of every token is added to it (embeddings)
     */
    public void forward(int[] tokens, int off, int n, int logitsFrom, float[] logitsOut, float[] hiddenSum) {
        forward(tokens, off, n, logitsFrom, logitsOut, hiddenSum, true);
    }

    /**
     * {@link #forward(int[], int, int, int, float[], float[])}, saying whether the tokens run in the decode form
     * ({@code decodeForm}: tokens the sequence generated, and a prompt's last token, whose logits give the first sample;
     * a lone one is then a decode step) or in the prompt form: a prompt's other tokens never take the decode kernels
     * that round activations to 8 bits ({@link WeightTensor#roundsActivations}), so they get bits within float rounding
     * of each other however the prompt is chunked, and a prefix-cache hit the keys and values it would have got
     * without it; every sampled distribution comes from the decode form, so the first token's logits are the same bits
     * whether the prompt was cached, chunked or batched.
     */
    public void forward(int[] tokens, int off, int n, int logitsFrom, float[] logitsOut, float[] hiddenSum, boolean decodeForm) {
        if (n < 1 || n > capacity) throw new IllegalArgumentException("batch of " + n + " tokens (1 to " + capacity + ")");
        int p = own.position();
        if (!own.ensure(p + n)) throw new IllegalStateException("KV cache full");
        for (int t = 0; t < n; t++) {
            rowSeq[t] = own;
            rowPos[t] = p + t;
        }
        outs = 0;
        for (int t = logitsFrom; t < n; t++) outRows[outs++] = t;
        run(tokens, off, n, logitsOut, hiddenSum, decodeForm ? n : 0);
    }

    /**
     * Runs a batch: row r is token {@code tokens[r]} of sequence {@code seqs[r]} at position {@code positions[r]}
     * (each sequence's rows at consecutive positions, in order, its cache already holding room for them).
     * The logits after the rows listed in {@code logitRows[0 .. outs)} go to {@code logitsOut}, [i][vocab].
     */
    public void forward(KvCache[] seqs, int[] positions, int[] tokens, int n, int[] logitRows, int outs, float[] logitsOut) {
        forward(seqs, positions, tokens, n, logitRows, outs, logitsOut, n);
    }

    /**
     * The batch form, its first {@code decodeRows} rows in the decode form (at most one per sequence: a token it
     * generated or its prompt's last, which may come before that prompt's other rows in the step), the rest prompt rows
     * (see the one-sequence form).
     */
    public void forward(KvCache[] seqs, int[] positions, int[] tokens, int n, int[] logitRows, int outs, float[] logitsOut, int decodeRows) {
        if (n < 1 || n > capacity) throw new IllegalArgumentException("batch of " + n + " rows (1 to " + capacity + ")");
        System.arraycopy(seqs, 0, rowSeq, 0, n);
        System.arraycopy(positions, 0, rowPos, 0, n);
        System.arraycopy(logitRows, 0, outRows, 0, outs);
        this.outs = outs;
        run(tokens, 0, n, logitsOut, null, decodeRows);
        java.util.Arrays.fill(rowSeq, 0, n, null);
    }

    private void run(int[] tokens, int off, int n, float[] logitsOut, float[] hiddenSum, int decodeRows) {
        this.n = n;
        this.decode = decodeRows == n && oneRowPerSequence(n);
        mixed.begin(n, decodeRows);
        this.splits = n < WeightTensor.TILE_FROM ? fewTokens : manyTokens;
        long[] p = profile;
        long at = p == null ? 0 : System.nanoTime();
        int dim = c.dim();
        int span = 0;
        for (int t = 0; t < n; t++) {
            int token = tokens[off + t];
            if (token < 0 || token >= c.vocab()) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary");
            w.tokenEmbedding().dequantizeRow(token, x, t * dim);
            span = Math.max(span, rowPos[t] + 1);
        }
        int group = c.heads() / c.kvHeads();
        if (scores[0].length < span * group) {
            int len = Math.min(c.contextLength(), Math.max(span, 2 * scores[0].length / group));
            for (int i = 0; i < scores.length; i++) scores[i] = new float[len * group];
        }
        ropeAngles();
        if (p != null) at = lap(p, EMBED, at);

        for (int l = 0; l < c.layers(); l++) {
            layer = w.layers()[l];
            layerIndex = l;
            for (int t = 0; t < n; t++) VectorMath.rmsnorm(xb, t * dim, x, t * dim, layer.attnNorm(), dim, c.rmsEps());
            if (p != null) at = lap(p, NORMS, at);
            newActivations();
            mixed.copyTail(xb, dim, n);
            pool.run(qkv, splits.qkv().chunks());                // q, k, v of every head (+ bias, q/k norm, RoPE)
            if (p != null) at = lap(p, QKV, at);
            storeKv(l);                                          // k, v into each row's sequence cache
            if (p != null) at = lap(p, KV_STORE, at);
            pool.run(attention, chunks(n * c.kvHeads()));        // softmax(q·Kᵀ/√d)·V for every row and head
            if (p != null) at = lap(p, ATTENTION, at);
            newActivations();
            mixed.copyTail(att, c.heads() * c.headDimV(), n);
            pool.run(attnOut, splits.dim().chunks());            // x += Wo·att
            if (p != null) at = lap(p, ATTN_OUT, at);
            for (int t = 0; t < n; t++) VectorMath.rmsnorm(xb, t * dim, x, t * dim, layer.ffnNorm(), dim, c.rmsEps());
            if (p != null) at = lap(p, NORMS, at);
            newActivations();
            mixed.copyTail(xb, dim, n);
            pool.run(ffnIn, splits.ffn().chunks());              // gate = silu(Wgate·xb) ⊙ (Wup·xb)
            if (p != null) at = lap(p, FFN_IN, at);
            newActivations();
            mixed.copyTail(gate, c.ffn(), n);
            pool.run(ffnOut, splits.dim().chunks());             // x += Wdown·gate
            if (p != null) at = lap(p, FFN_OUT, at);
        }

        if (hiddenSum != null) {
            for (int t = 0; t < n; t++) {
                VectorMath.rmsnorm(xb, t * dim, x, t * dim, w.outputNorm(), dim, c.rmsEps());
                VectorMath.add(hiddenSum, 0, xb, t * dim, dim);
            }
        }
        if (outs > 0) {
            // the rows that want logits, normalized and packed at the front of xb: one batched product for all of them
            for (int i = 0; i < outs; i++) VectorMath.rmsnorm(xb, i * dim, x, outRows[i] * dim, w.outputNorm(), dim, c.rmsEps());
            this.logits = logitsOut;
            this.splits = outs < WeightTensor.TILE_FROM ? fewTokens : manyTokens;
            newActivations();
            mixed.logits(outRows, outs);
            mixed.copyTail(xb, dim, outs);
            pool.run(logitsTask, splits.vocab().chunks());
            this.logits = null;
        }
        // each sequence's positions recorded in order: a prompt's last token (a decode row) after its other rows
        for (int t = decodeRows; t < n; t++) rowSeq[t].ran(rowPos[t], tokens[off + t]);
        for (int t = 0; t < decodeRows; t++) rowSeq[t].ran(rowPos[t], tokens[off + t]);
        if (p != null) {
            lap(p, LOGITS, at);
            p[CALLER_WAIT] += waits[0];
            p[MEMBERS_IDLE] += waits[1];
            waits[0] = waits[1] = 0;
        }
    }

    /**
     * Declares on every thread's scratch that the product phase about to run multiplies one set of activations
     * ({@link WeightTensor#declareActivations}): none is written while the phase runs, so a thread transposes a
     * prompt chunk's activations once for all its chunks of the phase instead of comparing them with its copy per call.
     */
    private void newActivations() {
        if (++activations == 0) activations = 1;
        for (float[] r : rows) WeightTensor.declareActivations(r, activations);
    }

    /** Names the activations of the latest product phase ({@link #newActivations}); never 0. */
    private int activations;

    /** Whether no two of the first n rows belong to one sequence (checked up to the widest decode step any type takes). */
    private boolean oneRowPerSequence(int n) {
        if (n > MAX_DECODE_ROWS) return false;
        for (int t = 1; t < n; t++) {
            for (int u = 0; u < t; u++) {
                if (rowSeq[u] == rowSeq[t]) return false;
            }
        }
        return true;
    }

    private static final int MAX_DECODE_ROWS = 64;

    private static long lap(long[] profile, int phase, long since) {
        long now = System.nanoTime();
        profile[phase] += now - since;
        return now;
    }

    private void storeKv(int l) {
        int kvDim = c.kvDim(), vDim = c.vDim();
        for (int t = 0; t < n; t++) {
            KvBlock b = rowSeq[t].block(rowPos[t]);
            int i = rowPos[t] % KvBlocks.BLOCK;
            float[] keys = b.keys[l];
            for (int j = 0, o = t * kvDim; j < kvDim; j++) keys[j * KvBlocks.BLOCK + i] = k[o + j]; // transposed: KvBlock
            System.arraycopy(v, t * vDim, b.values[l], i * vDim, vDim);
        }
    }

    private void ropeAngles() {
        double[] f = c.rope().frequencies();
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < f.length; i++) {
                double angle = rowPos[t] * f[i];
                cos[t * f.length + i] = (float) Math.cos(angle);
                sin[t * f.length + i] = (float) Math.sin(angle);
            }
        }
    }

    /** A few chunks per thread: threads that finish early take more, and one not scheduled holds nothing up. */
    private int chunks(int units) {
        return Math.max(1, Math.min(units, CHUNKS_PER_THREAD * pool.size()));
    }

    private static int grains(int rows) {
        return (rows + GRAIN - 1) / GRAIN;
    }

    /** First row of a chunk of a product of {@code rows} rows cut in {@link #GRAIN}s. */
    private static int from(Split s, int chunk, int rows) {
        return Math.min(rows, s.start(chunk) * GRAIN);
    }

    private static int to(Split s, int chunk, int rows) {
        return Math.min(rows, s.end(chunk) * GRAIN);
    }

    /**
     * Work unit = one head of q, k or v. A chunk's heads of one tensor go through one product (rows of
     * consecutive heads are consecutive), then bias, q/k norm and RoPE per head: a product call has a fixed
     * cost (the 4-token kernels lay the activations out afresh in every call), paid once per chunk and tensor
     * instead of once per head. Rows are computed alike in any range, so the bits are those of per-head calls.
     */
    private void qkv(int chunk, int chunks, int worker) {
        int heads = c.heads(), kvHeads = c.kvHeads(), hd = c.headDimK(), hdv = c.headDimV();
        int from = splits.qkv().start(chunk), to = splits.qkv().end(chunk);
        int a = from, b = Math.min(to, heads);
        if (a < b) headProjection(worker, layer.wq(), layer.bq(), layer.qNorm(), q, c.qDim(), a, b, hd, true);
        a = Math.max(from, heads) - heads;
        b = Math.min(to, heads + kvHeads) - heads;
        if (a < b) headProjection(worker, layer.wk(), layer.bk(), layer.kNorm(), k, c.kvDim(), a, b, hd, true);
        a = Math.max(from, heads + kvHeads) - heads - kvHeads;
        b = to - heads - kvHeads;
        if (a < b) headProjection(worker, layer.wv(), layer.bv(), null, v, c.vDim(), a, b, hdv, false);
    }

    /** Heads {@code [h0, h1)} of one projection ({@code hd} rows each) for every row of the batch. */
    private void headProjection(int worker, WeightTensor m, float[] bias, float[] norm, float[] out, int stride, int h0, int h1, int hd, boolean rope) {
        product(m, xb, n, out, stride, h0 * hd, h1 * hd, false, worker);
        for (int t = 0; t < n; t++) {
            for (int h = h0; h < h1; h++) {
                int o = t * stride + h * hd;
                if (bias != null) VectorMath.add(out, o, bias, h * hd, hd);
                if (norm != null) VectorMath.rmsnorm(out, o, out, o, norm, hd, c.rmsEps());
                if (rope) rotate(out, o, t);
            }
        }
    }

    /** RoPE of one head at {@code a[o ..]} for token t of the batch. */
    private void rotate(float[] a, int o, int t) {
        int pairs = c.rope().frequencies().length;
        int half = c.rope().neox() ? pairs : 1;
        int step = c.rope().neox() ? 1 : 2;
        for (int i = 0; i < pairs; i++) {
            int i0 = o + i * step, i1 = i0 + half;
            float cs = cos[t * pairs + i], sn = sin[t * pairs + i];
            float v0 = a[i0], v1 = a[i1];
            a[i0] = v0 * cs - v1 * sn;
            a[i1] = v0 * sn + v1 * cs;
        }
    }

    /**
     * Work unit = (row, key/value head): causal attention of the query heads that share the key/value head, over the
     * row's sequence up to the row's position, block by block. Each key and value row is read once for the group
     * ({@link VectorMath#scores} over a block's keys in lanes, {@link VectorMath#axpy4x4}); every score and output has
     * the operations of one head at a time in the same order, so the same bits.
     */
    private void attention(int chunk, int chunks, int worker) {
        int heads = c.heads(), kvHeads = c.kvHeads(), hd = c.headDimK(), hdv = c.headDimV(), kvDim = c.kvDim(), vDim = c.vDim();
        int group = heads / kvHeads;
        int l = layerIndex;
        float[] s = scores[worker];
        int units = n * kvHeads;
        for (int u = start(units, chunk, chunks, 1); u < end(units, chunk, chunks, 1); u++) {
            int t = u / kvHeads, kvh = u % kvHeads, h0 = kvh * group;
            KvCache seq = rowSeq[t];
            int span = rowPos[t] + 1;
            int qo = t * c.qDim() + h0 * hd;
            for (int j0 = 0; j0 < span; j0 += KvBlocks.BLOCK) {
                VectorMath.scores(q, qo, group, seq.block(j0).keys[l], kvh * hd * KvBlocks.BLOCK, KvBlocks.BLOCK, Math.min(KvBlocks.BLOCK, span - j0), hd, attnScale, s, j0, span);
            }
            for (int g = 0; g < group; g++) VectorMath.softmax(s, g * span, span);
            int ao = t * heads * hdv + h0 * hdv;
            java.util.Arrays.fill(att, ao, ao + group * hdv, 0f);
            int g = 0;
            if (Lanes.VECTOR && hdv % (4 * L) == 0) { // four heads × 4L dimensions in registers over a block's positions
                for (; g + 4 <= group; g += 4) {
                    for (int d = 0; d < hdv; d += 4 * L) {
                        for (int j0 = 0; j0 < span; j0 += KvBlocks.BLOCK) {
                            VectorMath.axpy4x4(s, g * span + j0, span, seq.block(j0).values[l], kvh * hdv + d, vDim, Math.min(KvBlocks.BLOCK, span - j0), att, ao + g * hdv + d, hdv);
                        }
                    }
                }
            }
            for (; g < group; g++) {
                int so = g * span, aoh = ao + g * hdv, d = 0;
                if (Lanes.VECTOR) {
                    for (; d + 4 * L <= hdv; d += 4 * L) {
                        for (int j0 = 0; j0 < span; j0 += KvBlocks.BLOCK) {
                            VectorMath.axpy4(s, so + j0, seq.block(j0).values[l], kvh * hdv + d, vDim, Math.min(KvBlocks.BLOCK, span - j0), att, aoh + d);
                        }
                    }
                }
                for (int j0 = 0; d < hdv && j0 < span; j0 += KvBlocks.BLOCK) {
                    float[] values = seq.block(j0).values[l];
                    int m = Math.min(KvBlocks.BLOCK, span - j0);
                    for (int i = 0; i < m; i++) VectorMath.axpy(s[so + j0 + i], values, i * vDim + kvh * hdv + d, att, aoh + d, hdv - d);
                }
            }
        }
    }

    private void attnOut(int chunk, int chunks, int worker) {
        int dim = c.dim();
        product(layer.wo(), att, n, x, dim, from(splits.dim(), chunk, dim), to(splits.dim(), chunk, dim), true, worker);
    }

    /** Gate and up rows split alike, so each thread finishes SwiGLU on its own rows. */
    private void ffnIn(int chunk, int chunks, int worker) {
        int ffn = c.ffn();
        int from = from(splits.ffn(), chunk, ffn), to = to(splits.ffn(), chunk, ffn);
        product(layer.gate(), xb, n, gate, ffn, from, to, false, worker);
        product(layer.up(), xb, n, up, ffn, from, to, false, worker);
        for (int t = 0; t < n; t++) VectorMath.swiglu(gate, up, t * ffn + from, to - from);
    }

    private void ffnOut(int chunk, int chunks, int worker) {
        int dim = c.dim();
        product(layer.down(), gate, n, x, dim, from(splits.dim(), chunk, dim), to(splits.dim(), chunk, dim), true, worker);
    }

    /**
     * Logits of the rows in outRows, whose normalized hidden states are packed in xb[0 .. outs): the output
     * matrix (the largest of the model) is read once for all of them, as every other product is.
     */
    private void logits(int chunk, int chunks, int worker) {
        int vocab = c.vocab();
        product(w.output(), xb, outs, logits, vocab, from(splits.vocab(), chunk, vocab), to(splits.vocab(), chunk, vocab), false, worker);
    }

    /** A product of this pass's rows ({@link MixedStep#product}). */
    private void product(WeightTensor m, float[] in, int rows, float[] out, int outStride, int from, int to, boolean add, int worker) {
        mixed.product(m, in, rows, decode, out, outStride, from, to, add, this.rows[worker]);
    }
}
