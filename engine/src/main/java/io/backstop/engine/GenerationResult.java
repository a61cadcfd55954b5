package io.backstop.engine;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param text     the generated text (stop strings removed)
 * @param tokenIds every generated token id, a final stop token included
 * @param logprobs one entry per generated token when requested, else empty
 */
public record GenerationResult(String text, int[] tokenIds, FinishReason finishReason, Usage usage,
                               Timings timings, List<TokenLogprob> logprobs) {}
