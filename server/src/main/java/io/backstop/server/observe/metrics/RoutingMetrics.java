package io.backstop.server.observe.metrics;

import io.backstop.engine.Model;
import io.backstop.engine.ModelStats;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.ProviderGuard;
import io.backstop.server.route.RemoteProvider;
import io.backstop.server.route.RouteTable;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * Meters read at scrape time from the routing and the engine: circuit breakers (Resilience4j's own
 * binder over the breakers' registry), retries, cool-downs and 429s per provider, and per local model its
 * scheduler's figures ({@link Model#stats()}: running, queued, and — once the batching scheduler fills
 * them in — batch size, KV blocks and prefix-cache hits; 0 until then).
 */
public final class RoutingMetrics {
    private RoutingMetrics() {}

    public static void bind(MeterRegistry registry, RouteTable routes, ModelRegistry models) {
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(routes.breakers()).bindTo(registry);
        for (RemoteProvider p : routes.providers()) {
            ProviderGuard g = p.guard();
            FunctionCounter.builder("backstop.upstream.retries", g, ProviderGuard::retries).description("Calls to a provider made again after a retryable failure")
                    .tag("provider", p.name()).register(registry);
            FunctionCounter.builder("backstop.provider.cooldowns", g, ProviderGuard::cooldowns)
                    .description("Cool-downs started because a provider asked for a pause longer than the route waits").tag("provider", p.name()).register(registry);
            FunctionCounter.builder("backstop.upstream.rate.limited", g, ProviderGuard::rateLimited).description("429 answers from a provider")
                    .tag("provider", p.name()).register(registry);
            Gauge.builder("backstop.provider.cooldown.remaining.seconds", g, x -> x.status().cooldownLeft().toMillis() / 1000.0)
                    .description("Time left in a provider's cool-down (0 when none)").tag("provider", p.name()).register(registry);
        }
        for (String name : models.names()) {
            gauge(registry, models, name, "backstop.generations.running", "Generations running now", ModelStats::running);
            gauge(registry, models, name, "backstop.queue.depth", "Generations waiting for a slot", ModelStats::waiting);
            gauge(registry, models, name, "backstop.generations.max.running", "Generation slots (max_in_flight)", ModelStats::maxRunning);
            gauge(registry, models, name, "backstop.batch.size", "Rows (decode + prompt tokens) of the last batch step (0 without continuous batching)", ModelStats::batchSize);
            gauge(registry, models, name, "backstop.kv.blocks.used", "KV-cache blocks in use (0 without block-managed KV memory)", s -> s.kvBlocksUsed());
            gauge(registry, models, name, "backstop.kv.blocks.free", "KV-cache blocks free", s -> s.kvBlocksFree());
            gauge(registry, models, name, "backstop.kv.memory.used.bytes", "KV-cache memory in use", s -> s.kvBlocksUsed() * s.kvBlockBytes());
            FunctionCounter.builder("backstop.prefix.cache.hits", models, m -> stat(m, name, s -> s.prefixCacheHits()))
                    .description("Prompts that reused a cached prefix").tag("model", name).register(registry);
            FunctionCounter.builder("backstop.prefix.cache.tokens.saved", models, m -> stat(m, name, s -> s.prefixCacheTokensSaved()))
                    .description("Prompt tokens not recomputed thanks to the prefix cache").tag("model", name).register(registry);
        }
    }

    private static void gauge(MeterRegistry registry, ModelRegistry models, String name, String meter, String help, ToDoubleFunction<ModelStats> f) {
        Gauge.builder(meter, models, m -> stat(m, name, f)).description(help).tag("model", name).register(registry);
    }

    /** A model that is still loading reads 0. */
    private static double stat(ModelRegistry models, String name, ToDoubleFunction<ModelStats> f) {
        Model m = models.loaded(name);
        return m == null ? 0 : f.applyAsDouble(m.stats());
    }
}
