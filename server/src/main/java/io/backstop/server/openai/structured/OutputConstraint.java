package io.backstop.server.openai.structured;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.GrammarLimits;
import io.backstop.server.openai.ApiException;
import io.backstop.server.openai.Fields;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a request requires of the text a local model writes: {@code response_format} ({@code json_object},
 * {@code json_schema}) or one of vLLM's and llama.cpp's extras ({@code guided_json}, {@code guided_regex},
 * {@code guided_choice}, {@code grammar} / {@code guided_grammar} in GBNF). Read once per request (types
 * checked, at most one); compiled per local model, whose grammar limits apply.
 *
 * @param param the request field that states it, named in errors (e.g. {@code response_format.json_schema.schema})
 * @param spec  the engine constraint, given the model's grammar limits
 */
public record OutputConstraint(String param, Function<GrammarLimits, ConstraintSpec> spec) {
    static final List<String> EXTRAS = List.of("guided_json", "guided_regex", "guided_choice", "grammar", "guided_grammar");

    /** The request's output constraint, or null when its output is free text. */
    public static OutputConstraint parse(Fields f) {
        List<OutputConstraint> found = new ArrayList<>();
        OutputConstraint rf = responseFormat(f.node("response_format"));
        if (rf != null) found.add(rf);
        for (String extra : EXTRAS) {
            JsonNode n = f.node(extra);
            if (n != null) found.add(extra(extra, n));
        }
        if (found.size() > 1) {
            throw ApiException.invalid(found.get(1).param(), "only one output constraint per request: " + found.get(0).param()
                    + " and " + found.get(1).param() + " were both given");
        }
        return found.isEmpty() ? null : found.getFirst();
    }

    private static OutputConstraint responseFormat(JsonNode rf) {
        if (rf == null) return null;
        String type = rf.isObject() && rf.path("type").isTextual() ? rf.path("type").asText() : null;
        if (type == null) throw ApiException.invalid("response_format", "response_format must be an object with a type");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> new OutputConstraint("response_format", l -> new ConstraintSpec.JsonObject(l));
            case "json_schema" -> {
                JsonNode js = rf.get("json_schema");
                if (js == null || !js.isObject()) {
                    throw ApiException.invalid("response_format.json_schema", "response_format.json_schema must be an object with a name and a schema");
                }
                JsonNode name = js.get("name");
                if (name != null && !name.isTextual()) throw ApiException.invalid("response_format.json_schema.name", "response_format.json_schema.name must be a string");
                JsonNode strict = js.get("strict");
                if (strict != null && !strict.isNull() && !strict.isBoolean()) {
                    throw ApiException.invalid("response_format.json_schema.strict", "response_format.json_schema.strict must be true or false");
                }
                JsonNode schema = js.get("schema");
                if (schema == null || schema.isNull()) yield new OutputConstraint("response_format.json_schema", l -> new ConstraintSpec.JsonObject(l));
                if (!schema.isObject() && !schema.isBoolean()) {
                    throw ApiException.invalid("response_format.json_schema.schema", "response_format.json_schema.schema must be a JSON schema object");
                }
                String text = schema.toString();
                yield new OutputConstraint("response_format.json_schema.schema", l -> new ConstraintSpec.JsonSchema(text, l));
            }
            default -> throw ApiException.invalid("response_format.type",
                    "response_format type '" + type + "' is not supported; use text, json_object or json_schema");
        };
    }

    private static OutputConstraint extra(String field, JsonNode n) {
        return switch (field) {
            case "guided_json" -> {
                String text;
                if (n.isObject() || n.isBoolean()) text = n.toString();
                else if (n.isTextual()) text = n.asText();
                else throw ApiException.invalid(field, "guided_json must be a JSON schema (an object, or its text)");
                yield new OutputConstraint(field, l -> new ConstraintSpec.JsonSchema(text, l));
            }
            case "guided_regex" -> {
                if (!n.isTextual()) throw ApiException.invalid(field, "guided_regex must be a string");
                String pattern = n.asText();
                yield new OutputConstraint(field, l -> ConstraintSpec.regex(pattern));
            }
            case "guided_choice" -> {
                if (!n.isArray() || n.isEmpty()) throw ApiException.invalid(field, "guided_choice must be a non-empty array of strings");
                List<String> choices = new ArrayList<>();
                for (JsonNode c : n) {
                    if (!c.isTextual()) throw ApiException.invalid(field, "guided_choice must be a non-empty array of strings");
                    choices.add(c.asText());
                }
                yield new OutputConstraint(field, l -> ConstraintSpec.choice(choices));
            }
            default -> { // grammar (llama.cpp), guided_grammar (vLLM with XGrammar): GBNF
                if (!n.isTextual()) throw ApiException.invalid(field, field + " must be a string (a GBNF grammar)");
                String gbnf = n.asText();
                yield new OutputConstraint(field, l -> ConstraintSpec.gbnf(gbnf));
            }
        };
    }
}
