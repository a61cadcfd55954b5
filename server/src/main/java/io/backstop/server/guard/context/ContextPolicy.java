package io.backstop.server.guard.context;

import java.util.Locale;

/**
 * What a route (or local model) does with a chat longer than its target's context: refuse it with
 * OpenAI's {@code context_length_exceeded} (the default), drop the oldest turns, or replace them by a
 * summary.
 */
public enum ContextPolicy {
    ERROR, TRUNCATE, SUMMARIZE;

    public static ContextPolicy parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown context policy '" + s + "' (error, truncate or summarize)");
        }
    }

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }
}
