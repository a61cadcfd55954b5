package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.config.RouteConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Everything observed about one HTTP request, kept in its attributes ({@link #of}): what it asked for,
 * each target attempt, guardrail decisions, the error it ended with. The request gate opens it and
 * closes it once the response is complete; then metrics, the access log, the span and the judge read it.
 * The dispatch reports to it through a few calls; when nothing observes, {@link #NONE} ignores them.
 */
public final class Observation {
    public static final String ATTRIBUTE = "backstop.observation";
    static final Observation NONE = new Observation();

    static final AttributeKey<String> GUARD_STAGE = AttributeKey.stringKey("backstop.guardrail.stage");
    static final AttributeKey<String> GUARD_CHECK = AttributeKey.stringKey("backstop.guardrail.check");
    static final AttributeKey<String> GUARD_ACTION = AttributeKey.stringKey("backstop.guardrail.action");
    private static final String JSON_SCHEMA = "json_schema";
    private static final AttributeKey<String> SESSION_ID = AttributeKey.stringKey("session.id");
    private static final int MAX_ID = 256;

    /** One guardrail decision: where (input, output), which check, what it did. Never the matched text. */
    public record GuardEvent(String stage, String check, String action) {}

    final Observability owner;
    final String requestId;
    final String method;
    final String path;
    final long startNanos;
    final long startEpochNanos;
    final Span span;
    final Context context;
    final List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
    final List<GuardEvent> guard = Collections.synchronizedList(new ArrayList<>());

    volatile String model;
    volatile boolean known;
    volatile boolean routed;
    volatile String operation = "chat";
    volatile boolean chat = true;
    volatile boolean stream;
    volatile JsonNode body;
    volatile String errorType;
    volatile String blockedBy;
    volatile boolean sampled;
    volatile String delivered;
    volatile String user;
    final String session;

    private Observation() {
        owner = null;
        requestId = method = path = session = null;
        startNanos = startEpochNanos = 0;
        span = Span.getInvalid();
        context = Context.root();
    }

    Observation(Observability owner, String requestId, String method, String path, Context parent, String session) {
        this.owner = owner;
        this.requestId = requestId;
        this.method = method;
        this.path = path;
        this.startNanos = System.nanoTime();
        this.startEpochNanos = System.currentTimeMillis() * 1_000_000L;
        this.span = owner.tracing.tracer().spanBuilder(method + " " + path).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", method).setAttribute("url.path", path)
                .setAttribute("backstop.request_id", requestId).startSpan();
        this.context = parent.with(span);
        this.session = session;
        if (session != null) span.setAttribute(SESSION_ID, session);
    }

    /** A client-given id (user, session) as a log and span value: null when absent, empty or too long, or with control characters. */
    static String identifier(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_ID) return null;
        for (int i = 0; i < s.length(); i++) if (Character.isISOControl(s.charAt(i))) return null;
        return s;
    }

    /** The request's observation ({@link #NONE} when nothing observes it). */
    public static Observation of(io.javalin.http.Context ctx) {
        return of(ctx.req());
    }

    public static Observation of(HttpServletRequest req) {
        return req.getAttribute(ATTRIBUTE) instanceof Observation o ? o : NONE;
    }

    boolean active() {
        return owner != null;
    }

    /** Makes the request's span current on this thread (the handlers run inside it). */
    public Scope makeCurrent() {
        return active() ? context.makeCurrent() : Scope.noop();
    }

    /**
     * What the request asks for: a public model name (a route or a local model; {@code known} when it is
     * one, so unknown names never become metric labels), the operation, streaming, and its body (read
     * only for content logging and the judge; dropped once an input guardrail blocked it, so a refused
     * text is never kept) with its {@code user}.
     */
    public void request(String name, boolean known, boolean routed, boolean chat, boolean stream, JsonNode body) {
        if (!active()) return;
        this.model = name;
        this.known = known;
        this.routed = routed;
        this.chat = chat;
        this.operation = chat ? "chat" : "text_completion";
        this.stream = stream;
        this.user = body == null ? null : identifier(body.path("user").asText(null));
        this.body = blockedBy == null ? body : null;
        this.sampled = known && this.body != null && owner.sample(name);
        span.updateName(operation + " " + name);
        span.setAttribute(GenAi.A_OPERATION, operation);
        span.setAttribute(GenAi.A_REQUEST_MODEL, name);
        if (user != null) span.setAttribute(GenAi.A_USER_ID, user);
        if (this.body == null) return;
        JsonNode max = body.path("max_tokens");
        if (max.isIntegralNumber()) span.setAttribute(GenAi.A_MAX_TOKENS, max.asLong());
        if (body.path("temperature").isNumber()) span.setAttribute(GenAi.A_TEMPERATURE, body.path("temperature").asDouble());
    }

    /** A target starts answering this request, on the current thread (close it when the target has ended). */
    public Attempt attempt(RouteConfig.Target target) {
        if (!active()) return Attempt.NONE;
        Attempt a = new Attempt(this, target);
        attempts.add(a);
        return a;
    }

    /**
     * A guardrail check fired at {@code stage} (input, output, answer) with {@code action} (block, redact,
     * flag): a span event, a metric and an access-log entry. A block on the input or output ends the
     * request as blocked; a JSON-schema block only rejects one target's answer (the route moves on), and
     * a business rule after the answer comes too late to block it.
     */
    public void guardrail(String stage, String check, String action) {
        if (!active()) return;
        guard.add(new GuardEvent(stage, check, action));
        span.addEvent("guardrail", Attributes.of(GUARD_STAGE, stage, GUARD_CHECK, check, GUARD_ACTION, action));
        if ("block".equals(action) && blockedBy == null && !"answer".equals(stage) && !JSON_SCHEMA.equals(check)) blockedBy = check;
    }

    /** The answer as the output guardrails let it through (kept only when its text is logged or judged, instead of the model's). */
    public void delivered(String answer) {
        if (wantsText()) delivered = answer;
    }

    /** A span for the guardrails of one stage (input or output); close it when the checks are done. */
    public Scope guardrails(String stage) {
        if (!active()) return Scope.noop();
        Span s = owner.tracing.tracer().spanBuilder("guardrails " + stage).setParent(context).startSpan();
        Scope scope = s.makeCurrent();
        return () -> {
            scope.close();
            s.end();
        };
    }

    /** The request ends with this error (an OpenAI error code, e.g. {@code upstream_failed}). */
    public void error(String type) {
        if (!active() || type == null) return;
        errorType = type;
        span.setStatus(StatusCode.ERROR, type);
        span.setAttribute(GenAi.A_ERROR_TYPE, type);
    }

    /** Whether the answer's text is needed: for the access log ({@code log_content}) or the judge. */
    boolean wantsText() {
        return active() && (owner.logContent() || sampled);
    }

    /** Wall-clock nanoseconds of a {@link System#nanoTime()} reading taken during this request. */
    long epochNanos(long nanoTime) {
        return startEpochNanos + (nanoTime - startNanos);
    }

    public String requestId() {
        return requestId;
    }

    public Span span() {
        return span;
    }

    public List<GuardEvent> guardEvents() {
        return List.copyOf(guard);
    }
}
