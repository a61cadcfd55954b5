package io.backstop.engine.backend;

/**
 * Options a backend honours at load time.
 *
 * @param threads compute threads for one forward pass; 0 lets the backend choose (physical cores)
 */
public record BackendOptions(int threads) {
    public static BackendOptions defaults() {
        return new BackendOptions(0);
    }
}
