package io.backstop.engine;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One chat turn. Roles: system, developer (treated as system by templates that lack it), user,
 * assistant (optionally with the tool calls it made) and tool (a tool's result, answering one call).
 *
 * @param content    the text ("" when an assistant turn only calls tools)
 * @param toolCalls  the calls an assistant turn made (empty otherwise)
 * @param toolCallId for a tool turn: the id of the call it answers, else null
 * @param name       for a tool turn: the function's name when known, else null
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {
    public static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    /** A call of a function: {@code arguments} is JSON text, as OpenAI passes it. */
    public record ToolCall(String id, String name, String arguments) {
        public ToolCall {
            Objects.requireNonNull(name, "name");
            arguments = arguments == null ? "{}" : arguments;
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null, null);
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

    /** An assistant turn that called tools (its content may be empty). */
    public static ChatMessage assistant(String content, List<ToolCall> calls) {
        return new ChatMessage("assistant", content == null ? "" : content, calls, null, null);
    }

    /** A tool's result for the call {@code toolCallId}. */
    public static ChatMessage tool(String toolCallId, String name, String content) {
        return new ChatMessage("tool", content, List.of(), toolCallId, name);
    }
}
