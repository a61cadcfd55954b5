package io.backstop.engine;

import java.nio.file.Path;

/**
 * How to load and serve one model.
 *
 * @param name         public name; null uses the folder name (or the GGUF file's name)
 * @param threads      compute threads per forward pass; 0 = physical cores (process-wide in Jlama: the first load decides)
 * @param maxInFlight  generations running at once; 0 = the backend's default: {@link #DEFAULT_BATCH_IN_FLIGHT} with
 *                     continuous batching (native), {@link #DEFAULT_MAX_IN_FLIGHT} where generations take turns (Jlama)
 * @param queueSize    generations allowed to wait for a slot; more are rejected with {@link QueueFullException}
 * @param chatTemplate template used when a chat request names none (e.g. "raw" for base models); null = the model's own
 * @param workDir      base folder for the model's working files (the KV cache pages Jlama writes); null =
 *                     {@code $BACKSTOP_WORK_DIR}, else {@code <java.io.tmpdir>/backstop-<user>}
 * @param backend      "native" (GGUF) or "jlama" (safetensors); null chooses by what the path holds
 * @param kvCacheBytes native backend: KV cache budget shared by every running sequence and the prefix
 *                     cache; 0 = a quarter of the JVM's maximum heap
 * @param prefillTokens native backend: prompt tokens run per batch step beside the decoding sequences
 *                     (chunked prefill); 0 = {@link #DEFAULT_PREFILL_TOKENS}
 * @param warmUp       native backend: run every step shape once at load ({@code schedule/WarmUp}) so that the first
 *                     requests do not wait for the JIT; off for one-shot commands, where it would only add work
 */
public record LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate, Path workDir, String backend,
                          long kvCacheBytes, int prefillTokens, boolean warmUp) {
    /** Generations at once where they take turns token by token (Jlama): more only lengthens each one. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 2;
    /** Sequences at once with continuous batching (native): a decode step reads the weights once for all of them. */
    public static final int DEFAULT_BATCH_IN_FLIGHT = 8;
    public static final int DEFAULT_QUEUE_SIZE = 32;
    public static final int DEFAULT_PREFILL_TOKENS = 64;

    public LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate, Path workDir, String backend) {
        this(name, threads, maxInFlight, queueSize, chatTemplate, workDir, backend, 0, 0, true);
    }

    public LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate) {
        this(name, threads, maxInFlight, queueSize, chatTemplate, null, null);
    }

    public LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate, Path workDir) {
        this(name, threads, maxInFlight, queueSize, chatTemplate, workDir, null);
    }

    public static LoadOptions defaults() {
        return new LoadOptions(null, 0, 0, DEFAULT_QUEUE_SIZE, null, null, null, 0, 0, true);
    }

    public LoadOptions withName(String n) {
        return new LoadOptions(n, threads, maxInFlight, queueSize, chatTemplate, workDir, backend, kvCacheBytes, prefillTokens, warmUp);
    }

    public LoadOptions withThreads(int t) {
        return new LoadOptions(name, t, maxInFlight, queueSize, chatTemplate, workDir, backend, kvCacheBytes, prefillTokens, warmUp);
    }

    public LoadOptions withConcurrency(int inFlight, int queue) {
        return new LoadOptions(name, threads, inFlight, queue, chatTemplate, workDir, backend, kvCacheBytes, prefillTokens, warmUp);
    }

    public LoadOptions withChatTemplate(String t) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, t, workDir, backend, kvCacheBytes, prefillTokens, warmUp);
    }

    public LoadOptions withWorkDir(Path dir) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, chatTemplate, dir, backend, kvCacheBytes, prefillTokens, warmUp);
    }

    /** @param b "native", "jlama", or null to choose by the path */
    public LoadOptions withBackend(String b) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, chatTemplate, workDir, b, kvCacheBytes, prefillTokens, warmUp);
    }

    /** @param bytes KV cache budget of the native backend (0 = a quarter of the heap); @param tokens prompt tokens per step (0 = default) */
    public LoadOptions withBatching(long bytes, int tokens) {
        if (bytes < 0) throw new IllegalArgumentException("kvCacheBytes must be 0 or more, got " + bytes);
        if (tokens < 0) throw new IllegalArgumentException("prefillTokens must be 0 or more, got " + tokens);
        return new LoadOptions(name, threads, maxInFlight, queueSize, chatTemplate, workDir, backend, bytes, tokens, warmUp);
    }

    /** @param on whether the native backend warms up every step shape at load (default on) */
    public LoadOptions withWarmUp(boolean on) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, chatTemplate, workDir, backend, kvCacheBytes, prefillTokens, on);
    }

    /** The KV budget in bytes, the default resolved. */
    public long kvBudgetBytes() {
        return kvCacheBytes > 0 ? kvCacheBytes : Runtime.getRuntime().maxMemory() / 4;
    }

    /** Prompt tokens per step, the default resolved. */
    public int prefillTokensPerStep() {
        return prefillTokens > 0 ? prefillTokens : DEFAULT_PREFILL_TOKENS;
    }
}
