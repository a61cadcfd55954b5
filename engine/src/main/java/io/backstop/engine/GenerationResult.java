package io.backstop.engine;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param text     the generated text (stop strings removed)
 * @param tokenIds every generated token id, a final stop token included
 * @param logprobs one entry per generated token when requested, else empty
 * @param promptTokenIds the prompt as the model saw it (BOS included)
 * @param promptLogprobs when requested, one entry per prompt token, the first null (nothing precedes it); else empty
 * @param finishDetail why the generation ended when the finish reason alone does not say (e.g. the KV cache
 *                     budget was spent), else null
 */
public record GenerationResult(String text, int[] tokenIds, FinishReason finishReason, Usage usage,
                               Timings timings, List<TokenLogprob> logprobs, int[] promptTokenIds,
                               List<TokenLogprob> promptLogprobs, String finishDetail) {

    public GenerationResult(String text, int[] tokenIds, FinishReason finishReason, Usage usage, Timings timings,
                            List<TokenLogprob> logprobs, int[] promptTokenIds, List<TokenLogprob> promptLogprobs) {
        this(text, tokenIds, finishReason, usage, timings, logprobs, promptTokenIds, promptLogprobs, null);
    }

    /** Without the prompt's tokens and log-probabilities. */
    public GenerationResult(String text, int[] tokenIds, FinishReason finishReason, Usage usage, Timings timings,
                            List<TokenLogprob> logprobs) {
        this(text, tokenIds, finishReason, usage, timings, logprobs, new int[0], List.of(), null);
    }
}
