package io.backstop.engine.backend.gguf.model;

import io.backstop.engine.backend.gguf.tensor.WeightTensor;

/**
 * A forward pass's products when its step mixes rows in the decode form (the leading rows, one per sequence: tokens
 * the sequences generated, prompts' last tokens) with prompt rows, on a model whose decode kernels round activations
 * to 8 bits ({@link WeightTensor#roundsActivations}): every product multiplies the two apart — the decode rows through
 * its decode form, the prompt rows (copied out to {@link #tail}) through its prompt form — so each row gets the bits
 * it gets in a step of its own kind, whatever it shares a step with (a product that does not round too: its decode
 * form may sum in another order than its prompt form, and 8-bit rounding further on turns a last-bit difference into
 * a quantum's). Other models, and every step of one kind, run a product's rows in one call.
 */
final class MixedStep {
    /** The prompt rows of a product's input, copied out: products take their inputs from row 0. */
    private final float[] tail;
    /** Whether any of the model's products rounds activations in its decode kernels: then mixed steps are split. */
    private final boolean rounding;
    /** Leading rows in the decode form in the phase at hand; 0 unless the step mixes both kinds. */
    private int decodeRows;

    MixedStep(Weights w, int capacity, int widest) {
        this.rounding = w.roundsActivations();
        this.tail = rounding ? new float[capacity * widest] : new float[0];
    }

    /** A step of n rows, its first {@code decodeRows} in the decode form. */
    void begin(int n, int decodeRows) {
        this.decodeRows = rounding && decodeRows > 0 && decodeRows < n ? decodeRows : 0;
    }

    /**
     * The logits' phase: of the packed rows {@code outRows[0 .. outs)}, the decode rows lead (they all want logits
     * and come first in the step).
     */
    void logits(int[] outRows, int outs) {
        int g = decodeRows;
        if (g == 0) return;
        decodeRows = 0;
        while (decodeRows < outs && outRows[decodeRows] < g) decodeRows++;
    }

    /** Before a phase: the prompt rows of {@code in} ({@code cols} each, up to {@code rows}) to the tail. */
    void copyTail(float[] in, int cols, int rows) {
        if (decodeRows > 0) System.arraycopy(in, decodeRows * cols, tail, 0, (rows - decodeRows) * cols);
    }

    /** Rows {@code [from, to)} of {@code m} times the {@code rows} inputs from {@code in} into {@code out} (row t at {@code t·outStride}). */
    void product(WeightTensor m, float[] in, int rows, boolean decode, float[] out, int outStride, int from, int to, boolean add, float[] scratch) {
        int g = decodeRows;
        if (g == 0) {
            m.matmul(in, rows, decode, out, 0, outStride, from, to, add, scratch);
            return;
        }
        if (g < rows) m.matmul(tail, rows - g, false, out, g * outStride, outStride, from, to, add, scratch);
        m.matmul(in, g, true, out, 0, outStride, from, to, add, scratch);
    }
}
