package io.backstop.engine;

import java.util.List;

/**
 * Embeddings of several inputs.
 *
 * @param vectors      one L2-normalised vector per input, in order
 * @param promptTokens the tokens the inputs took together
 */
public record Embeddings(List<float[]> vectors, int promptTokens) {
    public Embeddings {
        vectors = List.copyOf(vectors);
    }
}
