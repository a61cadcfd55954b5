package io.backstop.server.openai.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.GrammarLimits;
import io.backstop.server.openai.ApiException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The JSON schema of one tool call in a format — {@code {"name": <const>, "<arguments key>": <parameters>}},
 * one alternative per callable tool — for the grammar that holds a model to valid calls.
 *
 * <p>A tool with {@code strict: true} must use only the schema keywords constrained decoding supports
 * (else 400 naming the keyword and the tool). A non-strict tool is best effort, as on OpenAI: keywords the
 * grammar cannot enforce are dropped from its copy of the schema ({@code oneOf} becomes {@code anyOf}),
 * and if that is not enough its arguments are any JSON object.
 */
public final class CallSchemas {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RELAXATIONS = 64;

    private CallSchemas() {}

    public static ConstraintSpec.JsonSchema of(List<ToolRequest.Tool> tools, ToolFormat format, GrammarLimits limits) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode anyOf = root.putArray("anyOf");
        for (int i = 0; i < tools.size(); i++) {
            ToolRequest.Tool t = tools.get(i);
            String at = "#/anyOf/" + i + "/properties/" + format.argumentsKey();
            ObjectNode call = anyOf.addObject();
            call.put("type", "object");
            ObjectNode props = call.putObject("properties");
            props.putObject("name").put("const", t.name());
            props.set(format.argumentsKey(), rebase(parameters(t, limits), at));
            call.putArray("required").add("name").add(format.argumentsKey());
            call.put("additionalProperties", false);
        }
        return new ConstraintSpec.JsonSchema(root.toString(), limits);
    }

    /** The tool's parameters as the grammar will enforce them. */
    static JsonNode parameters(ToolRequest.Tool t, GrammarLimits limits) {
        if (t.parameters() == null) { // a function without parameters takes {}
            ObjectNode none = JSON.createObjectNode().put("type", "object");
            none.putObject("properties");
            return none.put("additionalProperties", false);
        }
        ObjectNode schema = t.parameters().deepCopy();
        for (int i = 0; ; i++) {
            try {
                new ConstraintSpec.JsonSchema(schema.toString(), limits).toGrammar();
                return schema;
            } catch (GrammarException e) {
                if (t.strict()) throw ApiException.invalid(t.param(), "tool '" + t.name() + "': " + e.getMessage());
                if (i == MAX_RELAXATIONS || !relax(schema, e)) return JSON.createObjectNode().put("type", "object");
            }
        }
    }

    /** Drops (or, for oneOf, renames) the keyword the compiler refused; false when it cannot be found. */
    private static boolean relax(ObjectNode schema, GrammarException e) {
        if (e.keyword() == null || e.path() == null || !e.path().startsWith("#")) return false;
        JsonNode at = e.path().equals("#") ? schema : schema.at(e.path().substring(1));
        if (!(at instanceof ObjectNode node) || !node.has(e.keyword())) return false;
        JsonNode value = node.remove(e.keyword());
        if (e.keyword().equals("oneOf") && !node.has("anyOf")) node.set("anyOf", value);
        return true;
    }

    /** Points the schema's own {@code $ref}s ("#/$defs/x") at where it now sits inside the call schema. */
    static JsonNode rebase(JsonNode schema, String at) {
        JsonNode copy = schema.deepCopy();
        rewrite(copy, at);
        return copy;
    }

    private static void rewrite(JsonNode n, String at) {
        if (n instanceof ObjectNode o) {
            JsonNode ref = o.get("$ref");
            if (ref != null && ref.isTextual() && ref.asText().startsWith("#")) o.set("$ref", TextNode.valueOf(at + ref.asText().substring(1)));
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("$ref")) rewrite(e.getValue(), at);
            }
        } else if (n instanceof ArrayNode a) {
            for (JsonNode x : a) rewrite(x, at);
        }
    }
}
