package io.backstop.engine.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.InvalidRequestException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders chat messages into a prompt: a Jinja chat template (Hugging Face style) or a built-in one. */
public sealed interface ChatTemplate {

    String render(List<ChatMessage> messages);

    /** Built-in for base models: message contents joined by newlines, no role markers. */
    record Raw() implements ChatTemplate {
        @Override
        public String render(List<ChatMessage> messages) {
            return messages.stream().map(ChatMessage::content).collect(Collectors.joining("\n"));
        }
    }

    /**
     * A Jinja template as found in tokenizer_config.json. BOS is rendered empty because the engine adds
     * the BOS token itself when tokenizing (otherwise prompts would start with two).
     */
    record Jinja(String name, String source, String bosToken, String eosToken) implements ChatTemplate {
        private static final Jinjava JINJA = createJinjava();

        @Override
        public String render(List<ChatMessage> messages) {
            Map<String, Object> ctx = new HashMap<>();
            ctx.put("messages", messages.stream().map(Jinja::toMap).toList());
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

        /** Most templates know no "developer" role; OpenAI defines it as the system role for newer models. */
        private static Map<String, Object> toMap(ChatMessage m) {
            String role = m.role().equals("developer") ? "system" : m.role();
            return Map.of("role", role, "content", m.content());
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
                    .build());
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
            return j;
        }
    }

    /** Called by templates through {@code raise_exception(msg)}. */
    static String raiseException(String message) {
        throw new InvalidRequestException("messages", "the chat template rejected the messages: " + message);
    }
}
