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
    private final KvBufferCache.KvBuffer kv;
    private final FloatBuffer logitsBuffer;
    private final AbstractTensor logits;
    private final int vocabSize;
    private int position;
    private boolean closed;

    JlamaSession(AbstractModel model, Lock forwardLock) {
        this.model = model;
        this.forwardLock = forwardLock;
        this.vocabSize = model.getConfig().vocabularySize;
        // A throwaway cache per session gives us Jlama's regular 8 MB KV pages (its ephemeral buffers use
        // 1 MB pages) without registering the buffer in the model-wide session map, where it would leak.
        this.kv = new KvBufferCache(model).getKvBuffer(UUID.randomUUID());
        // Our own direct buffer behind the logits tensor, so we can bulk-copy logits out of it.
        this.logitsBuffer = ByteBuffer.allocateDirect(vocabSize * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        this.logits = new FloatBufferTensor(logitsBuffer, TensorShape.of(vocabSize), false);
    }

    @Override
    public void prefill(int[] tokens, float[] logitsOut) {
        forwardLock.lock();
        try (AbstractTensor hidden = model.batchForward(tokens, position, kv)) {
            position += tokens.length;
            if (logitsOut != null) readLogits(hidden.slice(hidden.shape().first() - 1), logitsOut);
        } finally {
            forwardLock.unlock();
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
        kv.close();
    }
}
