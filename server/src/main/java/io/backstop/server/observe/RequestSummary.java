package io.backstop.server.observe;

import java.util.List;

/**
 * One finished request as metrics, the access log, the dashboard and the judge see it.
 *
 * @param route       the public name asked for when it is a route or local model (null otherwise)
 * @param target      the {@code provider:model} that answered, or null
 * @param outcome     ok, fallback (answered after another target failed or was outrun), blocked, or the error type
 * @param chain       every target that started, in order
 * @param prompt      the request's messages or prompt, only when content is logged or judged
 * @param answer      the answer's text, only when content is logged or judged
 * @param user        the request's {@code user} field (the client's id of its end user), or null
 * @param session     the {@code X-Session-Id} header (a conversation the client groups requests by), or null
 */
public record RequestSummary(String requestId, String traceId, String method, String path, int status, String route, boolean stream,
                             String operation, String target, String provider, String responseModel, String outcome, String errorType,
                             Integer tokensIn, Integer tokensOut, Long ttftNanos, Long tpotNanos, long durationNanos, Double cost,
                             List<Link> chain, List<Observation.GuardEvent> guard, String prompt, String answer,
                             String user, String session) {
    public static final String OK = "ok";
    public static final String FALLBACK = "fallback";
    public static final String BLOCKED = "blocked";

    /** One target of the chain: answered, failed (with its error type), or stopped because another answered first. */
    public record Link(String target, String result, String errorType, int upstreamCalls) {}

    public boolean answered() {
        return target != null && (OK.equals(outcome) || FALLBACK.equals(outcome));
    }
}
