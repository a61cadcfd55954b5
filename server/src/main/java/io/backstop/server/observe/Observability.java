package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.observe.cost.PriceTable;
import io.backstop.server.observe.judge.Judge;
import io.backstop.server.observe.judge.JudgeQueue;
import io.backstop.server.observe.judge.JudgingConfig;
import io.backstop.server.observe.log.AccessLog;
import io.backstop.server.observe.metrics.RoutingMetrics;
import io.backstop.server.observe.metrics.ServerMetrics;
import io.backstop.server.observe.trace.Tracing;
import io.backstop.server.observe.web.DashboardStats;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.backstop.engine.schedule.TaskContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The server's observability, wired once: metrics ({@code /metrics}), tracing, the access log, cost,
 * the dashboard's statistics and the online judge. The request gate opens an {@link Observation} per
 * API request and finishes it when the response is complete; everything else reads that.
 */
public final class Observability implements AutoCloseable {
    /** A client's conversation id: {@code session.id} on the trace (Langfuse's sessions) and {@code session_id} in the access log. */
    public static final String SESSION_HEADER = "X-Session-Id";
    final ObserveConfig config;
    final Tracing tracing;
    final ServerMetrics metrics;
    final AccessLog accessLog;
    final PriceTable prices;
    final int threads;
    final DashboardStats stats = new DashboardStats();
    final JudgeQueue judges;
    final OnlineJudge onlineJudge;
    private final ModelRegistry models;
    private final RouteTable routes;
    private final DoubleSupplier random;

    private Observability(ServerConfig server, ModelRegistry models, RouteTable routes, Tracing tracing, DoubleSupplier random) {
        this.config = server.observe();
        this.tracing = tracing;
        this.models = models;
        this.routes = routes;
        this.random = random;
        this.prices = config.pricing();
        this.threads = server.threads() > 0 ? server.threads() : Runtime.getRuntime().availableProcessors();
        this.metrics = config.metrics().enabled() ? new ServerMetrics() : null;
        if (metrics != null) RoutingMetrics.bind(metrics.registry(), routes, models);
        this.accessLog = AccessLog.open(config.accessLog());
        JudgingConfig j = config.judging();
        this.judges = j.routes().isEmpty() ? null : new JudgeQueue(j.workers(), j.queueSize());
        this.onlineJudge = judges == null ? null : new OnlineJudge(this, new Judge(models, routes));
        if (tracing.enabled()) TaskContext.install(task -> Context.current().wrap(task)); // spans follow generations onto the scheduler's threads
    }

    /** As configured, tracing from the configuration and the OTEL_* environment. */
    public static Observability create(ServerConfig server, ModelRegistry models, RouteTable routes, Map<String, String> env) {
        return new Observability(server, models, routes, Tracing.fromEnvironment(server.observe().tracing(), env),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /** With a given tracing (tests: an SDK with an in-memory exporter) and sampling source in [0, 1). */
    public static Observability create(ServerConfig server, ModelRegistry models, RouteTable routes, Tracing tracing, DoubleSupplier random) {
        return new Observability(server, models, routes, tracing, random);
    }

    /** Whether anything observes requests (off: the gate opens no observations and the dispatch's calls cost nothing). */
    public boolean active() {
        return metrics != null || accessLog != null || tracing.enabled() || judges != null;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public ObserveConfig config() {
        return config;
    }

    public DashboardStats stats() {
        return stats;
    }

    public ModelRegistry models() {
        return models;
    }

    public RouteTable routes() {
        return routes;
    }

    public int judgeQueue() {
        return judges == null ? 0 : judges.waiting();
    }

    /** Opens the observation of an API request (stored in its attributes), continuing the client's trace. */
    public Observation start(HttpServletRequest req, String requestId) {
        if (!active()) return Observation.NONE;
        Observation o = new Observation(this, requestId, req.getMethod(), req.getRequestURI(), Tracing.extract(req),
                Observation.identifier(req.getHeader(SESSION_HEADER)));
        req.setAttribute(Observation.ATTRIBUTE, o);
        if (metrics != null) metrics.started();
        return o;
    }

    /** The response is complete: metrics, access log, span, dashboard, and maybe a sample for the judge. */
    public void finish(Observation o, int status) {
        if (!o.active()) return;
        if (metrics != null) metrics.ended();
        RequestSummary s = summarize(o, status);
        if (status >= 500) o.span.setStatus(StatusCode.ERROR);
        o.span.setAttribute("http.response.status_code", status);
        if (s.target() != null) o.span.setAttribute("backstop.target", s.target());
        if (s.cost() != null) o.span.setAttribute("backstop.cost_usd", s.cost());
        if (tracing.enabled() && logContent()) ContentAttributes.set(o.span, o.body, o.chat, s);
        o.span.end();
        if (metrics != null) metrics.request(s);
        stats.request(s);
        if (accessLog != null) accessLog.request(s);
        if (o.sampled && s.answered() && s.answer() != null) onlineJudge.submit(o, s);
    }

    void attemptEnded(Observation o, Attempt a) {
        if (a.busyNanos > 0) stats.generationTime(a.busyNanos);
        if (metrics == null) return;
        String error = a.errorType != null ? a.errorType : a.won || a.outputTokens != null ? null : "cancelled";
        metrics.attempt(o.operation, a.target.provider(), a.target.model(), a.responseModel, error, a.endNanos - a.startNanos,
                a.inputTokens, a.outputTokens, a.busyNanos, a.queuedNanos);
    }

    boolean sample(String name) {
        JudgingConfig.RouteJudge j = config.judging().routes().get(name);
        return j != null && j.sampleRate() > 0 && random.getAsDouble() < j.sampleRate();
    }

    boolean logContent() {
        return accessLog != null && accessLog.logsContent();
    }

    AccessLog accessLog() {
        return accessLog;
    }

    private RequestSummary summarize(Observation o, int status) {
        List<Attempt> attempts;
        synchronized (o.attempts) {
            attempts = new ArrayList<>(o.attempts);
        }
        Attempt winner = attempts.stream().filter(a -> a.won).findFirst().orElse(null);
        List<RequestSummary.Link> chain = new ArrayList<>();
        for (Attempt a : attempts) {
            String result = a == winner ? "answered" : a.errorType != null ? "failed" : "stopped";
            chain.add(new RequestSummary.Link(a.label(), result, a.errorType, a.upstreamCalls));
        }
        String outcome;
        if (o.blockedBy != null) outcome = RequestSummary.BLOCKED;
        else if (o.errorType != null) outcome = o.errorType;
        else if (status >= 400) outcome = "http_" + status;
        else if (winner != null && winner.errorType != null) outcome = winner.errorType; // broke off after content
        else outcome = attempts.size() > 1 ? RequestSummary.FALLBACK : RequestSummary.OK;
        String traceId = o.span.getSpanContext().isValid() ? o.span.getSpanContext().getTraceId() : null;
        boolean content = logContent() || o.sampled;
        long now = System.nanoTime();
        return new RequestSummary(o.requestId, traceId, o.method, o.path, status, o.known ? o.model : null, o.stream, o.operation,
                winner == null ? null : winner.label(), winner == null ? null : winner.target.provider(),
                winner == null ? null : winner.responseModel, outcome, o.blockedBy != null ? "guardrail:" + o.blockedBy : o.errorType,
                winner == null ? null : winner.inputTokens, winner == null ? null : winner.outputTokens,
                winner == null || winner.firstContentNanos == 0 ? null : winner.firstContentNanos - o.startNanos,
                winner == null || winner.tpotNanos < 0 ? null : winner.tpotNanos, now - o.startNanos,
                winner == null ? null : winner.cost, chain, o.guardEvents(),
                content ? prompt(o.body, o.chat) : null, content && winner != null ? (o.delivered != null ? o.delivered : winner.text) : null,
                o.user, o.session);
    }

    /** The request's input as text: its messages ("role: content" lines) or its prompt. */
    static String prompt(JsonNode body, boolean chat) {
        if (body == null) return null;
        if (!chat) return body.path("prompt").isTextual() ? body.path("prompt").asText() : body.path("prompt").toString();
        StringBuilder sb = new StringBuilder();
        for (JsonNode m : body.path("messages")) {
            if (!sb.isEmpty()) sb.append('\n');
            JsonNode c = m.path("content");
            sb.append(m.path("role").asText()).append(": ").append(c.isTextual() ? c.asText() : c.toString());
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (judges != null) judges.close();
        tracing.close();
        if (accessLog != null) accessLog.close();
        if (metrics != null) metrics.close();
    }
}
