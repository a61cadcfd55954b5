package io.backstop.server.route;

import java.time.Duration;

/** The moment a request must be answered by; retries, backoff and streams all check it. */
public record Deadline(long endNanos) {
    public static Deadline in(Duration d) {
        return new Deadline(System.nanoTime() + d.toNanos());
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    public boolean expired() {
        return System.nanoTime() >= endNanos;
    }

    /** The smaller of a timeout and what is left. */
    public Duration cap(Duration timeout) {
        Duration left = remaining();
        return timeout.compareTo(left) < 0 ? timeout : left;
    }
}
