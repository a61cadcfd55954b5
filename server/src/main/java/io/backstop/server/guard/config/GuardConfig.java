package io.backstop.server.guard.config;

import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.context.ContextPolicy;
import java.util.Map;

/**
 * The guardrail part of the server configuration: the named profiles of the {@code guardrails:}
 * section, and what each public name (a route or a local model) attaches to itself — its profile,
 * fallback answer and context policy. A request is guarded by the attachment of the name the client
 * called, whichever target answers it.
 */
public record GuardConfig(Map<String, GuardProfile> profiles, Map<String, Attachment> attachments) {
    public GuardConfig {
        profiles = Map.copyOf(profiles);
        attachments = Map.copyOf(attachments);
    }

    public static GuardConfig none() {
        return new GuardConfig(Map.of(), Map.of());
    }

    public Attachment attachment(String publicName) {
        return attachments.getOrDefault(publicName, Attachment.NONE);
    }

    /**
     * What a route or local model attaches.
     *
     * @param profile          a profile name, or null for no guardrail checks
     * @param fallbackAnswer   text of a normal 200 answer ({@code finish_reason: content_filter}) given instead of
     *                         an error when a check blocks or no target gives a valid JSON answer; null = error
     * @param contextPolicy    what to do with a chat longer than the target's context
     * @param summaryRoute     the route or local model that writes summaries ({@code summarize} only)
     * @param summaryMaxTokens tokens a summary may take
     * @param contextTokens    context size of the route's remote targets (their tokenizers are not at hand, so
     *                         their chats are counted at about four characters per token); null = not managed
     */
    public record Attachment(String profile, String fallbackAnswer, ContextPolicy contextPolicy, String summaryRoute,
                             int summaryMaxTokens, Integer contextTokens) {
        public static final int DEFAULT_SUMMARY_MAX_TOKENS = 256;
        public static final Attachment NONE = new Attachment(null, null, ContextPolicy.ERROR, null, DEFAULT_SUMMARY_MAX_TOKENS, null);
    }
}
