package io.backstop.engine.schedule;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests for a generation that the server has taken in and is still reading (body, JSON, template, tokens): a hint
 * for {@link BatchScheduler}'s gathering. A burst of requests reaches the queue over a millisecond or two; a request
 * that finds the model idle waits for those already on their way instead of running a step alone and making each of
 * them wait that whole step. The HTTP layer calls {@link #begin} when a request comes in and {@link #end} when it has
 * been handled, on the thread that handles it; submitting a job to a model ends the submitting thread's arrival
 * sooner. A hint only: an arrival that never submits (a remote route, a refused request) holds a gathering no longer
 * than the window it would have waited anyway.
 */
public final class Arrivals {
    private static final AtomicInteger PENDING = new AtomicInteger();
    private static final ThreadLocal<boolean[]> OPEN = ThreadLocal.withInitial(() -> new boolean[1]);

    private Arrivals() {}

    /** A request came in on this thread. */
    public static void begin() {
        boolean[] open = OPEN.get();
        if (open[0]) return;
        open[0] = true;
        PENDING.incrementAndGet();
    }

    /** This thread's request was submitted or answered (no-op when it has no arrival open). */
    public static void end() {
        boolean[] open = OPEN.get();
        if (!open[0]) return;
        open[0] = false;
        PENDING.decrementAndGet();
    }

    /** Requests taken in and not yet submitted or answered. */
    public static int pending() {
        return PENDING.get();
    }
}
