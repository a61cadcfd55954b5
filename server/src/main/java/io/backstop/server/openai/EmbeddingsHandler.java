package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.Model;
import io.backstop.server.route.ModelRegistry;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** POST /v1/embeddings: mean-pooled hidden states of a local model (when its configuration allows it). */
public final class EmbeddingsHandler implements Handler {
    private static final int MAX_INPUTS = 256;
    private final ModelRegistry models;

    public EmbeddingsHandler(ModelRegistry models) {
        this.models = models;
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = f.requiredString("model");
        List<String> inputs = inputs(f.node("input"));
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
        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] v = model.embed(inputs.get(i));
            tokens += model.tokenize(inputs.get(i), true).length;
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
        root.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        ctx.contentType("application/json").result(Json.write(root));
    }

    private static List<String> inputs(JsonNode n) {
        if (n == null) throw ApiException.invalid("input", "missing required field: input");
        if (n.isTextual()) return List.of(n.asText());
        if (!n.isArray() || n.isEmpty()) throw ApiException.invalid("input", "input must be a string or a non-empty array of strings");
        if (n.size() > MAX_INPUTS) throw ApiException.invalid("input", "at most " + MAX_INPUTS + " inputs per request, got " + n.size());
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (e.isNumber() || e.isArray()) throw ApiException.unsupported("input", "token-id inputs are not supported yet; send text");
            if (!e.isTextual()) throw ApiException.invalid("input", "input must be a string or an array of strings");
            out.add(e.asText());
        }
        return out;
    }

    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
