package io.backstop.server.config;

import java.net.URI;
import java.time.Duration;

/**
 * A remote OpenAI-compatible API.
 *
 * @param apiKeyEnv      environment variable holding the key (never the key itself), or null for none
 * @param connectTimeout TCP connect
 * @param firstByteTimeout request sent → response headers
 * @param idleTimeout    longest silence between stream chunks
 * @param deadline       whole request, retries and backoff included
 * @param passExtras     forward top_k / min_p / repetition_penalty (OpenAI itself rejects them)
 */
public record ProviderConfig(String name, URI baseUrl, String apiKeyEnv, Duration connectTimeout, Duration firstByteTimeout,
                             Duration idleTimeout, Duration deadline, RetryPolicy retry, BreakerPolicy breaker, boolean passExtras) {

    /** Exponential backoff with full jitter: wait = random(0, min(max, initial · 2^(attempt−1))), at least Retry-After. */
    public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        public static RetryPolicy defaults() {
            return new RetryPolicy(3, Duration.ofMillis(250), Duration.ofSeconds(4));
        }
    }

    /** Opens on a failure rate over the last {@code window} calls, or on consecutive failures. */
    public record BreakerPolicy(int failureRatePercent, int window, int minimumCalls, int consecutiveFailures,
                                Duration openFor, int halfOpenCalls) {
        public static BreakerPolicy defaults() {
            return new BreakerPolicy(50, 20, 10, 5, Duration.ofSeconds(30), 1);
        }
    }

    public static ProviderConfig of(String name, URI baseUrl, String apiKeyEnv) {
        return new ProviderConfig(name, baseUrl, apiKeyEnv, Duration.ofSeconds(3), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(120), RetryPolicy.defaults(), BreakerPolicy.defaults(), false);
    }
}
