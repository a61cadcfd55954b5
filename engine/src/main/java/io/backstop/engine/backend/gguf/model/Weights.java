package io.backstop.engine.backend.gguf.model;

import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import io.backstop.engine.backend.gguf.tensor.WeightTensor;
import io.backstop.engine.backend.gguf.tensor.WeightTensors;

/**
 * A model's tensors by role, checked against the configuration. Matrices stay in the file's mapping;
 * the small 1-D tensors (norms, biases) are copied to float arrays.
 *
 * @param output the output projection: {@code output.weight}, or the embeddings when tied (no such tensor)
 * @param layout how the Q4_0, Q4_K and Q8_0 matrices' decode copies are laid out
 */
public record Weights(WeightTensor tokenEmbedding, Layer[] layers, float[] outputNorm, WeightTensor output, DecodeLayout layout) {

    /** One transformer block. Biases and q/k norms are null when the architecture has none. */
    public record Layer(float[] attnNorm, WeightTensor wq, WeightTensor wk, WeightTensor wv, WeightTensor wo,
                        float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                        float[] ffnNorm, WeightTensor gate, WeightTensor up, WeightTensor down) {}

    /** Whether any product's decode kernels round activations to 8 bits ({@link WeightTensor#roundsActivations}). */
    public boolean roundsActivations() {
        if (output.roundsActivations()) return true;
        for (Layer l : layers) {
            for (WeightTensor t : new WeightTensor[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                if (t.roundsActivations()) return true;
            }
        }
        return false;
    }

    /** The {@code rope_freqs.weight} factors (Llama 3.1+ frequency scaling), or null when the file has none. */
    public static float[] ropeFreqFactors(GgufFile file) {
        GgufTensorInfo t = file.tensor("rope_freqs.weight");
        return t == null ? null : vector(file, t.name(), (int) t.elements());
    }

    public static Weights read(GgufFile file, ModelConfig c) {
        return read(file, c, DecodeLayout.BATCH);
    }

    /** The weights, the Q4_0, Q4_K and Q8_0 matrices' decode copies laid out for {@code layout}. */
    public static Weights read(GgufFile file, ModelConfig c, DecodeLayout layout) {
        Architecture a = c.architecture();
        Layer[] layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            layers[l] = new Layer(
                    vector(file, p + "attn_norm.weight", c.dim()),
                    matrix(file, p + "attn_q.weight", c.dim(), c.qDim(), layout),
                    matrix(file, p + "attn_k.weight", c.dim(), c.kvDim(), layout),
                    matrix(file, p + "attn_v.weight", c.dim(), c.vDim(), layout),
                    matrix(file, p + "attn_output.weight", c.heads() * c.headDimV(), c.dim(), layout),
                    a.qkvBias ? vector(file, p + "attn_q.bias", c.qDim()) : null,
                    a.qkvBias ? vector(file, p + "attn_k.bias", c.kvDim()) : null,
                    a.qkvBias ? vector(file, p + "attn_v.bias", c.vDim()) : null,
                    a.qkNorm ? vector(file, p + "attn_q_norm.weight", c.headDimK()) : null,
                    a.qkNorm ? vector(file, p + "attn_k_norm.weight", c.headDimK()) : null,
                    vector(file, p + "ffn_norm.weight", c.dim()),
                    matrix(file, p + "ffn_gate.weight", c.dim(), c.ffn(), layout),
                    matrix(file, p + "ffn_up.weight", c.dim(), c.ffn(), layout),
                    matrix(file, p + "ffn_down.weight", c.ffn(), c.dim(), layout));
        }
        WeightTensor embedding = matrix(file, "token_embd.weight", c.dim(), c.vocab(), layout);
        WeightTensor output = file.tensor("output.weight") != null ? matrix(file, "output.weight", c.dim(), c.vocab(), layout) : embedding;
        return new Weights(embedding, layers, vector(file, "output_norm.weight", c.dim()), output, layout);
    }

    /** A matrix of {@code rows} rows of {@code cols} values (GGUF shape [cols, rows]). */
    private static WeightTensor matrix(GgufFile file, String name, int cols, int rows, DecodeLayout layout) {
        GgufTensorInfo t = require(file, name);
        if (t.dims().length > 2 || t.rowLength() != cols || t.rows() != rows) {
            throw file.problem("tensor '" + name + "' has shape " + t.shape() + ", expected [" + cols + ", " + rows + "]");
        }
        return WeightTensors.of(file, t, layout);
    }

    /** A 1-D tensor of n values as floats (any supported type). */
    private static float[] vector(GgufFile file, String name, int n) {
        GgufTensorInfo t = require(file, name);
        if (t.elements() != n) throw file.problem("tensor '" + name + "' has shape " + t.shape() + ", expected [" + n + "]");
        float[] out = new float[n];
        WeightTensors.of(file, t).dequantizeRow(0, out, 0);
        return out;
    }

    private static GgufTensorInfo require(GgufFile file, String name) {
        GgufTensorInfo t = file.tensor(name);
        if (t == null) throw file.problem("tensor '" + name + "' is missing");
        return t;
    }
}
