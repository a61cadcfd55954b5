package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.http.RequestLog;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import io.javalin.http.Handler;

/** POST /v1/completions (the legacy text completion API). */
public final class CompletionsHandler implements Handler {
    private final RoutedCompletion completions;

    public CompletionsHandler(ModelRegistry models, RouteTable routes, RequestLog log, int timeoutSeconds) {
        this.completions = new RoutedCompletion(models, routes, new CompletionRunner(log), timeoutSeconds);
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = f.requiredString("model");
        Prompt prompt = prompt(f.node("prompt"));
        if (f.has("suffix")) throw ApiException.unsupported("suffix", "suffix (insertion) is not supported yet");
        Integer bestOf = f.integer("best_of");
        if (bestOf != null && bestOf != 1) throw ApiException.unsupported("best_of", "best_of other than 1 is not supported yet");
        boolean echo = Boolean.TRUE.equals(f.bool("echo"));
        completions.serve(ctx, name, f, new RoutedCompletion.Endpoint("/completions", false, fields -> prompt,
                (common, model) -> new TextFormat(common.logprobs() != null, echo ? echoed(prompt, model) : null, common.includeUsage())));
    }

    /** The prompt as text, for echo (a token-id prompt is detokenized by the model that answers). */
    private static String echoed(Prompt prompt, Model model) {
        return prompt instanceof Prompt.Tokens t ? model.detokenize(t.ids()) : ((Prompt.Text) prompt).text();
    }

    /**
     * A string, an array of token ids, or an array holding exactly one of those (several prompts in one
     * request are not supported yet).
     */
    static Prompt prompt(JsonNode p) {
        if (p == null) throw ApiException.invalid("prompt", "missing required field: prompt");
        if (p.isTextual()) return Prompt.text(p.asText());
        if (p.isArray() && p.size() == 1 && (p.get(0).isTextual() || p.get(0).isArray())) return prompt(p.get(0));
        if (p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!p.get(i).isIntegralNumber() || !p.get(i).canConvertToInt()) throw ApiException.invalid("prompt", "prompt token ids must be integers");
                ids[i] = p.get(i).asInt();
            }
            return Prompt.tokens(ids);
        }
        if (p.isArray() && p.size() > 1) throw ApiException.unsupported("prompt", "several prompts in one request are not supported yet; send one request per prompt");
        throw ApiException.invalid("prompt", "prompt must be a string or an array of token ids");
    }
}
