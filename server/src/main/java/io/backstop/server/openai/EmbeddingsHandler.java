package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.Embeddings;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.guard.GuardService;
import io.backstop.server.route.ModelRegistry;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * POST /v1/embeddings: mean-pooled hidden states of a local model (when its configuration allows it).
 * Inputs are text or token ids, as OpenAI takes them; the work goes through the model's scheduler like
 * a generation, within the per-request limits of inputs and tokens.
 */
public final class EmbeddingsHandler implements Handler {
    private final ModelRegistry models;
    private final ModelAliases aliases;
    private final int maxInputs;
    private final int maxTokens;

    private final GuardedInput guards;

    public EmbeddingsHandler(ModelRegistry models, ModelAliases aliases, int maxInputs, int maxTokens) {
        this(models, aliases, maxInputs, maxTokens, GuardService.none());
    }

    public EmbeddingsHandler(ModelRegistry models, ModelAliases aliases, int maxInputs, int maxTokens, GuardService guards) {
        this.models = models;
        this.aliases = aliases;
        this.maxInputs = maxInputs;
        this.maxTokens = maxTokens;
        this.guards = new GuardedInput(guards, models, io.backstop.server.route.RouteTable.empty());
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = aliases.resolve(f.requiredString("model"));
        inputs(f.node("input")); // checked before the guardrails read them
        f = guards.embedding(ctx, name, f); // the model's input guardrails, before any model work
        List<Prompt> inputs = inputs(f.node("input"));
        String encoding = f.string("encoding_format");
        if (encoding != null && !encoding.equals("float") && !encoding.equals("base64")) {
            throw ApiException.invalid("encoding_format", "encoding_format must be 'float' or 'base64'");
        }
        Integer dimensions = f.integer("dimensions");
        f.string("user");
        if (!models.config(name).embeddings()) {
            throw ApiException.invalid("model", "model '" + name + "' does not serve embeddings (embeddings: false in its configuration)");
        }
        Model model = models.get(name);
        if (dimensions != null && dimensions != model.info().hiddenSize()) {
            throw ApiException.unsupported("dimensions", "model '" + name + "' embeds in " + model.info().hiddenSize() + " dimensions; other sizes are not supported");
        }
        Embeddings embeddings = model.embed(inputs, maxTokens);
        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < embeddings.vectors().size(); i++) {
            float[] v = embeddings.vectors().get(i);
            ObjectNode e = data.addObject();
            e.put("object", "embedding");
            e.put("index", i);
            if ("base64".equals(encoding)) e.put("embedding", base64(v));
            else {
                ArrayNode arr = e.putArray("embedding");
                for (float x : v) arr.add(x);
            }
        }
        root.put("model", name);
        root.putObject("usage").put("prompt_tokens", embeddings.promptTokens()).put("total_tokens", embeddings.promptTokens());
        ctx.contentType("application/json").result(Json.write(root));
    }

    /** A string, an array of strings, an array of token ids, or an array of token-id arrays. */
    private List<Prompt> inputs(JsonNode n) {
        if (n == null) throw ApiException.invalid("input", "missing required field: input");
        if (n.isTextual()) return List.of(Prompt.text(n.asText()));
        if (!n.isArray() || n.isEmpty()) throw ApiException.invalid("input", "input must be a string, an array of strings, or token ids");
        if (n.get(0).isNumber()) return List.of(Prompt.tokens(Fields.tokenIds(n, "input", "input")));
        if (n.size() > maxInputs) {
            throw ApiException.invalid("input", "at most " + maxInputs + " inputs per request, got " + n.size() + " (server.max_embedding_inputs)");
        }
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (e.isTextual()) out.add(Prompt.text(e.asText()));
            else if (e.isArray()) out.add(Prompt.tokens(Fields.tokenIds(e, "input", "input[" + i + "]")));
            else throw ApiException.invalid("input", "input[" + i + "] must be a string or an array of token ids");
        }
        return out;
    }


    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
