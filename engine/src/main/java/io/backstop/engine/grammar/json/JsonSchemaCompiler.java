package io.backstop.engine.grammar.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.GrammarLimits;
import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.ir.Grammar;
import io.backstop.engine.grammar.regex.RegexParser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON Schema → grammar. Supported: {@code type} (one or a list), {@code properties}, {@code required},
 * {@code additionalProperties}, {@code enum}, {@code const}, {@code items}, {@code minItems}/{@code maxItems},
 * {@code anyOf}, {@code $ref} into the document ({@code $defs}/{@code definitions}, recursion included),
 * string {@code format} (date, date-time, uuid, email), {@code pattern}, {@code minLength}/{@code maxLength};
 * annotations (title, description, default, examples, ...) are ignored. Anything else is refused with
 * a {@link GrammarException} naming the keyword and where it is.
 *
 * <p>Objects: declared properties come in declaration order; required ones always, optional ones
 * when the model chooses. Only declared properties are generated, whatever {@code additionalProperties}
 * says (unless no properties are declared: then keys are free and values follow
 * {@code additionalProperties}, or are any JSON).
 */
public final class JsonSchemaCompiler {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema", "$id", "$comment",
            "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    static final Set<String> CONSTRAINTS = Set.of("type", "properties", "required", "additionalProperties", "enum", "const", "items",
            "minItems", "maxItems", "anyOf", "$ref", "format", "pattern", "minLength", "maxLength");
    static final Set<String> FORMATS = Set.of("date", "date-time", "uuid", "email");

    private final JsonNode root;
    private final JsonPieces p;
    private final Map<String, Expr> rules = new LinkedHashMap<>();
    private final Set<String> compiling = new HashSet<>();

    private JsonSchemaCompiler(JsonNode root, GrammarLimits limits) {
        this.root = root;
        this.p = new JsonPieces(limits);
    }

    /** The grammar of documents valid against a schema given as JSON text. */
    public static Grammar compile(String schemaJson, GrammarLimits limits) {
        JsonNode node;
        try {
            node = JSON.readTree(schemaJson);
        } catch (JsonProcessingException e) {
            throw new GrammarException("the schema is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode()) throw new GrammarException("the schema is empty");
        return compile(node, limits);
    }

    public static Grammar compile(JsonNode schema, GrammarLimits limits) {
        JsonSchemaCompiler c = new JsonSchemaCompiler(schema, limits);
        Expr top = c.schema(schema, "#");
        c.rules.put("root", top);
        return new Grammar(c.rules, "root");
    }

    /** The grammar of any JSON object ({@code response_format: json_object}). */
    public static Grammar anyObject(GrammarLimits limits) {
        JsonPieces p = new JsonPieces(limits);
        Map<String, Expr> rules = new LinkedHashMap<>(p.anyValueRules());
        rules.put("root", Expr.ref(JsonPieces.OBJECT));
        return new Grammar(rules, "root");
    }

    private GrammarException refuse(String keyword, String path, String why) {
        return new GrammarException(keyword, path, "JSON schema keyword '" + keyword + "' " + why + " (at " + path + ")");
    }

    private Expr anyValue() {
        if (!rules.containsKey(JsonPieces.VALUE)) rules.putAll(p.anyValueRules());
        return Expr.ref(JsonPieces.VALUE);
    }

    Expr schema(JsonNode s, String path) {
        if (s.isBoolean()) {
            if (s.booleanValue()) return anyValue();
            throw new GrammarException("false", "JSON schema 'false' matches nothing (at " + path + ")");
        }
        if (!s.isObject()) throw new GrammarException(null, "a JSON schema must be an object or a boolean (at " + path + ")");
        for (var it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!CONSTRAINTS.contains(k) && !ANNOTATIONS.contains(k)) throw refuse(k, path, "is not supported");
        }
        if (s.has("$ref")) {
            for (String k : CONSTRAINTS) if (!k.equals("$ref") && s.has(k)) throw refuse(k, path, "is not supported beside '$ref'");
            return ref(s.get("$ref"), path);
        }
        if (s.has("anyOf")) {
            for (String k : CONSTRAINTS) if (!k.equals("anyOf") && s.has(k)) throw refuse(k, path, "is not supported beside 'anyOf'");
            JsonNode any = s.get("anyOf");
            if (!any.isArray() || any.isEmpty()) throw refuse("anyOf", path, "must be a non-empty array");
            List<Expr> alts = new ArrayList<>();
            for (int i = 0; i < any.size(); i++) alts.add(schema(any.get(i), path + "/anyOf/" + i));
            return Expr.alt(alts);
        }
        if (s.has("const")) return literal(s.get("const"), path);
        if (s.has("enum")) {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) throw refuse("enum", path, "must be a non-empty array");
            List<Expr> alts = new ArrayList<>();
            for (JsonNode v : e) alts.add(literal(v, path));
            return Expr.alt(alts);
        }
        List<String> types = types(s, path);
        List<Expr> alts = new ArrayList<>();
        for (String t : types) {
            alts.add(switch (t) {
                case "object" -> object(s, path);
                case "array" -> array(s, path);
                case "string" -> string(s, path);
                case "number" -> p.number;
                case "integer" -> p.integer;
                case "boolean" -> p.bool;
                case "null" -> p.nul;
                case "any" -> anyValue();
                default -> throw refuse("type", path, "has an unknown value '" + t + "'");
            });
        }
        return Expr.alt(alts);
    }

    private List<String> types(JsonNode s, String path) {
        JsonNode t = s.get("type");
        if (t == null) {
            if (s.has("properties") || s.has("required") || s.has("additionalProperties")) return List.of("object");
            if (s.has("items") || s.has("minItems") || s.has("maxItems")) return List.of("array");
            if (s.has("pattern") || s.has("format") || s.has("minLength") || s.has("maxLength")) return List.of("string");
            return List.of("any");
        }
        if (t.isTextual()) return List.of(t.asText());
        if (t.isArray() && !t.isEmpty()) {
            List<String> out = new ArrayList<>();
            for (JsonNode x : t) {
                if (!x.isTextual()) throw refuse("type", path, "must list type names");
                out.add(x.asText());
            }
            return out;
        }
        throw refuse("type", path, "must be a type name or a non-empty list of them");
    }

    private Expr literal(JsonNode value, String path) {
        try {
            return Expr.literal(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new GrammarException("const", "cannot write the value at " + path);
        }
    }

    private Expr ref(JsonNode refNode, String path) {
        if (!refNode.isTextual() || !refNode.asText().startsWith("#")) {
            throw refuse("$ref", path, "must point into this schema (\"#/...\"); remote references are not supported");
        }
        String ref = refNode.asText();
        String rule = "ref:" + ref;
        if (rules.containsKey(rule) || compiling.contains(rule)) return Expr.ref(rule);
        JsonNode target = ref.equals("#") ? root : root.at(ref.substring(1));
        if (target.isMissingNode()) throw refuse("$ref", path, "points to " + ref + ", which does not exist");
        compiling.add(rule);
        Expr body = schema(target, ref);
        compiling.remove(rule);
        rules.put(rule, body);
        return Expr.ref(rule);
    }

    private Expr object(JsonNode s, String path) {
        JsonNode props = s.get("properties");
        JsonNode additional = s.get("additionalProperties");
        Set<String> required = new HashSet<>();
        JsonNode req = s.get("required");
        if (req != null) {
            if (!req.isArray()) throw refuse("required", path, "must be an array of property names");
            for (JsonNode r : req) {
                if (!r.isTextual()) throw refuse("required", path, "must be an array of property names");
                required.add(r.asText());
            }
        }
        if (props != null && !props.isObject()) throw refuse("properties", path, "must be an object");
        if (props == null || props.isEmpty()) {
            if (!required.isEmpty()) throw refuse("required", path, "names properties that 'properties' does not declare");
            if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                return Expr.seq(Expr.literal("{"), p.ws, Expr.literal("}"));
            }
            Expr value = additional == null || additional.isBoolean() ? anyValue() : schema(additional, path + "/additionalProperties");
            return p.mapOf(value);
        }
        if (additional != null && !additional.isBoolean()) schema(additional, path + "/additionalProperties"); // still checked
        List<String> names = new ArrayList<>();
        props.fieldNames().forEachRemaining(names::add);
        for (String r : required) if (!props.has(r)) throw refuse("required", path, "names '" + r + "', which 'properties' does not declare");
        int n = names.size();
        Expr end = Expr.literal("}");
        Expr afterSome = Expr.seq(p.ws, end);   // B_n: something was written
        Expr afterNone = end;                   // A_n: nothing yet ('{' ws already written)
        for (int j = n - 1; j >= 0; j--) {
            String name = names.get(j);
            Expr value = schema(props.get(name), path + "/properties/" + name);
            Expr member = Expr.seq(literal(JSON.getNodeFactory().textNode(name), path), Expr.literal(":"), p.ws, value);
            Expr first = Expr.seq(member, afterSome);
            Expr later = Expr.seq(Expr.literal(","), p.ws, member, afterSome);
            if (required.contains(name)) {
                afterNone = first;
                afterSome = later;
            } else {
                afterNone = Expr.alt(first, afterNone);
                afterSome = Expr.alt(later, afterSome);
            }
        }
        return Expr.seq(Expr.literal("{"), p.ws, afterNone);
    }

    private Expr array(JsonNode s, String path) {
        JsonNode items = s.get("items");
        if (items != null && items.isArray()) throw refuse("items", path, "as an array (tuple validation) is not supported; use one schema");
        Expr item = items == null ? anyValue() : schema(items, path + "/items");
        int min = count(s, "minItems", path, 0);
        int max = count(s, "maxItems", path, Expr.Repeat.UNBOUNDED);
        if (max != Expr.Repeat.UNBOUNDED && max < min) throw refuse("maxItems", path, "is below minItems");
        return p.arrayOf(item, min, max);
    }

    private int count(JsonNode s, String keyword, String path, int dflt) {
        JsonNode v = s.get(keyword);
        if (v == null) return dflt;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) throw refuse(keyword, path, "must be a non-negative integer");
        if (v.intValue() > 100_000) throw refuse(keyword, path, "above 100000 is not supported");
        return v.intValue();
    }

    private Expr string(JsonNode s, String path) {
        JsonNode format = s.get("format"), pattern = s.get("pattern");
        boolean lengths = s.has("minLength") || s.has("maxLength");
        if (format != null && (pattern != null || lengths)) throw refuse(pattern != null ? "pattern" : "minLength", path, "is not supported together with 'format'");
        if (pattern != null && lengths) throw refuse(s.has("minLength") ? "minLength" : "maxLength", path, "is not supported together with 'pattern'");
        if (format != null) {
            if (!format.isTextual() || !FORMATS.contains(format.asText())) {
                throw refuse("format", path, "'" + format.asText() + "' is not supported (supported: date, date-time, uuid, email)");
            }
            return JsonPieces.quoted(RegexParser.whole(Formats.regex(format.asText()), p.inString));
        }
        if (pattern != null) {
            if (!pattern.isTextual()) throw refuse("pattern", path, "must be a string");
            Expr any = new Expr.Repeat(p.stringChar, 0, p.limits.maxStringLength());
            try {
                return JsonPieces.quoted(RegexParser.search(pattern.asText(), p.inString, any));
            } catch (GrammarException e) {
                throw new GrammarException("pattern", path, "JSON schema keyword 'pattern': " + e.getMessage() + " (at " + path + ")");
            }
        }
        if (!lengths) return p.string;
        int min = count(s, "minLength", path, 0);
        int max = count(s, "maxLength", path, Math.max(min, p.limits.maxStringLength()));
        if (max < min) throw refuse("maxLength", path, "is below minLength");
        return JsonPieces.quoted(new Expr.Repeat(p.stringChar, min, max));
    }
}
