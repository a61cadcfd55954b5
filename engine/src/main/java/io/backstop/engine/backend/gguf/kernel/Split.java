package io.backstop.engine.backend.gguf.kernel;

/**
 * How one job of {@code items} is cut into the chunks {@link ComputePool} members claim in order: guided
 * self-scheduling, each chunk a {@code 1 / (2 · threads)} share of what is still unclaimed (never less than
 * one grain), so the first chunks are large and the last ones a grain each. Whoever claims the last chunk
 * finishes at most a grain after the others, where equal chunks left up to a whole chunk (1/16 of the
 * product at 2 threads) for one member while the other waited. Boundaries are multiples of the grain, as
 * with equal chunks, so a row's bits do not depend on the split. Reusable: {@link #plan} allocates only
 * when a job needs more chunks than any before.
 */
public final class Split {
    private final int threads;
    private int[] bounds = new int[17];
    private int chunks;

    public Split(int threads) {
        this.threads = Math.max(1, threads);
    }

    /** Cuts {@code [0, items)} in multiples of {@code grain}; returns the number of chunks. */
    public int plan(int items, int grain) {
        return plan(items, grain, 1);
    }

    /** {@link #plan(int, int)} with chunks of at least {@code least} grains (but the last). */
    public int plan(int items, int grain, int least) {
        int units = (items + grain - 1) / grain;
        int c = 0, at = 0;
        bounds[0] = 0;
        if (threads == 1) { // nothing to balance: one chunk
            bounds[1] = items;
            return chunks = items > 0 ? 1 : 0;
        }
        while (at < units) {
            int size = Math.max(least, (units - at) / (2 * threads));
            at = Math.min(units, at + size);
            if (++c + 1 > bounds.length) bounds = java.util.Arrays.copyOf(bounds, 2 * bounds.length);
            bounds[c] = Math.min(items, at * grain);
        }
        return chunks = c;
    }

    /** Chunks of the last plan. */
    public int chunks() {
        return chunks;
    }

    /** First item of chunk {@code c} of the last plan. */
    public int from(int c) {
        return bounds[c];
    }

    /** End (exclusive) of chunk {@code c} of the last plan. */
    public int to(int c) {
        return bounds[c + 1];
    }
}
