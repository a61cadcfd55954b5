package io.backstop.engine;

import java.nio.file.Path;

/**
 * How to load and serve one model.
 *
 * @param name         public name; null uses the folder name (or the GGUF file's name)
 * @param threads      compute threads per forward pass; 0 = physical cores (process-wide in Jlama: the first load decides)
 * @param maxInFlight  generations running at once (their forward passes interleave)
 * @param queueSize    generations allowed to wait for a slot; more are rejected with {@link QueueFullException}
 * @param chatTemplate template used when a chat request names none (e.g. "raw" for base models); null = the model's own
 * @param workDir      base folder for the model's working files (the KV cache pages Jlama writes); null =
 *                     {@code $BACKSTOP_WORK_DIR}, else {@code <java.io.tmpdir>/backstop-<user>}
 * @param backend      "native" (GGUF) or "jlama" (safetensors); null chooses by what the path holds
 */
public record LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate, Path workDir, String backend) {
    public static final int DEFAULT_MAX_IN_FLIGHT = 2;
    public static final int DEFAULT_QUEUE_SIZE = 32;

    public LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate) {
        this(name, threads, maxInFlight, queueSize, chatTemplate, null, null);
    }

    public LoadOptions(String name, int threads, int maxInFlight, int queueSize, String chatTemplate, Path workDir) {
        this(name, threads, maxInFlight, queueSize, chatTemplate, workDir, null);
    }

    public static LoadOptions defaults() {
        return new LoadOptions(null, 0, DEFAULT_MAX_IN_FLIGHT, DEFAULT_QUEUE_SIZE, null, null, null);
    }

    public LoadOptions withName(String n) {
        return new LoadOptions(n, threads, maxInFlight, queueSize, chatTemplate, workDir, backend);
    }

    public LoadOptions withThreads(int t) {
        return new LoadOptions(name, t, maxInFlight, queueSize, chatTemplate, workDir, backend);
    }

    public LoadOptions withConcurrency(int inFlight, int queue) {
        return new LoadOptions(name, threads, inFlight, queue, chatTemplate, workDir, backend);
    }

    public LoadOptions withChatTemplate(String t) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, t, workDir, backend);
    }

    public LoadOptions withWorkDir(Path dir) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, chatTemplate, dir, backend);
    }

    /** @param b "native", "jlama", or null to choose by the path */
    public LoadOptions withBackend(String b) {
        return new LoadOptions(name, threads, maxInFlight, queueSize, chatTemplate, workDir, b);
    }
}
