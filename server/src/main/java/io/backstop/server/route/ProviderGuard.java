package io.backstop.server.route;

import io.backstop.server.config.ProviderConfig;
import io.backstop.server.route.UpstreamFailure.Kind;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Resilience for one provider: a Resilience4j circuit breaker (failure rate over a window, or N
 * consecutive failures; half-open probes; closes on success), a cool-down when the provider asks for a
 * pause longer than the route will wait, and retries of retryable failures only, with exponential
 * backoff and full jitter, at least the provider's Retry-After, never past the request's deadline. An
 * open breaker or a cool-down fails a call at once, without touching the network.
 *
 * <p>The retry loop is ours rather than Resilience4j's Retry: that one sleeps through a JVM-wide static
 * function, so its waits could not follow the injected {@link RouteClock}.
 */
public final class ProviderGuard {
    /** Don't start an attempt with less time left than this. */
    static final Duration MIN_ATTEMPT_TIME = Duration.ofMillis(20);

    private final String provider;
    private final CircuitBreaker breaker;
    private final Cooldown cooldown;
    private final RouteClock clock;
    private final ProviderConfig.RetryPolicy policy;
    private final int consecutiveLimit;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final DoubleSupplier jitter;
    private final LongAdder retries = new LongAdder();
    private final LongAdder cooldowns = new LongAdder();
    private final LongAdder rateLimited = new LongAdder();

    public ProviderGuard(ProviderConfig config, DoubleSupplier jitter, RouteClock clock) {
        this(config, jitter, clock, CircuitBreakerRegistry.ofDefaults());
    }

    /** With the breaker built in {@code breakers}, where the metrics binder finds it by the provider's name. */
    public ProviderGuard(ProviderConfig config, DoubleSupplier jitter, RouteClock clock, CircuitBreakerRegistry breakers) {
        this.provider = config.name();
        this.policy = config.retry();
        this.jitter = jitter;
        this.clock = clock;
        this.cooldown = new Cooldown(clock);
        ProviderConfig.BreakerPolicy b = config.breaker();
        this.consecutiveLimit = b.consecutiveFailures();
        this.breaker = breakers.circuitBreaker(provider, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.window())
                .minimumNumberOfCalls(Math.min(b.minimumCalls(), b.window()))
                .failureRateThreshold(b.failureRatePercent())
                .waitDurationInOpenState(b.openFor())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(false) // half-open on the next call after the wait
                .clock(clock)
                .build());
    }

    /**
     * Runs attempts until one succeeds, a failure is not worth retrying, attempts run out or time does.
     *
     * @param maxRetryWait the longest Retry-After worth waiting for; a longer one cools the provider down
     *                     and fails at once with {@link Kind#COOLING_DOWN}, so the route can move on
     */
    public <T> T call(Deadline deadline, Duration maxRetryWait, Supplier<T> attempt) {
        for (int n = 1; ; n++) {
            UpstreamFailure f;
            try {
                return once(deadline, maxRetryWait, attempt);
            } catch (UpstreamFailure e) {
                f = e;
            }
            if (n >= policy.maxAttempts() || !f.retryable() || !hasTimeFor(f)) throw f;
            retries.increment();
            try {
                clock.sleep(backoff(n, f));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamFailure(provider, Kind.CANCELLED, 0, null, deadline, provider + " stopped: another target answered first");
            }
        }
    }

    private <T> T once(Deadline deadline, Duration maxRetryWait, Supplier<T> attempt) {
        Duration cooling = cooldown.remaining();
        if (cooling.isPositive()) {
            throw new UpstreamFailure(provider, Kind.COOLING_DOWN, 0, cooling, deadline,
                    provider + " skipped: cooling down for " + seconds(cooling) + " more (it answered with a long Retry-After)");
        }
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
            if (f.status() == 429) rateLimited.increment();
            if (f.retryable() && f.retryAfter() != null && f.retryAfter().compareTo(maxRetryWait) > 0) {
                // the provider said when to come back: that is a pause, not ill health, so the breaker is not charged
                breaker.releasePermission();
                Duration left = cooldown.start(f.retryAfter());
                cooldowns.increment();
                throw new UpstreamFailure(provider, Kind.COOLING_DOWN, f.status(), left, deadline,
                        f.getMessage() + " with Retry-After " + seconds(f.retryAfter()) + "; not retried, cooling down for " + seconds(left));
            }
            if (f.providerFault()) recordFailure(System.nanoTime() - start, f);
            else breaker.releasePermission(); // a client error or a cancelled call says nothing about the provider's health
            throw f;
        } catch (RuntimeException e) {
            breaker.releasePermission();
            throw e;
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

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** Attempts made again after a retryable failure, since start. */
    public long retries() {
        return retries.sum();
    }

    /** Cool-downs started (a Retry-After longer than the route waits), since start. */
    public long cooldowns() {
        return cooldowns.sum();
    }

    /** 429 answers from this provider, since start. */
    public long rateLimited() {
        return rateLimited.sum();
    }

    /** What {@code GET /v1/providers} shows. */
    public ProviderStatus status() {
        return new ProviderStatus(provider, breaker.getState(), cooldown.remaining(), cooldown.until());
    }
}
