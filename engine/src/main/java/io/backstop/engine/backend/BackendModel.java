package io.backstop.engine.backend;

import io.backstop.engine.ModelInfo;
import java.util.Map;
import java.util.Set;

/**
 * What a backend offers the engine: a tokenizer, a vocabulary in bytes and sessions that turn tokens
 * into logits. It knows nothing about sampling, stop strings, chat or HTTP.
 */
public interface BackendModel extends AutoCloseable {
    ModelInfo info();

    Vocabulary vocabulary();

    /** Encodes text into token ids without adding any special token. */
    int[] encode(String text);

    /** The beginning-of-sequence id, or -1 when the model does not use one. */
    int bosTokenId();

    /** Whether prompts must start with the BOS token. */
    boolean addsBosToken();

    /** Token ids that end generation (the model's EOS ids). */
    Set<Integer> eosTokenIds();

    /**
     * How many positions this backend computes correctly; at most the context length, lower when
     * the backend has a known defect near the end of the context.
     */
    int maxPositions();

    /** Chat templates shipped with the model (name → Jinja source); "default" when it has one. */
    Map<String, String> chatTemplates();

    /** Special token texts chat templates refer to (bos_token, eos_token). */
    Map<String, String> specialTokenTexts();

    InferenceSession openSession();

    /**
     * Continuous batching for this model: up to {@code maxSequences} sequences and {@code prefillTokens}
     * prompt tokens per step, KV memory within {@code kvBytes}; null when the backend runs one session
     * per request only.
     */
    default BatchRunner batchRunner(int maxSequences, int prefillTokens, long kvBytes) {
        return null;
    }

    /** A sentence embedding (L2-normalised), or UnsupportedOperationException when the backend has none. */
    default float[] embed(int[] tokens) {
        throw new UnsupportedOperationException("this backend cannot embed");
    }

    @Override
    void close();
}
