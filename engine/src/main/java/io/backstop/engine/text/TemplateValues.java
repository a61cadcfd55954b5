package io.backstop.engine.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.ToolDefinition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Messages and tools as the Jinja values Hugging Face templates expect: plain maps in OpenAI's
 * shape, keys present only when they have a value (templates test {@code 'tool_calls' in message}),
 * and JSON arguments/schemas as nested maps (templates apply {@code tojson} to them).
 */
final class TemplateValues {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TemplateValues() {}

    /** Most templates know no "developer" role; OpenAI defines it as the system role for newer models. */
    static Map<String, Object> message(ChatMessage m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", m.role().equals("developer") ? "system" : m.role());
        out.put("content", m.content());
        if (!m.toolCalls().isEmpty()) {
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ChatMessage.ToolCall c : m.toolCalls()) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", c.name());
                function.put("arguments", jsonOrText(c.arguments()));
                Map<String, Object> call = new LinkedHashMap<>();
                if (c.id() != null) call.put("id", c.id());
                call.put("type", "function");
                call.put("function", function);
                calls.add(call);
            }
            out.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) out.put("tool_call_id", m.toolCallId());
        if (m.name() != null) out.put("name", m.name());
        return out;
    }

    static Map<String, Object> tool(ToolDefinition t) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", t.name());
        if (t.description() != null) function.put("description", t.description());
        if (t.parameters() != null) function.put("parameters", jsonOrText(t.parameters()));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return tool;
    }

    /** JSON text as maps and lists (insertion-ordered); text that is not JSON stays text. */
    static Object jsonOrText(String json) {
        try {
            return JSON.readValue(json, Object.class);
        } catch (IOException e) {
            return json;
        }
    }
}
