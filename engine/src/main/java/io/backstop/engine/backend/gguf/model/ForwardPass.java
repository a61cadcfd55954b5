package io.backstop.engine.backend.gguf.model;

import static io.backstop.engine.backend.gguf.kernel.ComputePool.end;
import static io.backstop.engine.backend.gguf.kernel.ComputePool.start;

import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.kernel.VectorMath;
import io.backstop.engine.backend.gguf.tensor.WeightTensor;

/**
 * One sequence's forward pass (llama2.c's {@code forward}, batched): its activations, its KV cache and
 * its position. A call runs up to {@link #MAX_BATCH} tokens through every layer together, each matrix
 * product splitting its rows across the compute pool. Every buffer is allocated up front (the KV cache
 * and the attention scratch grow with the sequence), so decoding allocates nothing per token.
 * Not thread-safe: one session owns it; the caller holds the pool's turn lock during {@link #forward}.
 */
public final class ForwardPass {
    /** Tokens per forward pass: a prompt goes through in chunks of this many. */
    public static final int MAX_BATCH = 32;
    /** Rows per unit of work when a matrix product is split between threads. */
    private static final int GRAIN = 16;
    private static final int CHUNKS_PER_THREAD = 8;

    private final ModelConfig c;
    private final Weights w;
    private final ComputePool pool;
    private final KvCache kv;
    /** Activations, [token][...]: residual stream, its normalized copy, queries, attention output, MLP. */
    private final float[] x, xb, q, att, gate, up;
    /** cos and sin of each RoPE pair's angle, [token][pair]. */
    private final float[] cos, sin;
    /** Attention scores, one row per compute thread. */
    private final float[][] scores;
    /** A decoded weight row per compute thread (batched matrix products). */
    private final float[][] rows;
    private final float attnScale;
    private int position;

    // the pass in progress, read by the tasks
    private int n;
    private Weights.Layer layer;
    private float[] keys, values;
    private int logitsFrom;
    private float[] logits;

    private final ComputePool.Task qkv = this::qkv;
    private final ComputePool.Task attention = this::attention;
    private final ComputePool.Task attnOut = this::attnOut;
    private final ComputePool.Task ffnIn = this::ffnIn;
    private final ComputePool.Task ffnOut = this::ffnOut;
    private final ComputePool.Task logitsTask = this::logits;

    public ForwardPass(ModelConfig c, Weights w, ComputePool pool) {
        this.c = c;
        this.w = w;
        this.pool = pool;
        this.kv = new KvCache(c.layers(), c.kvDim(), c.vDim(), c.contextLength());
        int b = MAX_BATCH;
        this.x = new float[b * c.dim()];
        this.xb = new float[b * c.dim()];
        this.q = new float[b * c.qDim()];
        this.att = new float[b * c.heads() * c.headDimV()];
        this.gate = new float[b * c.ffn()];
        this.up = new float[b * c.ffn()];
        this.cos = new float[b * c.rope().frequencies().length];
        this.sin = new float[b * c.rope().frequencies().length];
        this.scores = new float[pool.size()][kv.capacity()];
        int widest = Math.max(Math.max(c.dim(), c.ffn()), c.heads() * c.headDimV());
        this.rows = new float[pool.size()][widest];
        this.attnScale = (float) (1 / Math.sqrt(c.headDimK()));
    }

    /** Positions computed so far. */
    public int position() {
        return position;
    }

    /** Memory held by the KV cache now. */
    public long kvBytes() {
        return kv.bytes();
    }

    /**
     * Runs {@code tokens[off .. off + n)} at the next n positions.
     *
     * @param logitsFrom   first token (0-based within the n) whose next-token logits are wanted; n for none
     * @param logitsOut    receives them, [token − logitsFrom][vocab]
     * @param hiddenSum    when not null, the final normalized hidden state of every token is added to it (embeddings)
     */
    public void forward(int[] tokens, int off, int n, int logitsFrom, float[] logitsOut, float[] hiddenSum) {
        if (n < 1 || n > MAX_BATCH) throw new IllegalArgumentException("batch of " + n + " tokens (1 to " + MAX_BATCH + ")");
        ensureRoom(position + n);
        this.n = n;
        int dim = c.dim();
        for (int t = 0; t < n; t++) {
            int token = tokens[off + t];
            if (token < 0 || token >= c.vocab()) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary");
            w.tokenEmbedding().dequantizeRow(token, x, t * dim);
        }
        ropeAngles();

        for (int l = 0; l < c.layers(); l++) {
            layer = w.layers()[l];
            keys = kv.keys[l];
            values = kv.values[l];
            for (int t = 0; t < n; t++) VectorMath.rmsnorm(xb, t * dim, x, t * dim, layer.attnNorm(), dim, c.rmsEps());
            pool.run(qkv, chunks(c.heads() + 2 * c.kvHeads()));  // q, k, v of every head (+ bias, q/k norm, RoPE); k, v into the cache
            pool.run(attention, chunks(n * c.heads()));          // softmax(q·Kᵀ/√d)·V for every token and head
            pool.run(attnOut, chunks(c.dim() / GRAIN));          // x += Wo·att
            for (int t = 0; t < n; t++) VectorMath.rmsnorm(xb, t * dim, x, t * dim, layer.ffnNorm(), dim, c.rmsEps());
            pool.run(ffnIn, chunks(c.ffn() / GRAIN));            // gate = silu(Wgate·xb) ⊙ (Wup·xb)
            pool.run(ffnOut, chunks(c.dim() / GRAIN));           // x += Wdown·gate
        }

        int first = hiddenSum != null ? 0 : logitsFrom;
        for (int t = first; t < n; t++) VectorMath.rmsnorm(xb, t * dim, x, t * dim, w.outputNorm(), dim, c.rmsEps());
        if (hiddenSum != null) for (int t = 0; t < n; t++) VectorMath.add(hiddenSum, 0, xb, t * dim, dim);
        if (logitsFrom < n) {
            this.logitsFrom = logitsFrom;
            this.logits = logitsOut;
            pool.run(logitsTask, chunks(c.vocab() / GRAIN));
            this.logits = null;
        }
        position += n;
    }

    private void ensureRoom(int positions) {
        if (positions > c.contextLength()) {
            throw new IllegalStateException("position " + positions + " is past the context length " + c.contextLength());
        }
        kv.ensure(positions);
        for (int i = 0; i < scores.length; i++) {
            if (scores[i].length < kv.capacity()) scores[i] = new float[kv.capacity()];
        }
    }

    private void ropeAngles() {
        double[] f = c.rope().frequencies();
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < f.length; i++) {
                double angle = (position + t) * f[i];
                cos[t * f.length + i] = (float) Math.cos(angle);
                sin[t * f.length + i] = (float) Math.sin(angle);
            }
        }
    }

    /** A few chunks per thread: threads that finish early take more, and one not scheduled holds nothing up. */
    private int chunks(int units) {
        return Math.max(1, Math.min(units, CHUNKS_PER_THREAD * pool.size()));
    }

    /** Work unit = one head of q, k or v: its rows, then bias, q/k norm and RoPE over the whole head. */
    private void qkv(int chunk, int chunks, int worker) {
        int heads = c.heads(), kvHeads = c.kvHeads(), hd = c.headDimK(), hdv = c.headDimV();
        int units = heads + 2 * kvHeads;
        for (int u = start(units, chunk, chunks, 1); u < end(units, chunk, chunks, 1); u++) {
            if (u < heads) {
                headProjection(worker, layer.wq(), layer.bq(), layer.qNorm(), q, 0, c.qDim(), u * hd, hd, true);
            } else if (u < heads + kvHeads) {
                headProjection(worker, layer.wk(), layer.bk(), layer.kNorm(), keys, position * c.kvDim(), c.kvDim(), (u - heads) * hd, hd, true);
            } else {
                headProjection(worker, layer.wv(), layer.bv(), null, values, position * c.vDim(), c.vDim(), (u - heads - kvHeads) * hdv, hdv, false);
            }
        }
    }

    private void headProjection(int worker, WeightTensor m, float[] bias, float[] norm, float[] out, int outOff, int stride, int row0, int rows, boolean rope) {
        m.matmul(xb, n, out, outOff, stride, row0, row0 + rows, false, this.rows[worker]);
        for (int t = 0; t < n; t++) {
            int o = outOff + t * stride + row0;
            if (bias != null) VectorMath.add(out, o, bias, row0, rows);
            if (norm != null) VectorMath.rmsnorm(out, o, out, o, norm, rows, c.rmsEps());
            if (rope) rotate(out, o, t);
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

    /** Work unit = (token, query head): causal attention over the cache up to the token's position. */
    private void attention(int chunk, int chunks, int worker) {
        int heads = c.heads(), hd = c.headDimK(), hdv = c.headDimV(), kvDim = c.kvDim(), vDim = c.vDim();
        int group = heads / c.kvHeads();
        float[] s = scores[worker];
        int units = n * heads;
        for (int u = start(units, chunk, chunks, 1); u < end(units, chunk, chunks, 1); u++) {
            int t = u / heads, h = u % heads, kvh = h / group;
            int span = position + t + 1;
            int qo = t * c.qDim() + h * hd;
            for (int j = 0; j < span; j++) s[j] = VectorMath.dot(q, qo, keys, j * kvDim + kvh * hd, hd) * attnScale;
            VectorMath.softmax(s, 0, span);
            int ao = t * heads * hdv + h * hdv;
            java.util.Arrays.fill(att, ao, ao + hdv, 0f);
            for (int j = 0; j < span; j++) VectorMath.axpy(s[j], values, j * vDim + kvh * hdv, att, ao, hdv);
        }
    }

    private void attnOut(int chunk, int chunks, int worker) {
        int dim = c.dim();
        layer.wo().matmul(att, n, x, 0, dim, start(dim, chunk, chunks, GRAIN), end(dim, chunk, chunks, GRAIN), true, rows[worker]);
    }

    /** Gate and up rows split alike, so each thread finishes SwiGLU on its own rows. */
    private void ffnIn(int chunk, int chunks, int worker) {
        int ffn = c.ffn();
        int from = start(ffn, chunk, chunks, GRAIN), to = end(ffn, chunk, chunks, GRAIN);
        layer.gate().matmul(xb, n, gate, 0, ffn, from, to, false, rows[worker]);
        layer.up().matmul(xb, n, up, 0, ffn, from, to, false, rows[worker]);
        for (int t = 0; t < n; t++) VectorMath.swiglu(gate, up, t * ffn + from, to - from);
    }

    private void ffnOut(int chunk, int chunks, int worker) {
        int dim = c.dim();
        layer.down().matmul(gate, n, x, 0, dim, start(dim, chunk, chunks, GRAIN), end(dim, chunk, chunks, GRAIN), true, rows[worker]);
    }

    /** Logits of tokens [logitsFrom, n): their normalized hidden states are in xb. */
    private void logits(int chunk, int chunks, int worker) {
        int vocab = c.vocab(), dim = c.dim();
        int from = start(vocab, chunk, chunks, GRAIN), to = end(vocab, chunk, chunks, GRAIN);
        WeightTensor out = w.output();
        for (int r = from; r < to; r++) {
            for (int t = logitsFrom; t < n; t++) logits[(t - logitsFrom) * vocab + r] = out.dot(r, xb, t * dim);
        }
    }
}
