package io.backstop.engine.schedule;

/**
 * What a model's scheduler is doing, for metrics.
 *
 * @param running      sequences in the batch now
 * @param waiting      sequences queued for admission
 * @param steps        forward passes run so far
 * @param lastBatchRows rows (decode tokens + prompt tokens) of the latest step
 * @param batchedTokens rows run over all steps (divide by steps for the mean batch size)
 * @param kvBlocksTotal KV blocks in the budget; used: held by sequences; cached: kept for reuse (free to evict)
 * @param kvBlockBytes  bytes of one block
 * @param prefixHits    sequences that started from cached KV
 * @param prefixTokensSaved prompt tokens they did not have to run
 * @param slowClientsCancelled streams ended because their client did not keep up
 * @param forwardNanos  time the step thread spent in forward passes
 * @param busyNanos     time it spent with work in hand: the forward passes plus admission, batching, sampling and
 *                      hand-off to the streams (busy − forward is the scheduler's own cost; the rest of the wall
 *                      time it waited for requests)
 */
public record SchedulerStats(int running, int waiting, long steps, int lastBatchRows, long batchedTokens,
                             int kvBlocksTotal, int kvBlocksUsed, int kvBlocksCached, long kvBlockBytes,
                             long prefixHits, long prefixTokensSaved, long slowClientsCancelled,
                             long forwardNanos, long busyNanos) {
    public int kvBlocksFree() {
        return kvBlocksTotal - kvBlocksUsed;
    }
}
