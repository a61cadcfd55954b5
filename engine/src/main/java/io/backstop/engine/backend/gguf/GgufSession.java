package io.backstop.engine.backend.gguf;

import io.backstop.engine.backend.InferenceSession;
import io.backstop.engine.backend.gguf.model.ForwardPass;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One sequence on a GGUF model. Each forward pass (a chunk of the prompt, or one token) holds the
 * compute pool's fair turn lock, so concurrent sessions alternate pass by pass. Closing it drops the
 * KV cache.
 */
final class GgufSession implements InferenceSession {
    private final ReentrantLock turn;
    private final int[] one = new int[1];
    private ForwardPass pass;

    GgufSession(ForwardPass pass, ReentrantLock turn) {
        this.pass = pass;
        this.turn = turn;
    }

    /** The prompt in the prompt form; with {@code logitsOut}, its last token in the decode form, as a decode step ({@link ForwardPass#forward}). */
    @Override
    public void prefill(int[] tokens, float[] logitsOut) {
        int end = logitsOut != null ? tokens.length - 1 : tokens.length;
        for (int off = 0; off < end; off += pass.capacity()) {
            int n = Math.min(pass.capacity(), end - off);
            run(tokens, off, n, n, null, false);
        }
        if (logitsOut != null) run(tokens, end, 1, 0, logitsOut, true);
    }

    /** Batched like {@link #prefill}, the logits of every position computed in the same passes. */
    @Override
    public void prefillScored(int[] tokens, float[] logits, LogitsSink sink) {
        int vocab = logits.length;
        float[] chunk = new float[Math.min(tokens.length, pass.capacity()) * vocab];
        for (int off = 0; off < tokens.length; off += pass.capacity()) {
            int n = Math.min(pass.capacity(), tokens.length - off);
            run(tokens, off, n, 0, chunk, false);
            for (int t = 0; t < n; t++) {
                System.arraycopy(chunk, t * vocab, logits, 0, vocab);
                sink.accept(off + t, logits);
            }
        }
    }

    @Override
    public void decode(int token, float[] logitsOut) {
        one[0] = token;
        run(one, 0, 1, 0, logitsOut, true);
    }

    /** {@code decodeForm}: a sampled token or a prompt's last ({@link ForwardPass#forward}). */
    private void run(int[] tokens, int off, int n, int logitsFrom, float[] logits, boolean decodeForm) {
        if (pass == null) throw new IllegalStateException("session is closed");
        turn.lock();
        try {
            pass.forward(tokens, off, n, logitsFrom, logits, null, decodeForm);
        } finally {
            turn.unlock();
        }
    }

    @Override
    public int position() {
        return pass == null ? 0 : pass.position();
    }

    @Override
    public void close() {
        pass = null; // the KV cache and activations go with it
    }
}
