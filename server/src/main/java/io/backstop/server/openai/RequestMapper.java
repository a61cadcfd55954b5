package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Prompt;
import io.backstop.server.config.RequestDefaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the shared fields of /v1/chat/completions and /v1/completions into engine requests, one per
 * choice. Range checks live in the engine (one source of truth); type checks here.
 */
final class RequestMapper {
    static final int MAX_N = 16;

    private RequestMapper() {}

    /** Options common to every choice of a request. */
    record Common(int n, boolean stream, boolean includeUsage, Integer logprobs) {}

    /**
     * What differs between the endpoints.
     *
     * @param defaultMaxTokens OpenAI's default when neither the request nor the model sets max_tokens (16 for
     *                         /v1/completions; null for chat: until a stop or the context ends)
     * @param promptLogprobs   score the prompt with this many top alternatives (echo with logprobs), else null;
     *                         max_tokens 0 is then allowed and returns only the scored prompt
     */
    record Rules(Integer defaultMaxTokens, Integer promptLogprobs) {
        static final Rules CHAT = new Rules(null, null);
    }

    static Common common(Fields f, boolean chat) {
        Integer n = f.integer("n");
        if (n != null && (n < 1 || n > MAX_N)) throw ApiException.invalid("n", "n must be between 1 and " + MAX_N + ", got " + n);
        boolean stream = Boolean.TRUE.equals(f.bool("stream"));
        boolean includeUsage = false;
        JsonNode so = f.node("stream_options");
        if (so != null) {
            if (!stream) throw ApiException.invalid("stream_options", "stream_options is only allowed when stream is true");
            if (!so.isObject()) throw ApiException.invalid("stream_options", "stream_options must be an object");
            includeUsage = new Fields(so).bool("include_usage") == Boolean.TRUE;
        }
        if (!chat) rejectTools(f);
        f.string("user"); // accepted for compatibility; only its type is checked
        Integer logprobs;
        if (chat) {
            boolean wanted = Boolean.TRUE.equals(f.bool("logprobs"));
            Integer top = f.integer("top_logprobs");
            if (top != null && !wanted) throw ApiException.invalid("top_logprobs", "top_logprobs requires logprobs to be true");
            logprobs = wanted ? (top == null ? 0 : top) : null;
        } else {
            logprobs = f.integer("logprobs");
            if (logprobs != null && (logprobs < 0 || logprobs > 5)) throw ApiException.invalid("logprobs", "logprobs must be between 0 and 5, got " + logprobs);
        }
        return new Common(n == null ? 1 : n, stream, includeUsage, logprobs);
    }

    /** Function calling is a chat feature (as on OpenAI); /v1/completions refuses it rather than ignoring it. */
    private static void rejectTools(Fields f) {
        for (String field : java.util.List.of("tools", "functions", "tool_choice", "function_call")) {
            if (f.has(field)) throw ApiException.unsupported(field, field + " is only supported on /v1/chat/completions");
        }
    }

    /**
     * One engine request per choice, prompt-major (choice p·n + i is prompt p's i-th); seeds are offset per
     * choice so n choices differ yet reproduce.
     */
    static List<GenerationRequest> requests(Fields f, List<Prompt> prompts, Common common, Rules rules, RequestDefaults d, int timeoutSeconds) {
        String field = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer maxTokens = f.integer(field);
        if (maxTokens != null && maxTokens == 0 && rules.promptLogprobs() == null) {
            throw ApiException.invalid(field, field + " must be at least 1, got 0" + (rules == Rules.CHAT ? ""
                    : " (0 is allowed only with echo, which then returns the prompt, scored when logprobs is set)"));
        }
        if (maxTokens == null) maxTokens = d.maxTokens();
        if (maxTokens == null) maxTokens = rules.defaultMaxTokens();
        Double temperature = or(f.number("temperature"), d.temperature());
        Double topP = or(f.number("top_p"), d.topP());
        Integer topK = or(f.integer("top_k"), d.topK());
        Double minP = or(f.number("min_p"), d.minP());
        Double repetition = or(f.number("repetition_penalty"), d.repetitionPenalty());
        Double presence = f.number("presence_penalty");
        Double frequency = f.number("frequency_penalty");
        Long seed = f.longValue("seed");
        List<String> stop = f.stop();
        var bias = f.logitBias();
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < prompts.size() * common.n(); i++) {
            // the seed offset is the choice's within its prompt: a prompt answers alike alone or in a batch
            GenerationRequest.Builder b = GenerationRequest.builder(prompts.get(i / common.n())).maxTokens(maxTokens).stop(stop)
                    .logitBias(bias).logprobs(common.logprobs()).promptLogprobs(rules.promptLogprobs())
                    .seed(seed == null ? null : seed + i % common.n());
            if (temperature != null) b.temperature(temperature);
            if (topP != null) b.topP(topP);
            if (topK != null) b.topK(topK == -1 ? 0 : topK); // -1 means "off" in vLLM
            if (minP != null) b.minP(minP);
            if (repetition != null) b.repetitionPenalty(repetition);
            if (presence != null) b.presencePenalty(presence);
            if (frequency != null) b.frequencyPenalty(frequency);
            if (timeoutSeconds > 0) b.timeout(Duration.ofSeconds(timeoutSeconds));
            out.add(b.build());
        }
        return out;
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
