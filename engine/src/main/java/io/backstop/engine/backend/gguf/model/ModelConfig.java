package io.backstop.engine.backend.gguf.model;

import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;

/**
 * A model's hyper-parameters from its GGUF metadata ({@code ARCH.*} keys).
 *
 * @param headDimK     key/query width per head ({@code attention.key_length}, else dim / heads)
 * @param headDimV     value width per head ({@code attention.value_length}, else headDimK)
 * @param contextLength positions the model was trained for ({@code context_length})
 * @param rope         rotary embedding settings
 */
public record ModelConfig(Architecture architecture, int dim, int layers, int heads, int kvHeads, int headDimK, int headDimV,
                          int ffn, int vocab, int contextLength, float rmsEps, Rope rope) {

    /**
     * RoPE: pair i of a head (i &lt; dims / 2) turns by position · {@code frequencies[i]}.
     *
     * @param dims        rotated values per head ({@code rope.dimension_count}; the rest pass unchanged)
     * @param neox        rotate (i, i + dims/2) instead of (2i, 2i + 1)
     * @param frequencies per pair: theta^(−2i/dims) × freq_scale ÷ rope_freqs[i] when the file has that tensor
     */
    public record Rope(int dims, boolean neox, double[] frequencies) {}

    public int qDim() {
        return heads * headDimK;
    }

    public int kvDim() {
        return kvHeads * headDimK;
    }

    public int vDim() {
        return kvHeads * headDimV;
    }

    /** Reads and checks the hyper-parameters; refuses what the engine cannot run with a message naming the key. */
    public static ModelConfig read(GgufFile file, float[] ropeFreqFactors) {
        GgufMetadata m = file.metadata();
        String archName = m.string("general.architecture", null);
        if (archName == null) throw file.problem("metadata 'general.architecture' is missing; is this a model file?");
        Architecture arch = Architecture.of(archName);
        if (arch == null) {
            throw file.problem("architecture '" + archName + "' is not supported by the native engine (supported: " + Architecture.supported() + ")");
        }
        String p = archName + ".";
        int dim = positive(file, m, p + "embedding_length");
        int layers = positive(file, m, p + "block_count");
        int heads = positive(file, m, p + "attention.head_count");
        int kvHeads = m.has(p + "attention.head_count_kv") ? positive(file, m, p + "attention.head_count_kv") : heads;
        if (heads % kvHeads != 0) throw file.problem("attention.head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        int headDimK = m.has(p + "attention.key_length") ? positive(file, m, p + "attention.key_length") : dim / heads;
        int headDimV = m.has(p + "attention.value_length") ? positive(file, m, p + "attention.value_length") : headDimK;
        int ffn = positive(file, m, p + "feed_forward_length");
        int context = positive(file, m, p + "context_length");
        float eps = m.float32(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        GgufTensorInfo embd = file.tensor("token_embd.weight");
        if (embd == null) throw file.problem("tensor 'token_embd.weight' is missing");
        int vocab = m.has(p + "vocab_size") ? positive(file, m, p + "vocab_size") : (int) embd.rows();

        int ropeDims = m.has(p + "rope.dimension_count") ? positive(file, m, p + "rope.dimension_count") : headDimK;
        if (ropeDims > headDimK || ropeDims % 2 != 0) throw file.problem(p + "rope.dimension_count " + ropeDims + " must be even and at most the head width " + headDimK);
        double theta = m.float32(p + "rope.freq_base", 10000f);
        double freqScale = ropeFreqScale(file, m, p);
        double[] freqs = new double[ropeDims / 2];
        if (ropeFreqFactors != null && ropeFreqFactors.length != freqs.length) {
            throw file.problem("tensor 'rope_freqs.weight' has " + ropeFreqFactors.length + " values, expected " + freqs.length);
        }
        for (int i = 0; i < freqs.length; i++) {
            freqs[i] = Math.pow(theta, -2.0 * i / ropeDims) * freqScale / (ropeFreqFactors == null ? 1 : ropeFreqFactors[i]);
        }
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDimK, headDimV, ffn, vocab, context, eps,
                new Rope(ropeDims, arch.neox, freqs));
    }

    /** llama.cpp's freq_scale: 1 without scaling, 1/factor for linear scaling; other schemes are refused. */
    private static double ropeFreqScale(GgufFile file, GgufMetadata m, String p) {
        String type = m.string(p + "rope.scaling.type", "none");
        float factor = m.float32(p + "rope.scaling.factor", 0f);
        return switch (type) {
            case "none" -> 1;
            case "linear" -> factor > 0 ? 1.0 / factor : 1;
            default -> throw file.problem("RoPE scaling '" + type + "' (" + p + "rope.scaling.type) is not supported by the native engine (supported: none, linear, and llama3 frequency factors)");
        };
    }

    private static int positive(GgufFile file, GgufMetadata m, String key) {
        int v = m.int32(key);
        if (v <= 0) throw file.problem("metadata '" + key + "' must be positive, got " + v);
        return v;
    }
}
