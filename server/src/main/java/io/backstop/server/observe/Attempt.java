package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Timings;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.route.Gate;
import io.backstop.server.route.UpstreamFailure;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * One target of a request at work: a remote provider's answer (with its retries) or a local generation.
 * It is current (in the OpenTelemetry context) on the thread that runs the target, so the dispatch code
 * reaches it with {@link #current()} instead of passing it along; the scheduler's thread inherits that
 * context. Written by the target's thread, read by the request's once the route has ended.
 */
public final class Attempt implements AutoCloseable {
    private static final ContextKey<Attempt> KEY = ContextKey.named("backstop.attempt");
    /** What the dispatch sees when nothing observes the request. */
    public static final Attempt NONE = new Attempt();
    public static final String COST_HEADER = "X-Backstop-Cost-USD";

    private final Observation request;
    final RouteConfig.Target target;
    final long startNanos;
    private final Span span;
    private final Scope scope;

    volatile boolean won;
    volatile String errorType;
    int upstreamCalls;
    Integer inputTokens;
    Integer outputTokens;
    int cachedTokens;
    long firstContentNanos;
    long tpotNanos = -1;
    long busyNanos;
    long queuedNanos = -1;
    long endNanos;
    String responseModel;
    String finishReason;
    Double cost;
    String text;

    private Attempt() {
        request = null;
        target = new RouteConfig.Target("none", "none", null, null);
        startNanos = 0;
        span = Span.getInvalid();
        scope = Scope.noop();
    }

    Attempt(Observation request, RouteConfig.Target target) {
        this.request = request;
        this.target = target;
        this.startNanos = System.nanoTime();
        this.span = request.owner.tracing.tracer().spanBuilder("route.attempt " + target.label()).setParent(request.context)
                .setAttribute("backstop.target", target.label())
                .setAttribute(GenAi.A_PROVIDER, target.provider())
                .setAttribute(GenAi.A_REQUEST_MODEL, target.model()).startSpan();
        this.scope = Context.current().with(span).with(KEY, this).makeCurrent();
    }

    /** The attempt running on this thread, or {@link #NONE}. */
    public static Attempt current() {
        Attempt a = Context.current().get(KEY);
        return a == null ? NONE : a;
    }

    boolean active() {
        return request != null;
    }

    public String label() {
        return target.label();
    }

    /** The gate, remembering when this attempt wins it. */
    public Gate watch(Gate gate) {
        if (!active()) return gate;
        return gate.then(() -> won = true);
    }

    /** Why this target gave no answer (or broke off): a low-cardinality {@code error.type}. */
    public void failed(Throwable t) {
        if (!active() || t == null) return;
        errorType = ErrorTypes.of(t);
        span.recordException(t);
        span.setStatus(StatusCode.ERROR, errorType);
    }

    /** An error the target itself answered with mid-stream (the client got an error event). */
    public void brokeOff(String type) {
        if (!active()) return;
        errorType = type;
        span.setStatus(StatusCode.ERROR, type);
    }

    // ---- remote ----

    /** One HTTP call to the provider (retries make several), as a client span whose context goes upstream as {@code traceparent}. */
    public <T> T call(Supplier<T> exchange) {
        if (!active()) return exchange.get();
        upstreamCalls++;
        Span call = request.owner.tracing.tracer().spanBuilder(request.operation + " " + target.model()).setSpanKind(SpanKind.CLIENT)
                .setAttribute(GenAi.A_OPERATION, request.operation).setAttribute(GenAi.A_PROVIDER, target.provider())
                .setAttribute(GenAi.A_REQUEST_MODEL, target.model()).startSpan();
        try (Scope ignored = call.makeCurrent()) {
            return exchange.get();
        } catch (UpstreamFailure f) {
            call.setAttribute(GenAi.A_ERROR_TYPE, ErrorTypes.of(f));
            if (f.status() > 0) call.setAttribute("http.response.status_code", f.status());
            call.setStatus(StatusCode.ERROR, f.getMessage());
            throw f;
        } finally {
            call.end();
        }
    }

    /** The provider's first content arrived (streams: the first event with text; whole answers: the answer). */
    public void firstContent() {
        if (active() && firstContentNanos == 0) firstContentNanos = System.nanoTime();
    }

    /** A whole remote answer: its usage, model and (when wanted) text; returns its cost (null when unpriced). */
    public Double answered(JsonNode answer) {
        if (!active()) return null;
        firstContent();
        usage(answer.path("usage"));
        responseModel = answer.path("model").asText(null);
        JsonNode c = answer.path("choices").path(0);
        finishReason = c.path("finish_reason").asText(null);
        if (request.wantsText()) text = c.has("message") ? c.path("message").path("content").asText("") : c.path("text").asText("");
        return cost;
    }

    /** A provider's usage object: tokens, cached prompt tokens, and the cost they come to. */
    public Double usage(JsonNode usage) {
        if (!active() || usage == null || !usage.isObject()) return null;
        if (usage.has("prompt_tokens")) inputTokens = usage.path("prompt_tokens").asInt();
        if (usage.has("completion_tokens")) outputTokens = usage.path("completion_tokens").asInt();
        cachedTokens = usage.path("prompt_tokens_details").path("cached_tokens").asInt(0);
        cost = request.owner.prices.remote(target.provider(), target.model(), inputTokens, outputTokens, cachedTokens);
        return cost;
    }

    /** Watches a relayed stream (see {@link StreamTap}). */
    public StreamTap tap() {
        return active() ? new StreamTap(this, request.chat, request.wantsText()) : StreamTap.NONE;
    }

    void streamEnded(int events, long lastEventNanos, String collected, String model, String finish) {
        if (outputTokens == null) outputTokens = Math.max(0, events); // no usage from the provider: one token per content event
        if (outputTokens > 1 && firstContentNanos > 0 && lastEventNanos > firstContentNanos) {
            tpotNanos = (lastEventNanos - firstContentNanos) / (outputTokens - 1);
        }
        if (collected != null) text = collected;
        if (model != null) responseModel = model;
        if (finish != null) finishReason = finish;
    }

    /** {@code X-Backstop-Cost-USD} on a whole answer, when its cost is known. */
    public void costHeader(BiConsumer<String, String> header) {
        if (active() && cost != null) header.accept(COST_HEADER, usd(cost));
    }

    /** A streamed local answer's usage chunk, with {@code usage.cost_usd} (the header went out before the cost was known). */
    public ObjectNode withCost(ObjectNode usageChunk, List<GenerationResult> results) {
        Double c = localCost(results);
        if (c != null && usageChunk.path("usage") instanceof ObjectNode u) u.put("cost_usd", c);
        return usageChunk;
    }

    /** USD as a plain decimal (no exponent), to 10 places. */
    public static String usd(double cost) {
        return new java.math.BigDecimal(cost).setScale(10, java.math.RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    // ---- local ----

    /** A local answer's cost: the generations' busy time × compute threads at the CPU-hour price. */
    public Double localCost(List<GenerationResult> results) {
        if (!active()) return null;
        long busy = 0;
        for (GenerationResult r : results) busy += busyNanos(r.timings());
        return request.owner.prices.local(busy, request.owner.threads);
    }

    /** The local generations of this attempt (several with n or several prompts), with their timings as spans. */
    public void generated(String model, List<GenerationResult> results) {
        if (!active() || results.isEmpty()) return;
        int in = 0, out = 0;
        long busy = 0, decode = 0, decoded = 0, firstToken = Long.MAX_VALUE;
        for (GenerationResult r : results) {
            in += r.usage().promptTokens();
            out += r.usage().completionTokens();
            Timings t = r.timings();
            busy += busyNanos(t);
            queuedNanos = Math.max(queuedNanos, t.queuedNanos());
            decode += t.decodeNanos();
            decoded += t.decodedTokens();
            if (t.timeToFirstTokenNanos() > 0) firstToken = Math.min(firstToken, t.queuedNanos() + t.timeToFirstTokenNanos());
        }
        inputTokens = in;
        outputTokens = out;
        busyNanos = busy;
        responseModel = model;
        finishReason = results.get(0).finishReason().name().toLowerCase(java.util.Locale.ROOT);
        if (firstToken != Long.MAX_VALUE) firstContentNanos = startNanos + firstToken;
        if (decoded > 0) tpotNanos = decode / decoded;
        cost = request.owner.prices.local(busy, request.owner.threads);
        if (request.wantsText()) text = results.get(0).text();
        phaseSpans(model, results.get(0).timings());
    }

    private static long busyNanos(Timings t) {
        return t.prefillNanos() + Math.max(0, t.timeToFirstTokenNanos() - t.prefillNanos()) + t.decodeNanos();
    }

    /** queue → prefill → decode as child spans, placed in time from the engine's timings (nothing is traced per token). */
    private void phaseSpans(String model, Timings t) {
        if (!request.owner.tracing.enabled()) return;
        long epochStart = request.epochNanos(startNanos);
        Span gen = request.owner.tracing.tracer().spanBuilder("generate " + model).setParent(Context.current().with(span))
                .setAttribute(GenAi.A_OPERATION, request.operation).setAttribute(GenAi.A_PROVIDER, target.provider())
                .setAttribute(GenAi.A_REQUEST_MODEL, model).setAttribute(GenAi.A_RESPONSE_MODEL, model)
                .setAttribute(GenAi.A_INPUT_TOKENS, (long) inputTokens).setAttribute(GenAi.A_OUTPUT_TOKENS, (long) outputTokens)
                .setStartTimestamp(epochStart, TimeUnit.NANOSECONDS).startSpan();
        Context parent = Context.current().with(gen);
        long queued = epochStart + t.queuedNanos();
        phase(parent, "queue", epochStart, queued);
        phase(parent, "prefill", queued, queued + t.prefillNanos());
        long decodeStart = queued + t.timeToFirstTokenNanos();
        if (t.decodeNanos() > 0) phase(parent, "decode", decodeStart, decodeStart + t.decodeNanos());
        gen.end(Math.max(decodeStart + t.decodeNanos(), queued + t.prefillNanos()), TimeUnit.NANOSECONDS);
    }

    private void phase(Context parent, String name, long from, long to) {
        request.owner.tracing.tracer().spanBuilder(name).setParent(parent).setStartTimestamp(from, TimeUnit.NANOSECONDS)
                .startSpan().end(to, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        if (!active()) return;
        endNanos = System.nanoTime();
        if (inputTokens != null) span.setAttribute(GenAi.A_INPUT_TOKENS, (long) inputTokens);
        if (outputTokens != null) span.setAttribute(GenAi.A_OUTPUT_TOKENS, (long) outputTokens);
        if (responseModel != null) span.setAttribute(GenAi.A_RESPONSE_MODEL, responseModel);
        if (finishReason != null) span.setAttribute(GenAi.A_FINISH_REASONS, List.of(finishReason));
        if (cost != null) span.setAttribute(GenAi.A_COST, cost);
        span.setAttribute("backstop.attempt.won", won);
        if (errorType != null) span.setAttribute(GenAi.A_ERROR_TYPE, errorType);
        span.end();
        scope.close();
        request.owner.attemptEnded(request, this);
    }

    public String errorType() {
        return errorType;
    }
}
