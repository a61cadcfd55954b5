package io.backstop.engine;

import java.util.Objects;
import java.util.Set;

/** One chat turn. Roles: system, developer (treated as system by templates that lack it), user, assistant. */
public record ChatMessage(String role, String content) {
    public static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage developer(String content) {
        return new ChatMessage("developer", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
