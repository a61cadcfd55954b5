package io.backstop.server.guard.rules;

import io.backstop.server.guard.GuardRequest;

/**
 * A business rule in code, the part of the guardrails an application writes itself: it sees every
 * parsed request before any model work, and every answer after it. Implementations are loaded by class
 * name from a profile's {@code rules} (a public constructor taking {@code Map<String, Object>} — the
 * rule's {@code config} — or a public no-argument one), or registered by an embedding application.
 * They must be thread-safe: one instance serves all requests of its profile.
 */
public interface BusinessRule {
    /** A short name for logs and the block message (default: the class's simple name). */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Before routing. Return {@link RuleVerdict#allow()} to let the request go on. */
    default RuleVerdict onRequest(GuardRequest request) {
        return RuleVerdict.allow();
    }

    /** After the answer, with its token usage (prompt and completion; 0 when unknown). */
    default RuleVerdict onAnswer(GuardRequest request, String answer, int promptTokens, int completionTokens) {
        return RuleVerdict.allow();
    }
}
