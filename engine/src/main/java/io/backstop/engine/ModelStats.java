package io.backstop.engine;

/**
 * What a model's scheduler can tell right now, read by the server's metrics at scrape time (no server
 * dependency here). Fields a scheduler does not manage are 0: the slot scheduler (Jlama) has no batches,
 * KV blocks or prefix cache; the native engine's continuous batching fills them in.
 *
 * @param running              generations running now
 * @param waiting              generations queued for a slot
 * @param maxRunning           slots (max_in_flight)
 * @param queueCapacity        places in the queue (queue_size)
 * @param batchSize            rows (decode tokens + prompt tokens) of the last batch step (0: no batching scheduler)
 * @param kvBlocksUsed         KV-cache blocks in use (0: the backend does not manage KV memory in blocks)
 * @param kvBlocksFree         KV-cache blocks free
 * @param kvBlockBytes         bytes per KV-cache block
 * @param prefixCacheHits      prompts that reused a cached prefix, since load
 * @param prefixCacheTokensSaved prompt tokens not recomputed thanks to the prefix cache, since load
 */
public record ModelStats(int running, int waiting, int maxRunning, int queueCapacity, int batchSize,
                         long kvBlocksUsed, long kvBlocksFree, long kvBlockBytes, long prefixCacheHits, long prefixCacheTokensSaved) {

    /** A scheduler without batching, KV blocks or a prefix cache. */
    public static ModelStats slots(int running, int waiting, int maxRunning, int queueCapacity) {
        return new ModelStats(running, waiting, maxRunning, queueCapacity, 0, 0, 0, 0, 0, 0);
    }
}
