package io.backstop.bench.load;

import io.backstop.engine.schedule.SchedulerStats;
import java.util.List;
import java.util.Locale;

/**
 * Where our server's step thread spent one level's wall time, from its scheduler's counters before and after the
 * level: forward passes, its own work around them (admission, batching, sampling, hand-off to the streams), and
 * waiting for requests. Read beside the clients' inter-token latency of the same level, in the same JVM and window:
 * what a client waits beyond the forward pass is the scheduler's and the HTTP path's share.
 */
record StepTimes(int clients, long steps, long rows, long forwardNanos, long busyNanos, long wallNanos) {

    static StepTimes between(int clients, SchedulerStats before, SchedulerStats after, long wallNanos) {
        return new StepTimes(clients, after.steps() - before.steps(), after.batchedTokens() - before.batchedTokens(),
                after.forwardNanos() - before.forwardNanos(), after.busyNanos() - before.busyNanos(), wallNanos);
    }

    double rowsPerStep() {
        return steps == 0 ? 0 : (double) rows / steps;
    }

    double forwardMillisPerStep() {
        return steps == 0 ? 0 : forwardNanos / 1e6 / steps;
    }

    /** The step thread's busy time outside forward passes, per step. */
    double schedulerMillisPerStep() {
        return steps == 0 ? 0 : (busyNanos - forwardNanos) / 1e6 / steps;
    }

    /** Share of the level's wall time the step thread waited for work (between requests, or before the first). */
    double idleShare() {
        return wallNanos == 0 ? 0 : Math.max(0, 1 - (double) busyNanos / wallNanos);
    }

    static String table(List<StepTimes> levels) {
        StringBuilder sb = new StringBuilder("| clients | steps | rows per step | forward pass ms per step | scheduler ms per step (outside the pass) | step thread idle |\n|---|---|---|---|---|---|\n");
        for (StepTimes t : levels) {
            sb.append(String.format(Locale.ROOT, "| %d | %d | %.2f | %.1f | %.3f | %.1f %% |%n", t.clients(), t.steps(), t.rowsPerStep(),
                    t.forwardMillisPerStep(), t.schedulerMillisPerStep(), 100 * t.idleShare()));
        }
        return sb.toString();
    }
}
