package io.backstop.server.guard;

/**
 * Hears every guardrail decision of one request beside the {@link GuardLog}, and the answer as the output
 * checks left it: the server passes the request's observation (metrics, span events, access log) without
 * the guard depending on it.
 */
public interface DecisionListener {
    DecisionListener NONE = (stage, result) -> {};

    /** A check fired at {@code stage} (input, output or answer). */
    void decided(String stage, CheckResult result);

    /** The answer the client got after the output checks (redacted, cut or replaced), its choices joined. */
    default void delivered(String answer) {}
}
