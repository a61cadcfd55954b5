package io.backstop.engine.backend;

/**
 * Continuous batching on a backend: many sequences advanced by one forward pass per step, their KV
 * memory in blocks under one budget, full blocks of finished or running sequences reused by later
 * prompts that start with the same tokens. Driven by one thread (the scheduler's step loop).
 */
public interface BatchRunner extends AutoCloseable {
    /** One sequence's KV cache and position. */
    interface Sequence extends AutoCloseable {
        /** Positions computed (or taken from the prefix cache) so far. */
        int position();

        /** Positions taken from the prefix cache when it was opened. */
        int reused();

        /** Room for {@code positions} positions; false when the KV budget cannot hold them (nothing is taken then). */
        boolean reserve(int positions);

        /** Gives its KV blocks back (full ones stay cached for reuse). */
        @Override
        void close();
    }

    /**
     * A sequence for {@code prompt}, starting after the longest cached prefix of it (its last token is
     * always left to run), with room for the whole prompt and one more position; null when that would
     * leave fewer than {@code headroomBlocks} blocks of the budget free. Without {@code reusePrefix} every
     * prompt position runs.
     */
    Sequence open(int[] prompt, int headroomBlocks, boolean reusePrefix);

    /** Positions per KV block: the unit of prefix reuse. */
    int blockSize();

    /** Blocks a sequence of this many positions takes. */
    int blocksFor(int positions);

    /** KV blocks in the whole budget. */
    int totalBlocks();

    /** Counters of the KV memory and the prefix cache. */
    KvUsage usage();

    /** Forgets every cached prefix no sequence holds (their blocks become free). */
    void clearCache();

    /** Rows one {@link #step} can take. */
    int maxRows();

    /**
     * Runs one forward pass over the batch (each sequence's rows at consecutive positions from its own, in
     * order, room reserved); the logits after the batch's logit rows are then in {@link #logits()}.
     */
    void step(StepBatch batch);

    /** The logits of the last step, [i][vocab] for the batch's i-th logit row. */
    float[] logits();

    @Override
    void close();

    /**
     * @param total KV blocks in the budget; used: held by sequences; cached: kept for reuse, held by none
     * @param prefixHits sequences that started from cached KV; prefixTokensSaved: the prompt positions they skipped
     */
    record KvUsage(int total, int used, int cached, long blockBytes, long prefixHits, long prefixTokensSaved) {}
}
