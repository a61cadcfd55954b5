package io.backstop.server.guard;

import io.backstop.server.guard.json.JsonAnswerValidator;
import io.backstop.server.guard.output.OutputChunk;
import io.backstop.server.guard.output.StreamingOutputCheck;
import io.javalin.http.Context;
import java.util.List;

/**
 * The guardrails of one request after its input checks, kept in the request's context for the targets
 * that answer it: the policy of the name the client called, the request as the model sees it
 * (redacted), the vault of its placeholders, and the JSON validator when it asked for JSON. Answers are
 * checked here — a stream through {@link #openStream}, a whole answer through {@link #check} — and
 * business rules hear of every answer through {@link #answered}. Without guardrails and JSON it lets
 * everything through untouched.
 */
public final class RequestGuard {
    public static final String ATTRIBUTE = "backstop.guard";
    private static final RequestGuard NONE = new RequestGuard("-", null, null, Vault.empty(), null, null, DecisionListener.NONE);

    /** A whole answer after the output checks: its text, the finish reason they impose (null: keep) and JSON violations. */
    public record Checked(String text, String finishReason, List<JsonAnswerValidator.Violation> violations) {
        public boolean valid() {
            return violations.isEmpty();
        }
    }

    private final String requestId;
    private final GuardService.Policy policy;
    private final GuardRequest request;
    private final Vault vault;
    private final JsonAnswerValidator json;
    private final GuardLog log;
    private final DecisionListener listener;

    /**
     * @param request  the request as the model sees it (null when the name has no profile)
     * @param json     validates answers when the request asked for JSON, else null
     * @param listener hears each decision that is logged (the request's observation)
     */
    public RequestGuard(String requestId, GuardService.Policy policy, GuardRequest request, Vault vault, JsonAnswerValidator json, GuardLog log,
                        DecisionListener listener) {
        this.requestId = requestId;
        this.policy = policy;
        this.request = request;
        this.vault = vault;
        this.json = json;
        this.log = log;
        this.listener = listener;
    }

    /** The guard of the request {@code ctx} serves; one that lets everything through when none was attached. */
    public static RequestGuard of(Context ctx) {
        RequestGuard g = ctx.attribute(ATTRIBUTE);
        return g == null ? NONE : g;
    }

    public void attachTo(Context ctx) {
        ctx.attribute(ATTRIBUTE, this);
    }

    public GuardService.Policy policy() {
        return policy;
    }

    private Guardrails guardrails() {
        return policy == null ? null : policy.guardrails();
    }

    /** Whether answers go through output checks (or placeholder restoring). */
    public boolean checksOutput() {
        return guardrails() != null;
    }

    public boolean validatesJson() {
        return json != null;
    }

    /** A streaming check for one answer (or choice), or null when answers are not checked. */
    public StreamingOutputCheck openStream() {
        return checksOutput() ? guardrails().output().open(vault) : null;
    }

    /**
     * Checks a whole answer: output checks (a block gives the route's fallback answer, or the text before
     * the block, with {@code content_filter}), then JSON validation of what the client would receive.
     */
    public Checked check(String answer) {
        return check(answer, true);
    }

    /** As {@link #check(String)}; {@code json} false skips JSON validation (e.g. an answer that calls tools). */
    public Checked check(String answer, boolean json) {
        String text = answer;
        String finish = null;
        if (checksOutput()) {
            OutputChunk c = guardrails().output().checkAnswer(answer, vault);
            recordOutput(c.results());
            text = c.text();
            finish = c.finishReason();
            if ("content_filter".equals(finish) && policy.fallbackAnswer() != null) text = policy.fallbackAnswer();
        }
        boolean blocked = "content_filter".equals(finish);
        List<JsonAnswerValidator.Violation> violations = this.json == null || !json || blocked ? List.of() : this.json.validate(text);
        if (!violations.isEmpty()) recordOutput(List.of(CheckResult.of("json_schema", GuardAction.BLOCK, 1, AnswerRejected.describe(violations))));
        return new Checked(text, finish, violations);
    }

    /** JSON violations of a text (empty when valid, or when the request did not ask for JSON). */
    public List<JsonAnswerValidator.Violation> validate(String text) {
        return json == null ? List.of() : json.validate(text);
    }

    /** Logs the decisions of output checks (a stream reports them as they happen). */
    public void recordOutput(List<CheckResult> results) {
        for (CheckResult r : results) decided("output", r);
    }

    /** Tells the business rules about a finished answer and its token usage (a token budget counts it here). */
    public void answered(String answer, int promptTokens, int completionTokens) {
        if (guardrails() == null || request == null) return;
        listener.delivered(answer);
        CheckResult r = guardrails().afterAnswer(request, answer, promptTokens, completionTokens);
        if (r != null) decided("answer", r);
    }

    private void decided(String stage, CheckResult r) {
        if (log != null) log.record(requestId, policy.name(), stage, r);
        listener.decided(stage, r);
    }

    /** About how many tokens the request's texts take, for a provider that reports no usage. */
    public int estimatedPromptTokens() {
        if (request == null) return 0;
        int n = 0;
        for (GuardMessage m : request.messages()) n += InputGuard.estimateTokens(m.text());
        return n;
    }

    public String fallbackAnswer() {
        return policy == null ? null : policy.fallbackAnswer();
    }
}
