package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.Model;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Prompt;
import io.backstop.server.openai.tools.ToolRequest;
import io.backstop.server.route.ModelRegistry;
import io.javalin.http.Context;

/** POST /tokenize and POST /detokenize, in vLLM's shapes. */
public final class TokenizeHandler {
    private final ModelRegistry models;
    private final ModelAliases aliases;

    public TokenizeHandler(ModelRegistry models, ModelAliases aliases) {
        this.models = models;
        this.aliases = aliases;
    }

    /**
     * {"model", "prompt"} or {"model", "messages"} (with "tools" as a chat request has them); "add_special_tokens" (default true). Tokenizing is
     * model work: it waits its turn in the model's scheduler (429 when that is full).
     */
    public void tokenize(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = aliases.resolve(f.requiredString("model"));
        Boolean special = f.bool("add_special_tokens");
        Prompt prompt = f.has("messages") ? Prompt.chat(ChatMessages.parse(f.node("messages"))) : Prompt.text(f.requiredString("prompt"));
        StructuredOutput tools = f.has("messages") ? new StructuredOutput(null, ToolRequest.parse(f)) : StructuredOutput.NONE;
        Model model = models.get(name);
        if (tools.tools() != null) prompt = tools.forModel(model).apply(GenerationRequest.builder(prompt).build()).prompt(); // as a chat request renders them
        int[] ids = model.tokens(prompt, special == null || special);
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
        String name = aliases.resolve(f.requiredString("model"));
        JsonNode t = f.node("tokens");
        if (t == null || !t.isArray()) throw ApiException.invalid("tokens", "tokens must be an array of token ids");
        int[] ids = Fields.tokenIds(t, "tokens", "tokens");
        Model model = models.get(name);
        ObjectNode root = Json.object();
        root.put("prompt", model.detokenize(ids));
        ctx.contentType("application/json").result(Json.write(root));
    }
}
