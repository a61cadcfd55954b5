package io.backstop.server.openai.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.guard.json.JsonAnswerValidator;
import io.backstop.server.openai.Fields;
import java.io.IOException;
import java.util.List;

/**
 * Checks a remote provider's whole answer against the JSON the request asked for ({@code response_format}
 * json_object / json_schema, {@code guided_json}) with the validator the guardrails use: an answer that
 * ends normally ({@code finish_reason: stop}) outside the schema is a failed target, so a route moves on
 * to its next target or its local fallback, which enforces the schema itself.
 */
public final class AnswerCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonAnswerValidator validator;

    private AnswerCheck(JsonAnswerValidator validator) {
        this.validator = validator;
    }

    /** The check a request asks for, or null (free text, a regex or grammar, or a schema the validator cannot read). */
    public static AnswerCheck of(Fields f) {
        JsonNode schema = null;
        JsonNode rf = f.node("response_format");
        if (rf != null && rf.isObject()) {
            String type = rf.path("type").asText("");
            if (type.equals("json_object")) schema = JSON.createObjectNode().put("type", "object");
            else if (type.equals("json_schema")) schema = rf.path("json_schema").get("schema");
        }
        JsonNode guided = f.node("guided_json");
        if (schema == null && guided != null) schema = guided.isTextual() ? parse(guided.asText()) : guided;
        if (schema == null || schema.isNull()) return null;
        try {
            return new AnswerCheck(JsonAnswerValidator.compile(schema));
        } catch (IllegalArgumentException unreadable) {
            return null; // the provider judges schemas we cannot read
        }
    }

    /** What is wrong with a completion (chat or text), or null when every finished choice validates. */
    public String violation(JsonNode completion, boolean chat) {
        for (JsonNode c : completion.path("choices")) {
            if (!"stop".equals(c.path("finish_reason").asText())) continue;
            JsonNode text = chat ? c.path("message").path("content") : c.path("text");
            if (!text.isTextual()) continue; // tool calls: content is null
            List<JsonAnswerValidator.Violation> v = validator.validate(text.asText());
            if (!v.isEmpty()) return "choice " + c.path("index").asInt() + " " + (v.getFirst().path().isEmpty() ? "" : "at " + v.getFirst().path() + " ") + v.getFirst().message();
        }
        return null;
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }
}
