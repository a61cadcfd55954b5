package io.backstop.engine;

import java.util.List;

/**
 * Receives a generation as it happens, on the generating thread. Text deltas never split a UTF-8
 * character and never contain (part of) a stop string. Keep callbacks quick: they delay the next token.
 */
public interface GenerationListener {
    GenerationListener NONE = delta -> {};

    void onText(String delta);

    /** Every sampled token, with its log-probability when the request asked for logprobs. */
    default void onToken(int tokenId, TokenLogprob logprob) {}

    /**
     * When the request asked for prompt log-probabilities: the prompt's ids and one entry per token (the
     * first null), once, after the prompt is read and before any generated token.
     */
    default void onPromptScored(int[] promptTokenIds, List<TokenLogprob> promptLogprobs) {}
}
