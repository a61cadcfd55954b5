package io.backstop.engine;

import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.sampling.SamplingParams;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One generation.
 *
 * @param maxTokens    tokens to generate (not total positions); null generates until a stop or the context ends;
 *                     0 only scores the prompt (with {@code promptLogprobs})
 * @param stop         up to 4 stop strings, never emitted
 * @param stopTokenIds extra token ids that end generation, besides the model's EOS ids
 * @param logprobs     null for none; otherwise the number of top alternatives (0–20) reported per token
 * @param timeout      null for none; when it passes the request ends as {@link FinishReason#CANCELLED}
 * @param promptLogprobs null for none; otherwise the log-probability of every prompt token given the
 *                     tokens before it (the first has none) with this many top alternatives (0–20):
 *                     what scoring tools read from {@code echo} with {@code logprobs}
 * @param constraint   null for free text; otherwise what the output must be (JSON schema, regex, choices,
 *                     GBNF): compiled at submit (errors name the field and keyword), the document always
 *                     completes within the token budget, and generation stops when it is complete
 */
public record GenerationRequest(Prompt prompt, Integer maxTokens, SamplingParams sampling, List<String> stop,
                                Set<Integer> stopTokenIds, Integer logprobs, Duration timeout, Integer promptLogprobs,
                                ConstraintSpec constraint) {
    public static final int MAX_STOP_STRINGS = 4;
    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationRequest {
        sampling = sampling == null ? SamplingParams.defaults() : sampling;
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
    }

    /** Without prompt log-probabilities or an output constraint. */
    public GenerationRequest(Prompt prompt, Integer maxTokens, SamplingParams sampling, List<String> stop,
                             Set<Integer> stopTokenIds, Integer logprobs, Duration timeout) {
        this(prompt, maxTokens, sampling, stop, stopTokenIds, logprobs, timeout, null, null);
    }

    public GenerationRequest withConstraint(ConstraintSpec c) {
        return new GenerationRequest(prompt, maxTokens, sampling, stop, stopTokenIds, logprobs, timeout, promptLogprobs, c);
    }

    public GenerationRequest withPrompt(Prompt p) {
        return new GenerationRequest(p, maxTokens, sampling, stop, stopTokenIds, logprobs, timeout, promptLogprobs, constraint);
    }

    public static Builder builder(Prompt prompt) {
        return new Builder(prompt);
    }

    public static Builder text(String text) {
        return new Builder(Prompt.text(text));
    }

    /** Checks every option against OpenAI's ranges; the exception names the offending field. */
    public void validate(int vocabSize) {
        if (prompt == null) throw new InvalidRequestException("prompt", "prompt is required");
        if (prompt instanceof Prompt.Chat chat) {
            if (chat.messages().isEmpty()) throw new InvalidRequestException("messages", "messages must not be empty");
            for (int i = 0; i < chat.messages().size(); i++) {
                String role = chat.messages().get(i).role();
                if (!ChatMessage.ROLES.contains(role)) {
                    throw new InvalidRequestException("messages[" + i + "].role",
                            "messages[" + i + "].role '" + role + "' is not one of system, developer, user, assistant, tool");
                }
            }
        }
        if (maxTokens != null && (maxTokens < 0 || maxTokens == 0 && promptLogprobs == null)) {
            throw new InvalidRequestException("max_tokens", "max_tokens must be at least 1, got " + maxTokens
                    + (maxTokens == 0 ? " (0 is allowed only to score the prompt, with prompt log-probabilities)" : ""));
        }
        SamplingParams s = sampling;
        range("temperature", s.temperature(), 0, 2);
        if (!(s.topP() > 0 && s.topP() <= 1)) throw new InvalidRequestException("top_p", "top_p must be in (0, 1], got " + s.topP());
        if (s.topK() < 0) throw new InvalidRequestException("top_k", "top_k must be 0 (disabled) or positive, got " + s.topK());
        range("min_p", s.minP(), 0, 1);
        if (!(s.repetitionPenalty() > 0 && s.repetitionPenalty() <= 10)) {
            throw new InvalidRequestException("repetition_penalty", "repetition_penalty must be in (0, 10], got " + s.repetitionPenalty());
        }
        range("presence_penalty", s.presencePenalty(), -2, 2);
        range("frequency_penalty", s.frequencyPenalty(), -2, 2);
        for (Map.Entry<Integer, Double> e : s.logitBias().entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= vocabSize) {
                throw new InvalidRequestException("logit_bias", "logit_bias token id " + e.getKey() + " is outside the vocabulary (0–" + (vocabSize - 1) + ")");
            }
            if (!(e.getValue() >= -100 && e.getValue() <= 100)) {
                throw new InvalidRequestException("logit_bias", "logit_bias for token " + e.getKey() + " must be in [-100, 100], got " + e.getValue());
            }
        }
        if (stop.size() > MAX_STOP_STRINGS) throw new InvalidRequestException("stop", "at most " + MAX_STOP_STRINGS + " stop strings are allowed, got " + stop.size());
        for (String st : stop) if (st == null || st.isEmpty()) throw new InvalidRequestException("stop", "stop strings must not be empty");
        for (int id : stopTokenIds) {
            if (id < 0 || id >= vocabSize) throw new InvalidRequestException("stop_token_ids", "stop token id " + id + " is outside the vocabulary (0–" + (vocabSize - 1) + ")");
        }
        if (logprobs != null && (logprobs < 0 || logprobs > MAX_TOP_LOGPROBS)) {
            throw new InvalidRequestException("top_logprobs", "top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + logprobs);
        }
        if (promptLogprobs != null && (promptLogprobs < 0 || promptLogprobs > MAX_TOP_LOGPROBS)) {
            throw new InvalidRequestException("logprobs", "prompt logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + promptLogprobs);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) throw new InvalidRequestException("timeout", "timeout must be positive");
    }

    private static void range(String field, double v, double min, double max) {
        if (!(v >= min && v <= max)) throw new InvalidRequestException(field, field + " must be in [" + fmt(min) + ", " + fmt(max) + "], got " + fmt(v));
    }

    /** Whole numbers without ".0"; huge ones in exponent form (a long cast would print 9223372036854775807). */
    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** Fluent construction; unset options keep OpenAI's defaults. */
    public static final class Builder {
        private final Prompt prompt;
        private Integer maxTokens;
        private double temperature = 1.0;
        private double topP = 1.0;
        private int topK;
        private double minP;
        private Long seed;
        private double repetitionPenalty = 1.0;
        private double presencePenalty;
        private double frequencyPenalty;
        private final Map<Integer, Double> logitBias = new HashMap<>();
        private List<String> stop = List.of();
        private Set<Integer> stopTokenIds = Set.of();
        private Integer logprobs;
        private Duration timeout;
        private Integer promptLogprobs;
        private ConstraintSpec constraint;

        private Builder(Prompt prompt) {
            this.prompt = prompt;
        }

        public Builder maxTokens(Integer n) { this.maxTokens = n; return this; }
        public Builder temperature(double t) { this.temperature = t; return this; }
        public Builder greedy() { this.temperature = 0; return this; }
        public Builder topP(double p) { this.topP = p; return this; }
        public Builder topK(int k) { this.topK = k; return this; }
        public Builder minP(double p) { this.minP = p; return this; }
        public Builder seed(Long s) { this.seed = s; return this; }
        public Builder repetitionPenalty(double p) { this.repetitionPenalty = p; return this; }
        public Builder presencePenalty(double p) { this.presencePenalty = p; return this; }
        public Builder frequencyPenalty(double p) { this.frequencyPenalty = p; return this; }
        public Builder logitBias(int token, double bias) { this.logitBias.put(token, bias); return this; }
        public Builder logitBias(Map<Integer, Double> bias) { this.logitBias.putAll(bias); return this; }
        public Builder stop(List<String> s) { this.stop = s; return this; }
        public Builder stop(String... s) { this.stop = List.of(s); return this; }
        public Builder stopTokenIds(Set<Integer> ids) { this.stopTokenIds = ids; return this; }
        public Builder logprobs(Integer topN) { this.logprobs = topN; return this; }
        public Builder timeout(Duration d) { this.timeout = d; return this; }
        public Builder promptLogprobs(Integer topN) { this.promptLogprobs = topN; return this; }
        public Builder constraint(ConstraintSpec c) { this.constraint = c; return this; }

        public GenerationRequest build() {
            SamplingParams s = new SamplingParams(temperature, topP, topK, minP, seed, repetitionPenalty,
                    presencePenalty, frequencyPenalty, logitBias);
            return new GenerationRequest(prompt, maxTokens, s, stop, stopTokenIds, logprobs, timeout, promptLogprobs, constraint);
        }
    }
}
