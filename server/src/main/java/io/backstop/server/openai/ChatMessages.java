package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code messages} of a chat request as OpenAI defines them: text content (a string or text parts),
 * assistant turns that called tools ({@code tool_calls}, or the legacy {@code function_call}; their
 * content may then be null), and tool results ({@code tool} with its {@code tool_call_id}, or the
 * legacy {@code function} role with the function's {@code name}).
 */
final class ChatMessages {
    private ChatMessages() {}

    static List<ChatMessage> parse(JsonNode n) {
        if (n == null) throw ApiException.invalid("messages", "missing required field: messages");
        if (!n.isArray()) throw ApiException.invalid("messages", "messages must be an array");
        if (n.isEmpty()) throw ApiException.invalid("messages", "messages must contain at least one message");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) out.add(message(n.get(i), "messages[" + i + "]"));
        return out;
    }

    private static ChatMessage message(JsonNode m, String p) {
        if (!m.isObject()) throw ApiException.invalid(p, p + " must be an object with role and content");
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) throw ApiException.invalid(p + ".role", p + ".role must be a string");
        return switch (role.asText()) {
            case "assistant" -> assistant(m, p);
            case "tool" -> {
                JsonNode id = m.get("tool_call_id");
                if (id == null || !id.isTextual()) throw ApiException.invalid(p + ".tool_call_id", p + ".tool_call_id must be the id of the call this result answers");
                yield ChatMessage.tool(id.asText(), optionalString(m, "name", p), content(m.get("content"), p + ".content"));
            }
            case "function" -> {
                String name = optionalString(m, "name", p);
                if (name == null) throw ApiException.invalid(p + ".name", p + ".name is required for a function result");
                yield ChatMessage.tool(null, name, content(m.get("content"), p + ".content"));
            }
            case "system", "developer", "user" -> new ChatMessage(role.asText(), content(m.get("content"), p + ".content"));
            default -> throw ApiException.invalid(p + ".role", p + ".role '" + role.asText()
                    + "' is not supported; use system, developer, user, assistant or tool");
        };
    }

    private static ChatMessage assistant(JsonNode m, String p) {
        List<ChatMessage.ToolCall> calls = new ArrayList<>();
        JsonNode toolCalls = m.get("tool_calls");
        if (toolCalls != null && !toolCalls.isNull()) {
            if (!toolCalls.isArray()) throw ApiException.invalid(p + ".tool_calls", p + ".tool_calls must be an array");
            for (int j = 0; j < toolCalls.size(); j++) {
                String pp = p + ".tool_calls[" + j + "]";
                JsonNode c = toolCalls.get(j);
                if (!c.isObject() || !c.path("function").isObject()) throw ApiException.invalid(pp, pp + " must be an object with a function");
                JsonNode id = c.get("id");
                if (id != null && !id.isNull() && !id.isTextual()) throw ApiException.invalid(pp + ".id", pp + ".id must be a string");
                calls.add(call(c.get("function"), pp + ".function", id == null || id.isNull() ? null : id.asText()));
            }
        }
        JsonNode legacy = m.get("function_call");
        if (legacy != null && !legacy.isNull()) {
            if (!legacy.isObject()) throw ApiException.invalid(p + ".function_call", p + ".function_call must be an object");
            calls.add(call(legacy, p + ".function_call", null));
        }
        JsonNode c = m.get("content");
        String content = calls.isEmpty() || c != null && !c.isNull() ? content(c, p + ".content") : "";
        return ChatMessage.assistant(content, calls);
    }

    private static ChatMessage.ToolCall call(JsonNode fn, String p, String id) {
        JsonNode name = fn.get("name");
        if (name == null || !name.isTextual() || name.asText().isEmpty()) throw ApiException.invalid(p + ".name", p + ".name must be a function name");
        JsonNode args = fn.get("arguments");
        if (args != null && !args.isNull() && !args.isTextual()) throw ApiException.invalid(p + ".arguments", p + ".arguments must be a string of JSON");
        return new ChatMessage.ToolCall(id, name.asText(), args == null || args.isNull() ? "{}" : args.asText());
    }

    private static String optionalString(JsonNode m, String field, String p) {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw ApiException.invalid(p + "." + field, p + "." + field + " must be a string");
        return v.asText();
    }

    /** A string, or an array of parts of which only {"type":"text"} is understood. */
    private static String content(JsonNode c, String p) {
        if (c == null || c.isNull()) throw ApiException.invalid(p, p + " is required");
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiException.invalid(p, p + " must be a string or an array of content parts");
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            JsonNode part = c.get(j);
            String pp = p + "[" + j + "]";
            String type = part.path("type").asText("");
            if (!type.equals("text")) {
                throw ApiException.invalid(pp + ".type", pp + ".type '" + type + "' is not supported: this model reads text parts only");
            }
            if (!part.path("text").isTextual()) throw ApiException.invalid(pp + ".text", pp + ".text must be a string");
            sb.append(part.path("text").asText());
        }
        return sb.toString();
    }
}
