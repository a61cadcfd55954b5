package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.guard.GuardService;
import io.backstop.server.http.RequestLog;
import io.backstop.server.lifecycle.InFlight;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.List;

/** POST /v1/completions (the legacy text completion API). */
public final class CompletionsHandler implements Handler {
    /** OpenAI's documented default for this endpoint (chat has none: it runs until a stop or the context ends). */
    static final int DEFAULT_MAX_TOKENS = 16;
    /** Prompts in one request. */
    static final int MAX_PROMPTS = 64;

    private final RoutedCompletion completions;
    private final ModelAliases aliases;

    public CompletionsHandler(ModelRegistry models, RouteTable routes, RequestLog log, InFlight inFlight, ModelAliases aliases,
                              int timeoutSeconds) {
        this(models, routes, log, inFlight, aliases, timeoutSeconds, GuardService.none());
    }

    public CompletionsHandler(ModelRegistry models, RouteTable routes, RequestLog log, InFlight inFlight, ModelAliases aliases,
                              int timeoutSeconds, GuardService guards) {
        this.completions = new RoutedCompletion(models, routes, new CompletionRunner(log, inFlight), timeoutSeconds, guards);
        this.aliases = aliases;
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = aliases.resolve(f.requiredString("model"));
        prompts(f.node("prompt")); // checked here; routed as the guardrails leave them
        if (f.has("suffix")) throw ApiException.unsupported("suffix", "suffix (insertion) is not supported yet");
        Integer bestOf = f.integer("best_of");
        if (bestOf != null && bestOf != 1) throw ApiException.unsupported("best_of", "best_of other than 1 is not supported yet");
        boolean echo = Boolean.TRUE.equals(f.bool("echo"));
        Integer logprobs = f.integer("logprobs");
        // echo covers the prompt: with logprobs every prompt token is scored; max_tokens 0 then returns only that
        Integer maxTokens = f.integer("max_tokens");
        boolean scorePrompt = echo && (logprobs != null || maxTokens != null && maxTokens == 0);
        Integer scoring = scorePrompt ? (logprobs == null ? 0 : logprobs) : null;
        RequestMapper.Rules rules = new RequestMapper.Rules(DEFAULT_MAX_TOKENS, scoring);
        // echo returns the prompts as the model saw them (redacted by the guardrails), matching their scored tokens
        completions.serve(ctx, name, f, new RoutedCompletion.Endpoint("/completions", false, fields -> prompts(fields.node("prompt")),
                (common, model, prompts, local) -> new TextFormat(common.logprobs() != null, echo ? echoes(prompts, model) : null, common.n(),
                        model::tokenTexts, common.includeUsage()), rules, StructuredOutput.parse(f, false)));
    }

    /** The prompts as text, for echo (a token-id prompt is detokenized by the model that answers). */
    private static List<String> echoes(List<Prompt> prompts, Model model) {
        return prompts.stream().map(p -> p instanceof Prompt.Tokens t ? model.detokenize(t.ids()) : ((Prompt.Text) p).text()).toList();
    }

    /**
     * As OpenAI: a string, an array of token ids, or an array of several of either (up to
     * {@value #MAX_PROMPTS}); each prompt gets its own n choices.
     */
    static List<Prompt> prompts(JsonNode p) {
        if (p == null) throw ApiException.invalid("prompt", "missing required field: prompt");
        if (p.isTextual()) return List.of(Prompt.text(p.asText()));
        if (!p.isArray() || p.isEmpty()) throw ApiException.invalid("prompt", "prompt must be a string, an array of token ids, or an array of those");
        if (p.get(0).isNumber()) return List.of(Prompt.tokens(Fields.tokenIds(p, "prompt", "prompt")));
        if (p.size() > MAX_PROMPTS) throw ApiException.invalid("prompt", "at most " + MAX_PROMPTS + " prompts per request, got " + p.size());
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            JsonNode e = p.get(i);
            if (e.isTextual()) out.add(Prompt.text(e.asText()));
            else if (e.isArray() && !e.isEmpty()) out.add(Prompt.tokens(Fields.tokenIds(e, "prompt", "prompt[" + i + "]")));
            else throw ApiException.invalid("prompt", "prompt[" + i + "] must be a string or a non-empty array of token ids");
        }
        return out;
    }
}
