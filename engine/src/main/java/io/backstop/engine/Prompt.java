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
     */
    record Chat(List<ChatMessage> messages, String template) implements Prompt {
        public Chat {
            messages = List.copyOf(messages);
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
