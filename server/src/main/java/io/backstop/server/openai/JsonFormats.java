package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.guard.json.JsonAnswerValidator;
import io.backstop.server.guard.json.ValidatorCache;

/**
 * The validator of the JSON a request asks for in {@code response_format}: {@code json_object} → one
 * JSON object; {@code json_schema} → its {@code json_schema.schema} (draft 2020-12). Null for text.
 */
final class JsonFormats {
    private static final JsonNode ANY_OBJECT = Json.object().put("type", "object");

    private JsonFormats() {}

    static JsonAnswerValidator validator(Fields f) {
        JsonNode rf = f.node("response_format");
        if (rf == null || !rf.isObject()) return null;
        String type = rf.path("type").asText("");
        if (type.equals("json_object")) return ValidatorCache.of(ANY_OBJECT);
        if (!type.equals("json_schema")) return null;
        JsonNode js = rf.path("json_schema");
        if (!js.isObject()) throw ApiException.invalid("response_format", "response_format.json_schema must be an object with a schema");
        JsonNode schema = js.path("schema");
        if (schema.isMissingNode() || schema.isNull()) return ValidatorCache.of(ANY_OBJECT);
        try {
            return ValidatorCache.of(schema);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("response_format", "response_format.json_schema.schema: " + e.getMessage());
        }
    }
}
