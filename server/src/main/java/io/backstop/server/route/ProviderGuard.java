package io.backstop.server.route;

import io.backstop.server.config.ProviderConfig;
import io.backstop.server.route.UpstreamFailure.Kind;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Resilience for one provider, built on Resilience4j: a circuit breaker (failure rate over a window,
 * or N consecutive failures; half-open probes; closes on success) and retries of retryable failures
 * only, with exponential backoff and full jitter, at least the provider's Retry-After, never past the
 * request's deadline. An open breaker fails a call at once, without touching the network.
 */
public final class ProviderGuard {
    /** Don't start an attempt with less time left than this. */
    static final Duration MIN_ATTEMPT_TIME = Duration.ofMillis(20);

    private final String provider;
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final ProviderConfig.RetryPolicy policy;
    private final int consecutiveLimit;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final DoubleSupplier jitter;

    public ProviderGuard(ProviderConfig config, DoubleSupplier jitter) {
        this.provider = config.name();
        this.policy = config.retry();
        this.jitter = jitter;
        ProviderConfig.BreakerPolicy b = config.breaker();
        this.consecutiveLimit = b.consecutiveFailures();
        this.breaker = CircuitBreaker.of(provider, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.window())
                .minimumNumberOfCalls(Math.min(b.minimumCalls(), b.window()))
                .failureRateThreshold(b.failureRatePercent())
                .waitDurationInOpenState(b.openFor())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(false) // half-open on the next call after the wait
                .build());
        this.retry = Retry.of(provider, RetryConfig.custom()
                .maxAttempts(policy.maxAttempts())
                .retryOnException(e -> e instanceof UpstreamFailure u && u.retryable() && hasTimeFor(u))
                .intervalBiFunction((attempt, either) -> backoff(attempt, (UpstreamFailure) either.getLeft()).toMillis())
                .build());
    }

    /** Runs attempts until one succeeds, a failure is not worth retrying, attempts run out or time does. */
    public <T> T call(Deadline deadline, Supplier<T> attempt) {
        Supplier<T> guarded = () -> once(deadline, attempt);
        return Retry.decorateSupplier(retry, guarded).get();
    }

    private <T> T once(Deadline deadline, Supplier<T> attempt) {
        if (!breaker.tryAcquirePermission()) {
            throw new UpstreamFailure(provider, Kind.BREAKER_OPEN, 0, null, deadline, provider + " skipped: its circuit breaker is open");
        }
        long start = System.nanoTime();
        try {
            T result = attempt.get();
            breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            consecutiveFailures.set(0);
            return result;
        } catch (UpstreamFailure f) {
            if (f.providerFault()) recordFailure(System.nanoTime() - start, f);
            else breaker.releasePermission(); // a client error says nothing about the provider's health
            throw f;
        }
    }

    /** A failure after a stream had started: the provider is unhealthy even though the call "succeeded". */
    public void recordFailure(long nanos, Throwable t) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, t);
        if (consecutiveFailures.incrementAndGet() >= consecutiveLimit && breaker.getState() == CircuitBreaker.State.CLOSED) {
            breaker.transitionToOpenState();
        }
    }

    private boolean hasTimeFor(UpstreamFailure u) {
        Duration floor = u.retryAfter() == null ? Duration.ZERO : u.retryAfter();
        return u.deadline().remaining().compareTo(floor.plus(MIN_ATTEMPT_TIME)) > 0;
    }

    /** Full jitter: random(0, min(max, initial · 2^(attempt−1))); at least Retry-After; never past the deadline. */
    Duration backoff(int attempt, UpstreamFailure u) {
        long ceiling = Math.min(policy.maxBackoff().toMillis(), policy.initialBackoff().toMillis() << Math.min(30, attempt - 1));
        long wait = (long) (jitter.getAsDouble() * ceiling);
        if (u.retryAfter() != null) wait = Math.max(wait, u.retryAfter().toMillis());
        long room = u.deadline().remaining().minus(MIN_ATTEMPT_TIME).toMillis();
        return Duration.ofMillis(Math.max(0, Math.min(wait, room)));
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }
}
