package io.backstop.engine;

import java.util.List;

/** What to generate from: raw text, or chat messages rendered with a chat template. */
public sealed interface Prompt {

    /** Raw text; the model's BOS token is added when the model uses one. */
    record Text(String text) implements Prompt {}

    /** Token ids as they are; nothing is added (include BOS yourself when the model needs it). */
    record Tokens(int[] ids) implements Prompt {
        public Tokens {
            ids = ids.clone();
        }
    }

    /**
     * Chat messages.
     *
     * @param template null for the model's own template; otherwise a template the model ships
     *                 (by name) or a built-in one such as {@code raw}
     * @param tools    functions the model may call, passed to the template as its {@code tools} variable
     *                 (none: the variable is left undefined, as Hugging Face does)
     */
    record Chat(List<ChatMessage> messages, String template, List<ToolDefinition> tools) implements Prompt {
        public Chat {
            messages = List.copyOf(messages);
            tools = tools == null ? List.of() : List.copyOf(tools);
        }

        public Chat(List<ChatMessage> messages, String template) {
            this(messages, template, List.of());
        }

        public Chat withTools(List<ToolDefinition> tools) {
            return new Chat(messages, template, tools);
        }

        public Chat withMessages(List<ChatMessage> messages) {
            return new Chat(messages, template, tools);
        }
    }

    static Prompt text(String text) {
        return new Text(text);
    }

    static Prompt tokens(int[] ids) {
        return new Tokens(ids);
    }

    static Prompt chat(List<ChatMessage> messages) {
        return new Chat(messages, null);
    }

    static Prompt chat(List<ChatMessage> messages, String template) {
        return new Chat(messages, template);
    }
}
