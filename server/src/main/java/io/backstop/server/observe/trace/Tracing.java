package io.backstop.server.observe.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * OpenTelemetry for the server: spans and the {@code gen_ai.evaluation.result} log events. Off by default
 * (no SDK, no exporter, nothing recorded); on with {@code tracing.enabled: true} or when the standard
 * {@code OTEL_*} variables ask for a traces exporter, then configured by the SDK's autoconfigure from
 * {@code OTEL_*} (OTLP over HTTP/protobuf by default). A client's W3C {@code traceparent} is continued
 * and passed to upstream providers either way: with tracing off, their trace simply flows through.
 */
public final class Tracing implements AutoCloseable {
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<HttpServletRequest> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpServletRequest r) {
            return Collections.list(r.getHeaderNames());
        }

        @Override
        public String get(HttpServletRequest r, String key) {
            return r == null ? null : r.getHeader(key);
        }
    };

    private final OpenTelemetry otel;
    private final OpenTelemetrySdk owned;
    private final boolean enabled;
    private final Tracer tracer;
    private final Logger events;

    private Tracing(OpenTelemetry otel, OpenTelemetrySdk owned, boolean enabled) {
        this.otel = otel;
        this.owned = owned;
        this.enabled = enabled;
        this.tracer = otel.getTracer("io.backstop.server");
        this.events = otel.getLogsBridge().get("io.backstop.server");
    }

    public static Tracing off() {
        return new Tracing(OpenTelemetry.noop(), null, false);
    }

    /** Tracing through the given OpenTelemetry (tests pass an SDK with an in-memory exporter). */
    public static Tracing of(OpenTelemetry otel) {
        return new Tracing(otel, null, true);
    }

    /** On when the configuration or the environment asks for it; the SDK then reads every OTEL_* variable itself. */
    public static Tracing fromEnvironment(boolean configured, Map<String, String> env) {
        if (!wanted(configured, env)) return off();
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of( // defaults; OTEL_* variables and -Dotel.* override them
                        "otel.service.name", "backstop",
                        "otel.exporter.otlp.protocol", "http/protobuf",
                        "otel.metrics.exporter", "none", // metrics are scraped from /metrics
                        "otel.logs.exporter", "none"))
                .addPropertiesCustomizer(props -> properties(env)) // the environment given (the process's own in production) wins
                .disableShutdownHook()
                .build().getOpenTelemetrySdk();
        return new Tracing(sdk, sdk, true);
    }

    /** OTEL_EXPORTER_OTLP_ENDPOINT=… as the SDK's property otel.exporter.otlp.endpoint=…. */
    static Map<String, String> properties(Map<String, String> env) {
        Map<String, String> p = new java.util.HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("OTEL_")) p.put(k.toLowerCase(java.util.Locale.ROOT).replace('_', '.'), v);
        });
        return p;
    }

    /** The configuration said so, or an OTEL_* variable names a traces exporter or an OTLP endpoint; OTEL_SDK_DISABLED wins. */
    static boolean wanted(boolean configured, Map<String, String> env) {
        if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "").trim())) return false;
        String exporter = env.getOrDefault("OTEL_TRACES_EXPORTER", "").trim();
        if (exporter.equalsIgnoreCase("none")) return false;
        return configured || !exporter.isEmpty() || env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT") || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    }

    public boolean enabled() {
        return enabled;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** Where OpenTelemetry log events go ({@code gen_ai.evaluation.result}); a no-op unless OTEL_LOGS_EXPORTER is set. */
    public Logger events() {
        return events;
    }

    /** The client's trace context from its {@code traceparent} header (the root context when it sent none or a malformed one). */
    public static Context extract(HttpServletRequest request) {
        return W3C.extract(Context.root(), request, HEADERS);
    }

    /** Writes the current trace context as {@code traceparent} (and {@code tracestate}) headers for an upstream call. */
    public static void inject(BiConsumer<String, String> header) {
        W3C.inject(Context.current(), header, (carrier, k, v) -> carrier.accept(k, v));
    }

    @Override
    public void close() {
        if (owned != null) owned.close(); // flushes what is still batched
    }
}
