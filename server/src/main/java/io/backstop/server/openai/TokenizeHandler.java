package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.route.ModelRegistry;
import io.javalin.http.Context;

/** POST /tokenize and POST /detokenize, in vLLM's shapes. */
public final class TokenizeHandler {
    private final ModelRegistry models;

    public TokenizeHandler(ModelRegistry models) {
        this.models = models;
    }

    /** {"model", "prompt"} or {"model", "messages"}; "add_special_tokens" (default true). */
    public void tokenize(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = f.requiredString("model");
        Boolean special = f.bool("add_special_tokens");
        Model model = models.get(name);
        int[] ids;
        if (f.has("messages")) {
            ids = model.promptTokens(Prompt.chat(ChatCompletionsHandler.messages(f.node("messages"))));
        } else {
            ids = model.tokenize(f.requiredString("prompt"), special == null || special);
        }
        ObjectNode root = Json.object();
        ArrayNode tokens = root.putArray("tokens");
        for (int id : ids) tokens.add(id);
        root.put("count", ids.length);
        root.put("max_model_len", model.info().usablePositions());
        ctx.contentType("application/json").result(Json.write(root));
    }

    /** {"model", "tokens": [ids]} → {"prompt": text}. */
    public void detokenize(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = f.requiredString("model");
        JsonNode t = f.node("tokens");
        if (t == null || !t.isArray()) throw ApiException.invalid("tokens", "tokens must be an array of token ids");
        int[] ids = new int[t.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!t.get(i).canConvertToInt() || !t.get(i).isIntegralNumber()) throw ApiException.invalid("tokens", "tokens must be an array of token ids");
            ids[i] = t.get(i).asInt();
        }
        Model model = models.get(name);
        ObjectNode root = Json.object();
        root.put("prompt", model.detokenize(ids));
        ctx.contentType("application/json").result(Json.write(root));
    }
}
