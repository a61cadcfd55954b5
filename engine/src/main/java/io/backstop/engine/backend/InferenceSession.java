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

    /** Number of positions already computed. */
    int position();

    @Override
    void close();
}
