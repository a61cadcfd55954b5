package io.backstop.server.route;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;

/**
 * A provider's health as routing sees it: its breaker state and the cool-down left.
 *
 * @param cooldownUntil when the cool-down ends, null when none is running
 */
public record ProviderStatus(String name, CircuitBreaker.State breaker, Duration cooldownLeft, Instant cooldownUntil) {
    /** Whether a request now would call this provider (a half-open breaker lets probes through). */
    public boolean available() {
        return cooldownLeft.isZero() && breaker != CircuitBreaker.State.OPEN && breaker != CircuitBreaker.State.FORCED_OPEN;
    }
}
