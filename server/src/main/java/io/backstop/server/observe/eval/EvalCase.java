package io.backstop.server.observe.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.guard.json.JsonAnswerValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One line of an evaluation file: an input (chat {@code input}/{@code messages}, or a completion
 * {@code prompt}) and the assertions its answer must meet.
 *
 * @param body   the request's fields besides the model: messages or prompt, max_tokens, temperature (0 unless given)
 * @param chat   chat completions (else text completions)
 */
public record EvalCase(String id, JsonNode body, boolean chat, String question, List<Check> checks) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KEYS = Set.of("id", "input", "system", "messages", "prompt", "max_tokens", "temperature", "assert");

    /** Every case of a JSON Lines file; {@link IllegalArgumentException} naming the line and field of the first problem. */
    public static List<EvalCase> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        List<EvalCase> cases = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("//")) continue;
            String where = file.getFileName() + " line " + (i + 1);
            EvalCase c;
            try {
                c = parse(JSON.readTree(line), "case-" + (i + 1));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(where + ": not JSON: " + e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            if (!ids.add(c.id())) throw new IllegalArgumentException(where + ": id '" + c.id() + "' is used twice");
            cases.add(c);
        }
        if (cases.isEmpty()) throw new IllegalArgumentException(file + " has no cases");
        return cases;
    }

    static EvalCase parse(JsonNode n, String defaultId) {
        if (!n.isObject()) throw new IllegalArgumentException("a case must be a JSON object");
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown field '" + k + "' (known: " + String.join(", ", KEYS.stream().sorted().toList()) + ")");
        }
        String id = n.has("id") ? text(n, "id") : defaultId;
        var body = JSON.createObjectNode();
        int inputs = (n.has("input") ? 1 : 0) + (n.has("messages") ? 1 : 0) + (n.has("prompt") ? 1 : 0);
        if (inputs != 1) throw new IllegalArgumentException("give exactly one of input, messages or prompt");
        boolean chat = !n.has("prompt");
        String question;
        if (n.has("prompt")) {
            question = text(n, "prompt");
            body.put("prompt", question);
        } else if (n.has("input")) {
            question = text(n, "input");
            var ms = body.putArray("messages");
            if (n.has("system")) ms.addObject().put("role", "system").put("content", text(n, "system"));
            ms.addObject().put("role", "user").put("content", question);
        } else {
            JsonNode ms = n.get("messages");
            if (!ms.isArray() || ms.isEmpty()) throw new IllegalArgumentException("messages must be a non-empty array");
            body.set("messages", ms);
            StringBuilder q = new StringBuilder();
            for (JsonNode m : ms) q.append(m.path("role").asText()).append(": ").append(m.path("content").asText()).append('\n');
            question = q.toString().strip();
        }
        if (n.has("max_tokens")) {
            if (!n.get("max_tokens").canConvertToInt() || n.get("max_tokens").asInt() < 1) throw new IllegalArgumentException("max_tokens must be a positive whole number");
            body.put("max_tokens", n.get("max_tokens").asInt());
        }
        body.put("temperature", n.has("temperature") ? number(n, "temperature") : 0);
        JsonNode as = n.path("assert");
        if (!as.isArray() || as.isEmpty()) throw new IllegalArgumentException("assert must be a non-empty array of checks");
        List<Check> checks = new ArrayList<>();
        for (int i = 0; i < as.size(); i++) {
            try {
                checks.add(check(as.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("assert[" + i + "]: " + e.getMessage());
            }
        }
        return new EvalCase(id, body, chat, question, List.copyOf(checks));
    }

    private static Check check(JsonNode a) {
        if (!a.isObject() || !a.path("type").isTextual()) throw new IllegalArgumentException("a check is an object with a type");
        String type = a.get("type").asText();
        return switch (type) {
            case "contains" -> new Check.Contains(text(a, "value"));
            case "not_contains" -> new Check.NotContains(text(a, "value"));
            case "equals" -> new Check.Equals(text(a, "value"));
            case "regex" -> {
                try {
                    yield new Check.Regex(Pattern.compile(text(a, "value")));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("value is not a valid regex: " + e.getDescription());
                }
            }
            case "json_schema" -> {
                if (!a.path("schema").isObject()) throw new IllegalArgumentException("schema must be a JSON Schema object");
                try {
                    yield new Check.JsonSchema(JsonAnswerValidator.compile(a.get("schema")));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("schema is not a usable JSON Schema: " + e.getMessage());
                }
            }
            case "max_latency_ms" -> new Check.MaxLatency(positive(a, "value"));
            case "max_cost_usd" -> new Check.MaxCost(positive(a, "value"));
            case "judge" -> {
                int threshold = a.has("threshold") ? (int) number(a, "threshold") : 4;
                if (threshold < 1 || threshold > 5) throw new IllegalArgumentException("threshold must be between 1 and 5");
                yield new Check.Judge(text(a, "rubric"), threshold);
            }
            case "pairwise" -> new Check.Pairwise(text(a, "against"), text(a, "rubric"));
            default -> throw new IllegalArgumentException("unknown check type '" + type + "' (known: " + String.join(", ", Check.TYPES) + ")");
        };
    }

    /** Whether any check needs a judge. */
    public boolean judged() {
        return checks.stream().anyMatch(c -> c instanceof Check.Judge || c instanceof Check.Pairwise);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual()) throw new IllegalArgumentException(field + " must be a string");
        return v.asText();
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isNumber()) throw new IllegalArgumentException(field + " must be a number");
        return v.asDouble();
    }

    private static double positive(JsonNode n, String field) {
        double d = number(n, field);
        if (!(d > 0)) throw new IllegalArgumentException(field + " must be above 0");
        return d;
    }
}
