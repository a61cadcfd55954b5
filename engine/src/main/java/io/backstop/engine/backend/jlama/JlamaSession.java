package io.backstop.engine.backend.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import io.backstop.engine.backend.InferenceSession;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.TensorShape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.Lock;

/**
 * One sequence on a Jlama model: an ephemeral KV buffer of its own and a logits tensor. Uses Jlama's
 * forward pass only, never its generate(). Jlama's layers keep per-layer scratch arrays
 * (CausalSelfAttention.qkvResults, MLPBlock.batchResults), so two forward passes on one model must
 * never overlap: every pass holds the model's fair lock, and concurrent sessions alternate token by token.
 */
final class JlamaSession implements InferenceSession {
    private final AbstractModel model;
    private final Lock forwardLock;
    private final KvCacheFolder kvFolder;
    private final UUID kvSession = UUID.randomUUID();
    private final KvBufferCache.KvBuffer kv;
    private final FloatBuffer logitsBuffer;
    private final AbstractTensor logits;
    private final int vocabSize;
    private int position;
    private boolean closed;

    JlamaSession(AbstractModel model, Lock forwardLock, KvCacheFolder kvFolder) {
        this.model = model;
        this.kvFolder = kvFolder;
        this.forwardLock = forwardLock;
        this.vocabSize = model.getConfig().vocabularySize;
        // A throwaway cache per session gives us Jlama's regular 8 MB KV pages (its ephemeral buffers use
        // 1 MB pages) without registering the buffer in the model-wide session map, where it would leak. Its
        // pages are files named after kvSession in the model's folder: close() deletes them.
        this.kv = new KvBufferCache(model).getKvBuffer(kvSession);
        // Our own direct buffer behind the logits tensor, so we can bulk-copy logits out of it.
        this.logitsBuffer = ByteBuffer.allocateDirect(vocabSize * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        this.logits = new FloatBufferTensor(logitsBuffer, TensorShape.of(vocabSize), false);
        kvFolder.sessionOpened();
    }

    /**
     * Jlama 0.8.4's batched matmul (Gemmer.mnpack) never computes the corner block left over when
     * neither the batch nor the rows divide by its tile, so a batch of 6–9, 11–14 … tokens corrupts the
     * KV cache. Batches of at most 5 tokens or of a multiple of 5 are computed whole, so a prompt runs
     * as multiples of 5 (at most 255, under Jlama's 256 batch limit) and then a remainder of at most 4.
     */
    static int nextChunk(int remaining) {
        if (remaining <= 5) return remaining;
        return Math.min(255, remaining - remaining % 5);
    }

    @Override
    public void prefill(int[] tokens, float[] logitsOut) {
        int off = 0;
        while (off < tokens.length) {
            int n = nextChunk(tokens.length - off);
            int[] chunk = n == tokens.length ? tokens : java.util.Arrays.copyOfRange(tokens, off, off + n);
            off += n;
            forwardLock.lock();
            try (AbstractTensor hidden = model.batchForward(chunk, position, kv)) {
                position += n;
                if (logitsOut != null && off == tokens.length) readLogits(hidden.slice(hidden.shape().first() - 1), logitsOut);
            } finally {
                forwardLock.unlock();
            }
        }
    }

    /** Batched like {@link #prefill} (in the same safe chunk sizes), reading the logits of every row. */
    @Override
    public void prefillScored(int[] tokens, float[] logits, LogitsSink sink) {
        int off = 0;
        while (off < tokens.length) {
            int n = nextChunk(tokens.length - off);
            int[] chunk = Arrays.copyOfRange(tokens, off, off + n);
            forwardLock.lock();
            try (AbstractTensor hidden = model.batchForward(chunk, position, kv)) {
                position += n;
                for (int t = 0; t < n; t++) {
                    readLogits(hidden.slice(t), logits);
                    sink.accept(off + t, logits);
                }
            } finally {
                forwardLock.unlock();
            }
            off += n;
        }
    }

    @Override
    public void decode(int token, float[] logitsOut) {
        forwardLock.lock();
        try (AbstractTensor hidden = model.forward(token, position, kv, Optional.empty())) {
            position++;
            readLogits(hidden, logitsOut);
        } finally {
            forwardLock.unlock();
        }
    }

    /** Jlama's sample() at temperature 0 computes raw logits (with any soft-capping) into our tensor. */
    private void readLogits(AbstractTensor hidden, float[] out) {
        model.sample(hidden, 0f, 0f, logits);
        logitsBuffer.get(0, out, 0, vocabSize);
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            kv.close();
        } finally {
            kvFolder.sessionClosed(kvSession);
        }
    }
}
