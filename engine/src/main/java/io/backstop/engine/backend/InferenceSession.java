package io.backstop.engine.backend;

/**
 * One sequence's state inside a backend: its KV cache and position. Not thread-safe; one request
 * owns it. Closing it frees the cache memory.
 */
public interface InferenceSession extends AutoCloseable {

    /**
     * Runs the tokens at the next positions (a prompt chunk).
     *
     * @param logitsOut receives the logits after the last token, or {@code null} when not needed
     */
    void prefill(int[] tokens, float[] logitsOut);

    /** Runs one token at the next position and writes the logits for the following one. */
    void decode(int token, float[] logitsOut);

    /** Receives the logits after one token of a chunk. */
    @FunctionalInterface
    interface LogitsSink {
        /**
         * @param index  the token's index in the chunk
         * @param logits the logits for the position after it; the array is reused: copy what you keep
         */
        void accept(int index, float[] logits);
    }

    /**
     * Runs the tokens at the next positions like {@link #prefill}, and hands the logits after EVERY
     * token to {@code sink}, in order; {@code logits} holds those after the last token when it returns.
     * Scoring a prompt needs them (echo with logprobs). The default decodes token by token; a backend
     * with batched prefill may override it, and must give the same logits.
     */
    default void prefillScored(int[] tokens, float[] logits, LogitsSink sink) {
        for (int i = 0; i < tokens.length; i++) {
            decode(tokens[i], logits);
            sink.accept(i, logits);
        }
    }

    /** Number of positions already computed. */
    int position();

    @Override
    void close();
}
