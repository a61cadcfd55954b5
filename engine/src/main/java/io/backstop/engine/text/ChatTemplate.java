package io.backstop.engine.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.ToolDefinition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders chat messages into a prompt: a Jinja chat template (Hugging Face style) or a built-in one. */
public sealed interface ChatTemplate {

    /**
     * The prompt for the messages; {@code tools} (may be empty) reach a Jinja template as its {@code tools}
     * variable in OpenAI's shape, {@code [{"type": "function", "function": {name, description, parameters}}]}.
     */
    String render(List<ChatMessage> messages, List<ToolDefinition> tools);

    default String render(List<ChatMessage> messages) {
        return render(messages, List.of());
    }

    /** Whether the template shows the model its tools (a Jinja template that reads {@code tools}). */
    boolean rendersTools();

    /** The template's Jinja source ("" for built-ins): callers read it to tell the model family's tool-call syntax. */
    String source();

    /** Built-in for base models: message contents joined by newlines, no role markers, no tools. */
    record Raw() implements ChatTemplate {
        @Override
        public String render(List<ChatMessage> messages, List<ToolDefinition> tools) {
            return messages.stream().map(ChatMessage::content).collect(Collectors.joining("\n"));
        }

        @Override
        public boolean rendersTools() {
            return false;
        }

        @Override
        public String source() {
            return "";
        }
    }

    /**
     * A Jinja template as found in tokenizer_config.json. BOS is rendered empty because the engine adds
     * the BOS token itself when tokenizing (otherwise prompts would start with two).
     */
    record Jinja(String name, String source, String bosToken, String eosToken) implements ChatTemplate {
        private static final Jinjava JINJA = createJinjava();

        public Jinja {
            source = JinjaCompat.rewrite(source);
        }

        @Override
        public String render(List<ChatMessage> messages, List<ToolDefinition> tools) {
            Map<String, Object> ctx = new HashMap<>();
            ctx.put("messages", messages.stream().map(TemplateValues::message).toList());
            if (!tools.isEmpty()) ctx.put("tools", tools.stream().map(TemplateValues::tool).toList());
            ctx.put("add_generation_prompt", true);
            ctx.put("bos_token", "");
            ctx.put("eos_token", eosToken == null ? "" : eosToken);
            RenderResult r = JINJA.renderForResult(source, ctx);
            List<TemplateError> fatal = r.getErrors().stream()
                    .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
            if (!fatal.isEmpty()) {
                throw new InvalidRequestException("messages", "the chat template '" + name + "' rejected the messages: " + fatal.get(0).getMessage());
            }
            return r.getOutput();
        }

        @Override
        public boolean rendersTools() {
            return source.contains("tools");
        }

        private static jinjava.javax.el.ELResolver resolver() {
            jinjava.javax.el.CompositeELResolver r = new jinjava.javax.el.CompositeELResolver();
            r.add(new PythonStringMethods());
            r.add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
            return r;
        }

        private static Jinjava createJinjava() {
            // Matches the Jinja settings transformers uses for chat templates.
            Jinjava j = new Jinjava(JinjavaConfig.newBuilder()
                    .withTrimBlocks(true)
                    .withLstripBlocks(true)
                    .withLegacyOverrides(LegacyOverrides.newBuilder()
                            .withParseWhitespaceControlStrictly(true)
                            .withUseTrimmingForNotesAndExpressions(true)
                            .withKeepNullableLoopValues(true)
                            .build())
                    .withElResolver(resolver())
                    .build());
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
            j.getGlobalContext().registerFilter(new PythonJsonFilter()); // transformers' tojson: json.dumps, not Jinjava's compact form
            return j;
        }
    }

    /** Called by templates through {@code raise_exception(msg)}. */
    static String raiseException(String message) {
        throw new InvalidRequestException("messages", "the chat template rejected the messages: " + message);
    }
}
