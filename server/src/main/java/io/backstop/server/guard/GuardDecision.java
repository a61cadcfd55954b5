package io.backstop.server.guard;

import java.util.List;

/**
 * The input guard's verdict on a request. {@link #blocked()}: refuse with {@link #blockingCheck()} (and
 * {@link #message()}, which names the check and never quotes the request). Otherwise forward
 * {@link #messages()} — redacted where a check said so, with {@link #vault()} to restore the
 * placeholders in the answer when the profile wants that. {@link #results()} lists every check that fired.
 */
public record GuardDecision(boolean blocked, String blockingCheck, String message, List<GuardMessage> messages, Vault vault, List<CheckResult> results) {
    public GuardDecision {
        messages = List.copyOf(messages);
        results = List.copyOf(results);
    }

    public boolean redacted() {
        return !vault.isEmpty();
    }

    public boolean flagged() {
        return results.stream().anyMatch(r -> r.action() == GuardAction.FLAG);
    }
}
