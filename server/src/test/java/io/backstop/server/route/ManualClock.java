package io.backstop.server.route;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Time that moves only when told: a backoff "sleep" returns at once, advancing the clock by its length
 * and recording it, so tests assert the exact waits routing chose instead of measuring them.
 */
final class ManualClock extends RouteClock {
    private volatile Instant now = Instant.parse("2030-01-01T00:00:00Z");
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        sleeps.add(d);
        advance(d);
    }

    synchronized void advance(Duration d) {
        now = now.plus(d);
    }

    /** Every backoff wait asked for, in order. */
    List<Duration> sleeps() {
        return List.copyOf(sleeps);
    }
}
