package io.backstop.server.route;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The time routing decisions read — circuit breaker open state, cool-downs — and the way backoff waits,
 * in one injectable place, so tests move time themselves instead of depending on the machine's speed.
 */
public abstract class RouteClock extends Clock {
    /** Wall time, and backoff that really sleeps. */
    public static final RouteClock SYSTEM = new RouteClock() {
        private final Clock utc = Clock.systemUTC();

        @Override
        public Instant instant() {
            return utc.instant();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            if (d.isPositive()) Thread.sleep(d);
        }
    };

    /** Waits before a retry (interruptible: a stopped request does not sleep on). */
    public abstract void sleep(Duration d) throws InterruptedException;

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("route clocks are UTC");
    }
}
