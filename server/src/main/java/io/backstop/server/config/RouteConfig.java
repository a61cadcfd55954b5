package io.backstop.server.config;

import java.time.Duration;
import java.util.List;

/**
 * A public model name served by an ordered chain of targets: the first that answers wins.
 *
 * @param fallbackAfter hedging: when a remote target has sent no content after this long, the next target
 *                      starts beside it and the first with content answers; null = off
 * @param maxRetryWait  the longest Retry-After worth waiting for before retrying the same provider; a longer
 *                      one moves on to the next target at once and cools the provider down
 */
public record RouteConfig(String name, List<Target> targets, Duration fallbackAfter, Duration maxRetryWait) {
    /** Hedge after this long by default when the chain ends with a local model: above the time to first
     * token of hosted APIs in normal operation, low enough that a stalled provider costs little. */
    public static final Duration DEFAULT_FALLBACK_AFTER = Duration.ofMillis(2000);
    public static final Duration DEFAULT_MAX_RETRY_WAIT = Duration.ofMillis(500);

    public RouteConfig {
        targets = List.copyOf(targets);
        if (maxRetryWait == null) maxRetryWait = DEFAULT_MAX_RETRY_WAIT;
        if (fallbackAfter != null && !fallbackAfter.isPositive()) fallbackAfter = null;
    }

    /** With the defaults: hedging on when the last target is local (a local answer costs nothing), else off. */
    public RouteConfig(String name, List<Target> targets) {
        this(name, targets, defaultFallbackAfter(targets), DEFAULT_MAX_RETRY_WAIT);
    }

    public static Duration defaultFallbackAfter(List<Target> targets) {
        return !targets.isEmpty() && targets.get(targets.size() - 1).isLocal() ? DEFAULT_FALLBACK_AFTER : null;
    }

    /**
     * One link of the chain.
     *
     * @param provider a provider's name, or {@link #LOCAL} for a model this server loads
     * @param model    the model name at that provider (for local: the local model's name)
     */
    public record Target(String provider, String model, Integer maxTokens, Double temperature) {
        public static final String LOCAL = "local";

        public boolean isLocal() {
            return LOCAL.equals(provider);
        }

        public String label() {
            return provider + ":" + model;
        }
    }
}
