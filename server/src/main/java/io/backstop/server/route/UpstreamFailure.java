package io.backstop.server.route;

import java.time.Duration;

/**
 * Why a call to a remote provider failed, in words safe to show a client: never the upstream body,
 * never a key.
 */
public final class UpstreamFailure extends RuntimeException {
    public enum Kind {
        /** 429, 500, 502, 503, 504, connection refused or reset: worth another attempt. */
        RETRYABLE,
        /** connect, first-byte or idle timeout: worth another attempt while the deadline allows. */
        TIMEOUT,
        /** 400, 401, 403, 404, 422 …: the same request would fail again. */
        CLIENT_ERROR,
        /** 2xx with a body that is not what the API promises (malformed JSON, wrong content type). */
        INVALID_RESPONSE,
        /** the provider's circuit breaker is open: skipped without a network call. */
        BREAKER_OPEN,
        /**
         * the provider asked for a pause longer than the route waits (Retry-After above max_retry_wait_ms),
         * or is still in that pause: skipped without a network call until it ends.
         */
        COOLING_DOWN,
        /** stopped by us: another target of the route answered first. Says nothing about the provider. */
        CANCELLED,
        /** no time left for another attempt. */
        DEADLINE
    }

    private final String provider;
    private final Kind kind;
    private final int status;
    private final Duration retryAfter;
    private final transient Deadline deadline;

    public UpstreamFailure(String provider, Kind kind, int status, Duration retryAfter, Deadline deadline, String message) {
        super(message);
        this.provider = provider;
        this.kind = kind;
        this.status = status;
        this.retryAfter = retryAfter;
        this.deadline = deadline;
    }

    public String provider() {
        return provider;
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status from the provider, 0 when none arrived. */
    public int status() {
        return status;
    }

    /** The provider's Retry-After (for {@link Kind#COOLING_DOWN}: the pause left), or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public Deadline deadline() {
        return deadline;
    }

    public boolean retryable() {
        return kind == Kind.RETRYABLE || kind == Kind.TIMEOUT;
    }

    /** Failures that say the provider is unhealthy (the breaker counts them); client errors do not. */
    public boolean providerFault() {
        return kind == Kind.RETRYABLE || kind == Kind.TIMEOUT || kind == Kind.INVALID_RESPONSE;
    }

    /** The provider is known to be unavailable for now (breaker open, or cooling down after a long Retry-After). */
    public boolean unavailable() {
        return kind == Kind.BREAKER_OPEN || kind == Kind.COOLING_DOWN;
    }
}
