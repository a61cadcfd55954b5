package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/**
 * llama.cpp's default tensor-type mixes (no importance matrix): which type each 2-D weight gets in a
 * file of a given {@code general.file_type}. 1-D tensors (norms, biases) always stay F32. Rows that do
 * not fill whole super-blocks fall back as llama-quantize does (Q4_K → Q5_0, Q6_K → Q8_0).
 */
public enum QuantMix {
    F16(1), Q8_0(7), Q4_0(2), Q4_K_M(15);

    private final int fileType;

    QuantMix(int fileType) {
        this.fileType = fileType;
    }

    /** The value of {@code general.file_type}. */
    public int fileType() {
        return fileType;
    }

    /**
     * @param output whether the tensor is the output projection ({@code output.weight}, or {@code token_embd.weight} when tied)
     * @param layer  the block index of a {@code blk.N.*} tensor, else -1
     */
    public GgmlType typeFor(String name, boolean output, int layer, int layers, long rowLength) {
        GgmlType t = switch (this) {
            case F16 -> GgmlType.F16;
            case Q8_0 -> GgmlType.Q8_0;
            case Q4_0 -> output ? GgmlType.Q6_K : GgmlType.Q4_0;
            case Q4_K_M -> output || ((name.endsWith("attn_v.weight") || name.endsWith("ffn_down.weight")) && moreBits(layer, layers))
                    ? GgmlType.Q6_K : GgmlType.Q4_K;
        };
        if (rowLength % t.blockSize() != 0) {
            t = switch (t) {
                case Q4_K -> GgmlType.Q5_0;
                case Q6_K -> GgmlType.Q8_0;
                default -> t;
            };
        }
        return rowLength % t.blockSize() == 0 ? t : GgmlType.F16;
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third between. */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }
}
