package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.guard.json.JsonAnswerValidator;
import io.backstop.server.guard.json.ValidatorCache;
import java.io.IOException;

/**
 * The validator of the JSON a request asks for, the one check of every answer (local and remote, whole
 * and streamed, with or without guardrails): {@code response_format} {@code json_object} → one JSON
 * object; {@code json_schema} → its {@code json_schema.schema} (draft 2020-12); vLLM's {@code guided_json}
 * → its schema (an object or JSON text). Null for free text, regexes and grammars. The fields' shape was
 * already checked ({@link io.backstop.server.openai.structured.OutputConstraint}); a schema the validator
 * cannot read is left to the provider to judge (null), as a local model refuses it when compiling it.
 */
final class JsonFormats {
    private static final JsonNode ANY_OBJECT = Json.object().put("type", "object");

    private JsonFormats() {}

    static JsonAnswerValidator validator(Fields f) {
        JsonNode schema = null;
        JsonNode rf = f.node("response_format");
        if (rf != null && rf.isObject()) {
            String type = rf.path("type").asText("");
            if (type.equals("json_object")) schema = ANY_OBJECT;
            else if (type.equals("json_schema")) {
                JsonNode s = rf.path("json_schema").path("schema");
                schema = s.isMissingNode() || s.isNull() ? ANY_OBJECT : s;
            }
        }
        JsonNode guided = f.node("guided_json");
        if (schema == null && guided != null && !guided.isNull()) schema = guided.isTextual() ? parse(guided.asText()) : guided;
        if (schema == null) return null;
        try {
            return ValidatorCache.of(schema);
        } catch (IllegalArgumentException unreadable) {
            return null;
        }
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }
}
