package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/**
 * Turns float rows into one GGUF block type, bit for bit as llama.cpp's reference quantizers
 * ({@code quantize_row_*_ref}, no importance matrix) do, so a file written with these loads and computes
 * the same in llama.cpp. Stateless and thread-safe.
 */
public sealed interface Quantizer permits Q8_0Quantizer, Q4_0Quantizer, Q5_0Quantizer, Q4_KQuantizer, Q6_KQuantizer {
    GgmlType type();

    /** Quantizes {@code n} values (a multiple of the block size) from {@code src[srcOff ..]} into {@code dst[dstOff ..]}. */
    void quantize(float[] src, int srcOff, int n, byte[] dst, int dstOff);

    /** Bytes for n values. */
    default int bytes(int n) {
        return (int) type().bytesFor(n);
    }

    /** The quantizer for a type; Q8_0, Q4_0, Q5_0, Q4_K and Q6_K are offered. */
    static Quantizer of(GgmlType type) {
        return switch (type) {
            case Q8_0 -> new Q8_0Quantizer();
            case Q4_0 -> new Q4_0Quantizer();
            case Q5_0 -> new Q5_0Quantizer();
            case Q4_K -> new Q4_KQuantizer();
            case Q6_K -> new Q6_KQuantizer();
            default -> throw new IllegalArgumentException("no quantizer for " + type + " (available: Q8_0, Q4_0, Q5_0, Q4_K, Q6_K)");
        };
    }
}
