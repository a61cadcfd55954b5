package io.backstop.engine.backend;

import java.nio.file.Path;

/**
 * Options a backend honours at load time.
 *
 * @param threads compute threads for one forward pass; 0 lets the backend choose (physical cores)
 * @param workDir base folder for the model's working files (Jlama's KV cache pages); null = the default
 * @param oneSequence the model decodes one sequence at a time (a concurrency of 1): the native engine lays its Q4_0,
 *                    Q4_K and Q8_0 copies out for a lone token ({@code DecodeLayout.ONE_SEQUENCE}) instead of for
 *                    batches
 */
public record BackendOptions(int threads, Path workDir, boolean oneSequence) {
    public BackendOptions(int threads, Path workDir) {
        this(threads, workDir, false);
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0, null);
    }
}
