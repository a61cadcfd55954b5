package io.backstop.server.route;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A provider that asked us to come back later (429/503 with a long Retry-After) is not called until
 * then, as LiteLLM's cool-downs do: the route moves on at once instead of waiting on it.
 */
final class Cooldown {
    /** The longest one Retry-After can bench a provider, so a bogus header cannot disable it for hours. */
    static final Duration MAX = Duration.ofMinutes(5);

    private final RouteClock clock;
    private final AtomicReference<Instant> until = new AtomicReference<>(Instant.EPOCH);

    Cooldown(RouteClock clock) {
        this.clock = clock;
    }

    /** Cools down for {@code d} (capped at {@link #MAX}); a longer cool-down already running is kept. Returns the time left. */
    Duration start(Duration d) {
        Instant end = clock.instant().plus(d.compareTo(MAX) > 0 ? MAX : d);
        until.accumulateAndGet(end, (a, b) -> a.isAfter(b) ? a : b);
        return remaining();
    }

    /** Time left, zero when the provider may be called. */
    Duration remaining() {
        Duration left = Duration.between(clock.instant(), until.get());
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** When the cool-down ends, or null when none is running. */
    Instant until() {
        return remaining().isZero() ? null : until.get();
    }
}
