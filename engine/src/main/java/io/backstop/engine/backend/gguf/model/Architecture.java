package io.backstop.engine.backend.gguf.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The {@code general.architecture} values the native engine runs, with what sets them apart. RoPE
 * ordering is llama.cpp's choice per architecture: NORM rotates adjacent pairs (GGUF {@code llama} q/k
 * rows are stored permuted for it by llama.cpp's converter), NEOX rotates the two halves of a head.
 */
public enum Architecture {
    LLAMA("llama", false, false, false),
    QWEN2("qwen2", true, true, false),
    QWEN3("qwen3", true, false, true);

    private final String id;
    /** RoPE rotates (i, i + d/2) rather than (2i, 2i + 1). */
    final boolean neox;
    /** q, k and v projections have biases. */
    final boolean qkvBias;
    /** RMSNorm of each head's q and k before RoPE. */
    final boolean qkNorm;

    Architecture(String id, boolean neox, boolean qkvBias, boolean qkNorm) {
        this.id = id;
        this.neox = neox;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    public String id() {
        return id;
    }

    /** The architecture with this GGUF name, or null. */
    public static Architecture of(String id) {
        for (Architecture a : values()) if (a.id.equals(id)) return a;
        return null;
    }

    public static String supported() {
        return Arrays.stream(values()).map(a -> a.id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
