package io.backstop.engine.backend.gguf.model;

import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;

/**
 * A GGUF model's network: configuration and weights (views of the file's mapping). Stateless and
 * shared; each sequence runs it through a {@link ForwardPass} of its own.
 */
public record Transformer(ModelConfig config, Weights weights) {
    /** Reads the configuration and every weight of the file, refusing what the engine cannot run. */
    public static Transformer of(GgufFile file) {
        return of(file, DecodeLayout.BATCH);
    }

    /** {@link #of(GgufFile)} with the Q4_0, Q4_K and Q8_0 decode copies laid out for {@code layout}. */
    public static Transformer of(GgufFile file, DecodeLayout layout) {
        ModelConfig config = ModelConfig.read(file, Weights.ropeFreqFactors(file));
        return new Transformer(config, Weights.read(file, config, layout));
    }

    /** A new sequence at position 0. */
    public ForwardPass newSequence(ComputePool pool) {
        return new ForwardPass(config, weights, pool);
    }

    /** A new sequence at position 0 whose forward passes take up to {@code chunk} tokens. */
    public ForwardPass newSequence(ComputePool pool, int chunk) {
        return new ForwardPass(config, weights, pool, chunk);
    }
}
