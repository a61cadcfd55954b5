package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Typed reads of request fields; a wrong type is a 400 naming the field, as OpenAI does. */
public final class Fields {
    private final JsonNode root;

    public Fields(JsonNode root) {
        this.root = root;
    }

    public JsonNode root() {
        return root;
    }

    public JsonNode node(String f) {
        JsonNode n = root.get(f);
        return n == null || n.isNull() ? null : n;
    }

    public boolean has(String f) {
        return node(f) != null;
    }

    public String string(String f) {
        JsonNode n = node(f);
        if (n == null) return null;
        if (!n.isTextual()) throw ApiException.invalid(f, f + " must be a string");
        return n.asText();
    }

    public String requiredString(String f) {
        String s = string(f);
        if (s == null) throw ApiException.invalid(f, "missing required field: " + f);
        return s;
    }

    public Boolean bool(String f) {
        JsonNode n = node(f);
        if (n == null) return null;
        if (!n.isBoolean()) throw ApiException.invalid(f, f + " must be true or false");
        return n.asBoolean();
    }

    public Integer integer(String f) {
        JsonNode n = node(f);
        if (n == null) return null;
        if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble()))) {
            throw ApiException.invalid(f, f + " must be an integer");
        }
        if (!n.canConvertToInt()) throw ApiException.invalid(f, f + " is out of range");
        return n.asInt();
    }

    public Long longValue(String f) {
        JsonNode n = node(f);
        if (n == null) return null;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw ApiException.invalid(f, f + " must be an integer");
        return n.asLong();
    }

    public Double number(String f) {
        JsonNode n = node(f);
        if (n == null) return null;
        if (!n.isNumber()) throw ApiException.invalid(f, f + " must be a number");
        return n.asDouble();
    }

    /**
     * A JSON array of token ids.
     *
     * @param param the request field reported on error; {@code name} the element it is (e.g. prompt[2])
     */
    public static int[] tokenIds(JsonNode array, String param, String name) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt()) throw ApiException.invalid(param, name + " must be an array of integer token ids");
            ids[i] = id.asInt();
        }
        return ids;
    }

    /** {@code stop}: a string or an array of strings. */
    public List<String> stop() {
        JsonNode n = node("stop");
        if (n == null) return List.of();
        if (n.isTextual()) return List.of(n.asText());
        if (!n.isArray()) throw ApiException.invalid("stop", "stop must be a string or an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw ApiException.invalid("stop", "stop must be a string or an array of strings");
            out.add(e.asText());
        }
        return out;
    }

    /** {@code logit_bias}: an object of token id (as a string) → bias. */
    public Map<Integer, Double> logitBias() {
        JsonNode n = node("logit_bias");
        if (n == null) return Map.of();
        if (!n.isObject()) throw ApiException.invalid("logit_bias", "logit_bias must be an object mapping token ids to numbers");
        Map<Integer, Double> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw ApiException.invalid("logit_bias", "logit_bias keys must be token ids, got '" + e.getKey() + "'");
            }
            if (!e.getValue().isNumber()) throw ApiException.invalid("logit_bias", "logit_bias values must be numbers");
            out.put(id, e.getValue().asDouble());
        }
        return out;
    }
}
