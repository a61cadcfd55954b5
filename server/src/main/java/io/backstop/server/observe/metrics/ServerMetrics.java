package io.backstop.server.observe.metrics;

import io.backstop.server.observe.GenAi;
import io.backstop.server.observe.RequestSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's meters in one Micrometer registry, exposed as Prometheus text: the OpenTelemetry GenAI
 * instruments with the conventions' bucket boundaries, Backstop's own counters, and JVM and process
 * metrics. Recorded once per request or attempt, never per token.
 */
public final class ServerMetrics implements AutoCloseable {
    // the conventions' boundaries as Micrometer takes them, made once (meters are looked up per request)
    private static final Duration[] DURATION_SLOS = durations(GenAi.DURATION_BUCKETS);
    private static final Duration[] TTFT_SLOS = durations(GenAi.TTFT_BUCKETS);
    private static final Duration[] TPOT_SLOS = durations(GenAi.TPOT_BUCKETS);
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final AtomicInteger active = new AtomicInteger();

    public ServerMetrics() {
        // two of Micrometer's process meters break Prometheus' naming rules (promtool check metrics): the CPU time in
        // nanoseconds ("ns" unit suffix; process_cpu_usage says the same) and a gauge ending in _count
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("backstop.requests.active", active, AtomicInteger::get).description("API requests being served now").register(registry);
    }

    /** An API request started (see {@link #ended()}). */
    public void started() {
        active.incrementAndGet();
    }

    public void ended() {
        active.decrementAndGet();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition (format 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** A request Backstop served (the model-server view: {@code gen_ai.server.*}) and its outcome. */
    public void request(RequestSummary s) {
        Counter.builder("backstop.http.responses").description("HTTP responses by status code")
                .tag("status", Integer.toString(s.status())).register(registry).increment();
        for (var g : s.guard()) {
            Counter.builder("backstop.guardrail.decisions").description("Guardrail checks that fired, by route, stage, check and action (block, redact, flag)")
                    .tags("route", s.route() == null ? "none" : s.route(), "stage", g.stage(), "check", g.check(), "action", g.action())
                    .register(registry).increment();
        }
        if (s.route() == null) return;
        String target = s.target() == null ? "none" : s.target();
        Counter.builder("backstop.requests").description("Model requests by route, the target that answered, and outcome (ok, fallback, blocked or the error type)")
                .tags("route", s.route(), "target", target, "outcome", s.outcome()).register(registry).increment();
        for (int i = 1; i < s.chain().size(); i++) {
            Counter.builder("backstop.fallbacks").description("A route moved on from one target to the next (failure or hedge)")
                    .tags("route", s.route(), "from", s.chain().get(i - 1).target(), "to", s.chain().get(i).target()).register(registry).increment();
        }
        if (s.cost() != null && s.cost() > 0) {
            Counter.builder("backstop.cost.usd").description("Cost of answers in USD (price table and local CPU-hour price)")
                    .tags("route", s.route(), "target", target).register(registry).increment(s.cost());
        }
        Tags gen = Tags.of(GenAi.OPERATION, s.operation(), GenAi.PROVIDER, s.provider() == null ? "none" : s.provider(),
                GenAi.REQUEST_MODEL, s.route(), GenAi.RESPONSE_MODEL, s.responseModel() == null ? "" : s.responseModel(),
                GenAi.ERROR_TYPE, s.answered() ? "" : s.outcome());
        seconds("gen_ai.server.request.duration", "Generative AI server request duration (time to the last byte)", DURATION_SLOS, gen)
                .record(s.durationNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        if (!s.answered()) return;
        Tags ok = Tags.of(GenAi.OPERATION, s.operation(), GenAi.PROVIDER, s.provider(), GenAi.REQUEST_MODEL, s.route(),
                GenAi.RESPONSE_MODEL, s.responseModel() == null ? "" : s.responseModel());
        if (s.ttftNanos() != null) {
            seconds("gen_ai.server.time_to_first_token", "Time to generate the first token", TTFT_SLOS, ok)
                    .record(s.ttftNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        if (s.tpotNanos() != null) {
            seconds("gen_ai.server.time_per_output_token", "Time per output token after the first", TPOT_SLOS, ok)
                    .record(s.tpotNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * One target's call as the router, a client of each provider (local models included), sees it:
     * {@code gen_ai.client.operation.duration} and {@code gen_ai.client.token.usage}.
     */
    public void attempt(String operation, String provider, String model, String responseModel, String errorType, long nanos,
                        Integer inputTokens, Integer outputTokens, long localBusyNanos, long localQueuedNanos) {
        Tags t = Tags.of(GenAi.OPERATION, operation, GenAi.PROVIDER, provider, GenAi.REQUEST_MODEL, model,
                GenAi.RESPONSE_MODEL, responseModel == null ? "" : responseModel);
        seconds("gen_ai.client.operation.duration", "GenAI operation duration per target attempt", DURATION_SLOS,
                t.and(GenAi.ERROR_TYPE, errorType == null ? "" : errorType)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (localQueuedNanos >= 0) {
            seconds("backstop.generation.queue", "Time a local generation waited for a slot before its prefill", TTFT_SLOS, Tags.of("model", model))
                    .record(localQueuedNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        if (errorType != null) return;
        if (inputTokens != null) tokens(t, "input").record(inputTokens);
        if (outputTokens != null) tokens(t, "output").record(outputTokens);
        if (outputTokens != null && localBusyNanos > 0) {
            DistributionSummary.builder("backstop.generation.tokens.per.second").description("Local generation speed (output tokens over busy time)")
                    .tags("model", model).serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
                    .register(registry).record(outputTokens * 1e9 / localBusyNanos);
        }
    }

    private DistributionSummary tokens(Tags t, String type) {
        return DistributionSummary.builder("gen_ai.client.token.usage").description("Number of input and output tokens used")
                .tags(t.and(GenAi.TOKEN_TYPE, type)).serviceLevelObjectives(GenAi.TOKEN_BUCKETS).register(registry);
    }

    private Timer seconds(String name, String description, Duration[] buckets, Tags tags) {
        return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(buckets).register(registry);
    }

    private static Duration[] durations(double[] seconds) {
        return Arrays.stream(seconds).mapToObj(s -> Duration.ofNanos((long) (s * 1e9))).toArray(Duration[]::new);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
