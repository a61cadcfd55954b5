package io.backstop.server.openai.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.engine.ToolDefinition;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.GrammarLimits;
import io.backstop.engine.text.ChatTemplate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How one local model serves a request's tools: the tool-call syntax its chat template teaches (Hermes
 * when it teaches none), the grammar that holds its calls to the tools' schemas, and how its output is
 * split into content and calls.
 *
 * <p>A template that does not render tools (e.g. {@code chatml}, {@code raw}) still lets the model call
 * them: the tools and Hermes instructions go into a system message, and earlier calls and results are
 * written into the history as Hermes text, so the model sees one consistent syntax.
 *
 * @param format       the model's tool-call syntax
 * @param names        the functions a call may name
 * @param sectionFirst the output is only calls ({@code required} or a named function)
 * @param constraint   what the output must be (the calls' grammar, maybe beside the response format), or null
 * @param injected     the tools are described in a system message rather than by the template
 * @param markers      ids of the special tokens that start the calls (e.g. Mistral's {@code [TOOL_CALLS]}): they write no text
 */
public record ToolPlan(ToolRequest request, ToolFormat format, Set<String> names, boolean sectionFirst, ConstraintSpec constraint,
                       boolean injected, Set<Integer> markers) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param output the response format's constraint, or null; with {@code auto} the model may answer in
     *               that format or call a tool
     */
    public static ToolPlan of(ToolRequest request, Model model, ConstraintSpec output, GrammarLimits limits) {
        ChatTemplate template = model.chatTemplate(null);
        ToolFormat detected = ToolFormat.detect(template.source());
        boolean injected = !template.rendersTools();
        ToolFormat format = detected != null && !injected ? detected : ToolFormat.HERMES;
        if (!request.active()) return new ToolPlan(request, format, Set.of(), false, output, injected, Set.of());
        Set<String> markerTexts = new LinkedHashSet<>();
        for (ConstraintSpec.Trigger t : format.triggers()) if (!t.partOfBody()) markerTexts.add(t.text());
        Set<Integer> markers = model.specialTokenIds(markerTexts);
        List<ToolRequest.Tool> callable = request.callable();
        Set<String> names = new LinkedHashSet<>();
        callable.forEach(t -> names.add(t.name()));
        ConstraintSpec.Framed calls = format.calls(CallSchemas.of(callable, format, limits), request.parallel());
        return switch (request.choice()) {
            case REQUIRED, NAMED -> new ToolPlan(request, format, names, true, calls, injected, markers);
            default -> new ToolPlan(request, format, names, false,
                    output == null ? new ConstraintSpec.Triggered(calls, format.triggers()) : new ConstraintSpec.AnyOf(List.of(output, calls)), injected, markers);
        };
    }

    /** Whether the output is scanned for calls. */
    public boolean scans() {
        return request.active();
    }

    public ToolCallScanner scanner() {
        return new ToolCallScanner(format, names, sectionFirst);
    }

    /** The chat with the tools shown to the model: through the template, or in a system message it gets. */
    public Prompt prompt(Prompt prompt) {
        if (!(prompt instanceof Prompt.Chat chat)) return prompt;
        if (!injected) return chat.withTools(definitions());
        List<ChatMessage> messages = new ArrayList<>();
        String instructions = instructions();
        ChatMessage first = chat.messages().getFirst();
        boolean system = first.role().equals("system") || first.role().equals("developer");
        messages.add(ChatMessage.system(system ? first.content() + "\n\n" + instructions : instructions));
        for (ChatMessage m : system ? chat.messages().subList(1, chat.messages().size()) : chat.messages()) messages.add(asHermesText(m));
        return chat.withMessages(messages);
    }

    private List<ToolDefinition> definitions() {
        return request.tools().stream().map(t -> new ToolDefinition(t.name(), t.description(),
                t.parameters() == null ? null : t.parameters().toString())).toList();
    }

    /** Hermes' own system prompt for function calling (as Qwen's template writes it). */
    private String instructions() {
        StringBuilder sb = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
        for (ToolRequest.Tool t : request.tools()) {
            ObjectNode fn = JSON.createObjectNode().put("type", "function");
            ObjectNode f = fn.putObject("function").put("name", t.name());
            if (t.description() != null) f.put("description", t.description());
            if (t.parameters() != null) f.set("parameters", t.parameters());
            sb.append('\n').append(fn);
        }
        return sb.append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>").toString();
    }

    /** Calls and results in the history, written as Hermes text for a template that knows neither. */
    private static ChatMessage asHermesText(ChatMessage m) {
        if (!m.toolCalls().isEmpty()) {
            StringBuilder sb = new StringBuilder(m.content());
            for (ChatMessage.ToolCall c : m.toolCalls()) {
                ObjectNode call = JSON.createObjectNode().put("name", c.name());
                try {
                    call.set("arguments", JSON.readTree(c.arguments()));
                } catch (Exception e) {
                    call.put("arguments", c.arguments());
                }
                if (!sb.isEmpty()) sb.append('\n');
                sb.append("<tool_call>\n").append(call).append("\n</tool_call>");
            }
            return ChatMessage.assistant(sb.toString());
        }
        if (m.role().equals("tool")) return ChatMessage.user("<tool_response>\n" + m.content() + "\n</tool_response>");
        return m;
    }
}
