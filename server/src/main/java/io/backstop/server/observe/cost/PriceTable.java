package io.backstop.server.observe.cost;

import java.util.Map;

/**
 * What answers cost: a price per million tokens for each remote {@code provider:model} (input, output,
 * and optionally cached input), and for local models a price per CPU-hour charged for the measured
 * generation time (prefill + decode, queueing excluded) times the compute threads.
 *
 * @param models          by target label, e.g. {@code openai:gpt-4o-mini}
 * @param localCpuHourUsd price of one CPU core for one hour; 0 makes local answers free
 */
public record PriceTable(Map<String, Price> models, double localCpuHourUsd) {
    /**
     * @param cachedInputPerMillion the price of prompt tokens the provider served from its cache; null =
     *                              the input price
     */
    public record Price(double inputPerMillion, double outputPerMillion, Double cachedInputPerMillion) {}

    public PriceTable {
        models = Map.copyOf(models);
    }

    public static PriceTable none() {
        return new PriceTable(Map.of(), 0);
    }

    public Price price(String provider, String model) {
        return models.get(provider + ":" + model);
    }

    /**
     * A remote answer's cost in USD, or null when the model has no price or the provider reported no usage.
     *
     * @param cachedTokens prompt tokens the provider read from its cache (part of {@code inputTokens})
     */
    public Double remote(String provider, String model, Integer inputTokens, Integer outputTokens, int cachedTokens) {
        Price p = price(provider, model);
        if (p == null || inputTokens == null || outputTokens == null) return null;
        int cached = Math.min(Math.max(0, cachedTokens), inputTokens);
        double cachedPrice = p.cachedInputPerMillion() == null ? p.inputPerMillion() : p.cachedInputPerMillion();
        return ((inputTokens - cached) * p.inputPerMillion() + cached * cachedPrice + outputTokens * p.outputPerMillion()) / 1e6;
    }

    /** A local generation's cost: busy nanoseconds × threads at the CPU-hour price. */
    public double local(long busyNanos, int threads) {
        return busyNanos / 3.6e12 * threads * localCpuHourUsd;
    }
}
