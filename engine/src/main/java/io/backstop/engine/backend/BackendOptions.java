package io.backstop.engine.backend;

import java.nio.file.Path;

/**
 * Options a backend honours at load time.
 *
 * @param threads compute threads for one forward pass; 0 lets the backend choose (physical cores)
 * @param workDir base folder for the model's working files (Jlama's KV cache pages); null = the default
 */
public record BackendOptions(int threads, Path workDir) {
    public static BackendOptions defaults() {
        return new BackendOptions(0, null);
    }
}
