package io.backstop.server.openai.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.openai.ApiException;
import io.backstop.server.openai.Fields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A chat request's tools as OpenAI defines them — {@code tools}, {@code tool_choice},
 * {@code parallel_tool_calls} — or as its legacy API did ({@code functions}, {@code function_call}; the
 * answer then comes back in the legacy shape, one call at most). Read once per request: types, names and
 * the chosen function are checked here; schemas are compiled per local model.
 *
 * @param legacy the request used {@code functions}: answer with {@code function_call}
 */
public record ToolRequest(List<Tool> tools, Choice choice, String named, boolean parallel, boolean legacy) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** One function: its parameters' JSON schema ({@code null} when it takes none), {@code strict} as the request says. */
    public record Tool(String name, String description, JsonNode parameters, boolean strict, String param) {}

    public enum Choice { NONE, AUTO, REQUIRED, NAMED }

    public ToolRequest {
        tools = List.copyOf(tools);
    }

    /** Whether the model may (or must) call a tool: anything but {@code none}. */
    public boolean active() {
        return choice != Choice.NONE;
    }

    /** The tools a call may name: all of them, or the one {@code tool_choice} names. */
    public List<Tool> callable() {
        return choice == Choice.NAMED ? tools.stream().filter(t -> t.name().equals(named)).toList() : tools;
    }

    /** The request's tools, or null when it has none (a tool_choice without tools is refused). */
    public static ToolRequest parse(Fields f) {
        boolean modern = f.has("tools"), legacy = f.has("functions");
        if (modern && legacy) throw ApiException.invalid("functions", "send either tools or the legacy functions, not both");
        if (!legacy && f.has("function_call")) throw ApiException.invalid("function_call", "function_call requires functions");
        if (legacy && f.has("tool_choice")) throw ApiException.invalid("tool_choice", "with the legacy functions, choose with function_call");
        JsonNode list = legacy ? f.node("functions") : f.node("tools");
        String listParam = legacy ? "functions" : "tools";
        String choiceParam = legacy ? "function_call" : "tool_choice";
        List<Tool> tools = list == null ? List.of() : tools(list, listParam, legacy);
        JsonNode choiceNode = f.node(choiceParam);
        if (tools.isEmpty()) {
            if (choiceNode != null && !(choiceNode.isTextual() && choiceNode.asText().equals("none"))) {
                throw ApiException.invalid(choiceParam, choiceParam + " requires " + listParam);
            }
            f.bool("parallel_tool_calls");
            return null;
        }
        Boolean parallel = f.bool("parallel_tool_calls");
        Choice choice = Choice.AUTO;
        String named = null;
        if (choiceNode != null) {
            if (choiceNode.isTextual()) {
                choice = switch (choiceNode.asText()) {
                    case "none" -> Choice.NONE;
                    case "auto" -> Choice.AUTO;
                    case "required" -> {
                        if (legacy) throw ApiException.invalid(choiceParam, "function_call must be none, auto or {\"name\": ...}");
                        yield Choice.REQUIRED;
                    }
                    default -> throw ApiException.invalid(choiceParam, choiceParam + " '" + choiceNode.asText() + "' is not one of "
                            + (legacy ? "none, auto" : "none, auto, required") + " or a named function");
                };
            } else if (choiceNode.isObject()) {
                JsonNode name = legacy ? choiceNode.get("name") : choiceNode.path("function").get("name");
                if (!legacy && !"function".equals(choiceNode.path("type").asText())) {
                    throw ApiException.invalid(choiceParam, "tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}");
                }
                if (name == null || !name.isTextual()) throw ApiException.invalid(choiceParam, choiceParam + " must name a function");
                named = name.asText();
                String n = named;
                if (tools.stream().noneMatch(t -> t.name().equals(n))) {
                    throw ApiException.invalid(choiceParam, choiceParam + " names '" + named + "', which is not among the " + listParam);
                }
                choice = Choice.NAMED;
            } else {
                throw ApiException.invalid(choiceParam, choiceParam + " must be a string or an object naming a function");
            }
        }
        return new ToolRequest(tools, choice, named, !legacy && (parallel == null || parallel), legacy);
    }

    private static List<Tool> tools(JsonNode list, String param, boolean legacy) {
        if (!list.isArray()) throw ApiException.invalid(param, param + " must be an array");
        List<Tool> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String p = param + "[" + i + "]";
            JsonNode t = list.get(i);
            if (!t.isObject()) throw ApiException.invalid(p, p + " must be an object");
            JsonNode fn = t;
            if (!legacy) {
                String type = t.path("type").asText("");
                if (!type.equals("function")) throw ApiException.invalid(p + ".type", p + ".type '" + type + "' is not supported; only function tools are");
                fn = t.get("function");
                p += ".function";
                if (fn == null || !fn.isObject()) throw ApiException.invalid(p, p + " must be an object with a name");
            }
            JsonNode name = fn.get("name");
            if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
                throw ApiException.invalid(p + ".name", p + ".name must be 1 to 64 letters, digits, underscores or dashes");
            }
            if (!names.add(name.asText())) throw ApiException.invalid(p + ".name", "the function name '" + name.asText() + "' is used twice");
            JsonNode description = fn.get("description");
            if (description != null && !description.isNull() && !description.isTextual()) throw ApiException.invalid(p + ".description", p + ".description must be a string");
            JsonNode parameters = fn.get("parameters");
            if (parameters != null && parameters.isNull()) parameters = null;
            if (parameters != null && !parameters.isObject()) throw ApiException.invalid(p + ".parameters", p + ".parameters must be a JSON schema object");
            JsonNode strict = fn.get("strict");
            if (strict != null && !strict.isNull() && !strict.isBoolean()) throw ApiException.invalid(p + ".strict", p + ".strict must be true or false");
            out.add(new Tool(name.asText(), description == null || description.isNull() ? null : description.asText(), parameters,
                    strict != null && strict.asBoolean(), p + ".parameters"));
        }
        return out;
    }
}
