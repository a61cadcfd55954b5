package io.backstop.bench.synthetic;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model shape: what decides its speed (weight values do not).
 *
 * @param arch     Hugging Face model_type ("llama" or "qwen2"; qwen2 adds q/k/v biases)
 * @param tied     output projection shares the embedding matrix
 */
public record Shape(String name, String arch, int hidden, int layers, int heads, int kvHeads, int mlp, int vocab, int context, boolean tied) {
    public static final Shape TINYLLAMA_1_1B = new Shape("tinyllama-1.1b", "llama", 2048, 22, 32, 4, 5632, 32000, 2048, false);
    public static final Shape LLAMA_3_2_1B = new Shape("llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 4096, true);
    public static final Shape QWEN2_5_0_5B = new Shape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 4096, true);
    /** Builds in seconds, still dominated by the forward pass. */
    public static final Shape LLAMA_90M = new Shape("llama-90m", "llama", 1024, 8, 16, 4, 2816, 4096, 1024, false);
    /** For smoke runs in CI. */
    public static final Shape TINY = new Shape("llama-tiny", "llama", 128, 2, 4, 2, 256, 512, 256, false);

    public static final Map<String, Shape> NAMED = named(TINYLLAMA_1_1B, LLAMA_3_2_1B, QWEN2_5_0_5B, LLAMA_90M, TINY);

    private static Map<String, Shape> named(Shape... shapes) {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (Shape s : shapes) m.put(s.name(), s);
        return m;
    }

    public int headDim() {
        return hidden / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    /** Parameters of every tensor written (embeddings once when tied). */
    public long parameters() {
        long attn = 2L * hidden * hidden + 2L * hidden * kvDim() + (arch.equals("qwen2") ? hidden + 2L * kvDim() : 0);
        long perLayer = attn + 3L * hidden * mlp + 2L * hidden;
        return (tied ? 1L : 2L) * vocab * hidden + layers * perLayer + hidden;
    }

    /**
     * Parameters read to produce one token: every layer, the final norm, the output projection, and a
     * single embedding row (the embedding table itself is only indexed).
     */
    public long parametersReadPerToken() {
        return parameters() - (tied ? 0 : (long) vocab * hidden) + hidden;
    }
}
