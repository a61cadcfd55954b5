package io.backstop.server.guard.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates a model's whole answer against a JSON schema (networknt json-schema-validator, draft
 * 2020-12 unless the schema names its own {@code $schema}): compile once with {@link #compile}, then
 * {@link #validate} each answer into a list of violations (empty = valid). Text that is not one JSON
 * value is a violation too. Remote {@code $ref}s are never fetched. Thread-safe; shared by the output
 * guard and structured output.
 */
public final class JsonAnswerValidator {
    /** One problem: where in the answer (a JSON Pointer, RFC 6901; "" is the whole answer) and what. */
    public record Violation(String path, String message) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Schema schema;

    private JsonAnswerValidator(Schema schema) {
        this.schema = schema;
    }

    /** Compiles a schema; {@link IllegalArgumentException} with the reason when it is not a usable schema. */
    public static JsonAnswerValidator compile(JsonNode schema) {
        if (schema == null || !(schema.isObject() || schema.isBoolean())) throw new IllegalArgumentException("a JSON schema must be an object (or true/false)");
        try {
            Schema s = REGISTRY.getSchema(schema.toString());
            s.initializeValidators(); // resolve $refs now, so a bad schema fails here and not on the first answer
            return new JsonAnswerValidator(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid JSON schema: " + e.getMessage(), e);
        }
    }

    /** A validator that only checks the answer is one JSON value ({@code response_format: json_object}). */
    public static JsonAnswerValidator anyJson() {
        return compile(JSON.getNodeFactory().objectNode());
    }

    public List<Violation> validate(String answer) {
        JsonNode node;
        try {
            node = JSON.readTree(answer);
        } catch (JsonProcessingException e) {
            return List.of(new Violation("", "not valid JSON: " + e.getOriginalMessage()));
        }
        if (node == null || node.isMissingNode()) return List.of(new Violation("", "not valid JSON: empty answer"));
        List<Violation> out = new ArrayList<>();
        for (Error e : schema.validate(node)) out.add(new Violation(path(e), e.getMessage()));
        return out;
    }

    private static String path(Error e) {
        return e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
    }
}
