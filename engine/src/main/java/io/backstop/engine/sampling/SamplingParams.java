package io.backstop.engine.sampling;

import java.util.Map;

/**
 * How the next token is chosen. Defaults follow OpenAI's API (temperature 1, top_p 1, no penalties);
 * top_k, min_p and repetition_penalty are the usual open-model extras (vLLM, llama.cpp).
 *
 * @param temperature       0 means greedy (argmax, first maximum)
 * @param topK              0 disables
 * @param seed              null draws a random seed; the same seed and request give the same output
 * @param repetitionPenalty 1 disables; divides positive and multiplies negative logits of tokens seen in prompt or output
 * @param presencePenalty   subtracted once from every token already generated
 * @param frequencyPenalty  subtracted per occurrence of a token already generated
 * @param logitBias         token id → value added to its logit (−100 bans, +100 forces)
 */
public record SamplingParams(
        double temperature,
        double topP,
        int topK,
        double minP,
        Long seed,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias) {

    public SamplingParams {
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
    }

    public static SamplingParams defaults() {
        return new SamplingParams(1.0, 1.0, 0, 0.0, null, 1.0, 0.0, 0.0, Map.of());
    }

    public static SamplingParams greedy() {
        return defaults().withTemperature(0);
    }

    public SamplingParams withTemperature(double t) {
        return new SamplingParams(t, topP, topK, minP, seed, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias);
    }

    public SamplingParams withSeed(Long s) {
        return new SamplingParams(temperature, topP, topK, minP, s, repetitionPenalty, presencePenalty, frequencyPenalty, logitBias);
    }

    public boolean isGreedy() {
        return temperature == 0 || topK == 1;
    }
}
